package dev.refinery.runtime.takedowns;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicSnapshot;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TakedownScope;
import dev.refinery.schemas.Topics;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Matches documents against the takedowns on {@code corpus.takedowns.v1} (in dedup-filter, before a
 * document is clean; in the trainer-bridge, when a batch is delivered), keyed {@code DOC_ID:<id>},
 * {@code SOURCE:<name>} or {@code URL_PREFIX:<prefix>}. A URL prefix is a string prefix of the
 * normalized URL, so a takedown of {@code https://example.org/private/} covers every page under it
 * and one of {@code https://docs.python.org/3/library/asyncio} covers {@code
 * asyncio-eventloop.html}; scheme and host compare case-insensitively.
 */
public final class Takedowns {
  private Takedowns() {}

  /**
   * The takedowns in force, by key, in key order (dedup-filter's global store, the bridge's map).
   */
  public interface Store {
    Takedown get(String key);

    /** The takedowns whose keys lie between {@code from} and {@code to}, both included. */
    Iterable<Takedown> range(String from, String to);

    /** A store over takedowns by key (a TreeMap, or a concurrent skip-list map to follow). */
    static Store of(java.util.NavigableMap<String, Takedown> byKey) {
      return new Store() {
        @Override
        public Takedown get(String key) {
          return byKey.get(key);
        }

        @Override
        public Iterable<Takedown> range(String from, String to) {
          return byKey.subMap(from, true, to, true).values();
        }
      };
    }
  }

  /**
   * The takedown that covers a document, if any: by its id, its source, or a URL prefix that is a
   * string prefix of its normalized URL ({@code https://docs.python.org/3/library/asyncio} covers
   * {@code …/asyncio-eventloop.html}). A prefix that ends at the host covers that host only, not
   * {@code example.org.evil.test}.
   */
  public static Takedown match(Document doc, Store store) {
    Takedown t = match(doc.getId(), doc.getSource().getName(), doc.getUrl(), store);
    for (int i = 0; t == null && i < doc.getImages().size(); i++) {
      t = image(doc.getImages().get(i).getSha256(), store);
    }
    return t;
  }

  /**
   * The takedown that covers a span of a token batch: by its document's id, source or URL, or by an
   * image of its document that the batch holds.
   */
  public static Takedown match(
      dev.refinery.schemas.TokenBatch batch, dev.refinery.schemas.DocumentSpan span, Store store) {
    Takedown t = match(span.getDocId(), span.getSource().getName(), span.getUrl(), store);
    for (int i = 0; t == null && i < batch.getImages().size(); i++) {
      dev.refinery.schemas.ImagePlacement image = batch.getImages().get(i);
      if (image.getDocId().equals(span.getDocId())) {
        t = image(image.getSha256(), store);
      }
    }
    return t;
  }

  /** The takedown of an image by its SHA-256 (hex), if any: it covers every document holding it. */
  public static Takedown image(String sha256, Store store) {
    return store.get(TakedownScope.IMAGE.name() + ":" + sha256.toLowerCase(Locale.ROOT));
  }

  /** The takedown that covers a document by its id, source name and URL (or null), if any. */
  public static Takedown match(String docId, String source, String documentUrl, Store store) {
    Takedown t = store.get("DOC_ID:" + docId);
    if (t == null) {
      t = store.get("SOURCE:" + source);
    }
    if (t == null && documentUrl != null) {
      String url = normalize(documentUrl);
      int start = url.indexOf("://");
      if (start > 0) {
        // scheme://host, without port or path: the shortest prefix a takedown can have
        int hostEnd = start + 3;
        while (hostEnd < url.length() && "/:?#".indexOf(url.charAt(hostEnd)) < 0) {
          hostEnd++;
        }
        String root = url.substring(0, hostEnd);
        String prefix = TakedownScope.URL_PREFIX.name() + ":";
        // every key that is a prefix of the URL sorts between its root and the URL itself
        for (Takedown candidate : store.range(prefix + root, prefix + url)) {
          if (covers(normalize(candidate.getValue()), url)) {
            return candidate;
          }
        }
      }
    }
    return t;
  }

  /** Whether a normalized URL prefix covers a normalized URL. */
  public static boolean covers(String prefix, String url) {
    if (!url.startsWith(prefix)) {
      return false;
    }
    int start = prefix.indexOf("://");
    boolean endsAtHost = start >= 0 && prefix.indexOf('/', start + 3) < 0;
    return !endsAtHost
        || url.length() == prefix.length()
        || "/?#:".indexOf(url.charAt(prefix.length())) >= 0;
  }

  /**
   * Checks a URL prefix before it is published.
   *
   * @throws IllegalArgumentException unless it is an absolute http(s) URL with a host
   */
  public static void checkUrlPrefix(String prefix) {
    URI uri;
    try {
      uri = URI.create(prefix.strip());
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null
        || uri.getScheme() == null
        || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
        || uri.getHost() == null
        || uri.getHost().isBlank()) {
      throw new IllegalArgumentException(
          "a URL prefix must be an absolute http(s) URL with a host, such as"
              + " https://example.org/path/ or https://docs.python.org/3/library/asyncio; not "
              + prefix);
    }
  }

  /** The key of a takedown, on the topic and in the store: {@code <scope>:<value>}. */
  public static String key(Takedown takedown) {
    return normalizeKey(takedown.getScope().name() + ":" + takedown.getValue());
  }

  /** A {@code <scope>:<value>} key with a URL prefix normalized; any other key as given. */
  public static String normalizeKey(String key) {
    String prefix = TakedownScope.URL_PREFIX.name() + ":";
    if (key.startsWith(TakedownScope.IMAGE.name() + ":")) {
      return key.toLowerCase(Locale.ROOT).replaceFirst("^image:", "IMAGE:");
    }
    return key.startsWith(prefix) ? prefix + normalize(key.substring(prefix.length())) : key;
  }

  /** Lower-cased scheme and host, no fragment. */
  public static String normalize(String url) {
    String u = url.strip();
    int hash = u.indexOf('#');
    if (hash >= 0) {
      u = u.substring(0, hash);
    }
    try {
      URI uri = URI.create(u);
      if (uri.getScheme() != null && uri.getRawAuthority() != null) {
        String rest = u.substring(uri.getScheme().length() + 3 + uri.getRawAuthority().length());
        return uri.getScheme().toLowerCase(Locale.ROOT)
            + "://"
            + uri.getRawAuthority().toLowerCase(Locale.ROOT)
            + rest;
      }
    } catch (IllegalArgumentException e) {
      // not a URI: compare as given
    }
    return u;
  }

  /** Publishes a takedown under its key, and waits until the broker has it. */
  public static RecordMetadata publish(KafkaClients clients, Takedown takedown) throws Exception {
    return send(clients, Takedowns.key(takedown), Topics.CORPUS_TAKEDOWNS.serialize(takedown));
  }

  /** Withdraws the takedown under a key (a tombstone), and waits until the broker has it. */
  public static RecordMetadata withdraw(KafkaClients clients, String key) throws Exception {
    return send(clients, key, null);
  }

  private static RecordMetadata send(KafkaClients clients, String key, byte[] value)
      throws Exception {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            clients.producer(
                Map.of(
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                    true,
                    ProducerConfig.MAX_BLOCK_MS_CONFIG,
                    15_000)),
            new StringSerializer(),
            new ByteArraySerializer())) {
      return producer
          .send(new ProducerRecord<>(Topics.CORPUS_TAKEDOWNS.name(), key, value))
          .get(30, TimeUnit.SECONDS);
    }
  }

  /** The takedowns in force: the latest record of each key, tombstones removing theirs. */
  public static Map<String, Takedown> inForce(KafkaClients clients) {
    Map<String, Takedown> inForce = new LinkedHashMap<>();
    for (TopicSnapshot.Entry<Takedown> e :
        TopicSnapshot.read(clients, Topics.CORPUS_TAKEDOWNS, Duration.ofSeconds(15))) {
      if (e.raw() == null) {
        inForce.remove(Takedowns.normalizeKey(e.key()));
      } else if (e.value() != null) {
        inForce.put(Takedowns.key(e.value()), e.value());
      }
    }
    return inForce;
  }
}
