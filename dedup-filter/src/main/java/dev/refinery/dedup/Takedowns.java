package dev.refinery.dedup;

import dev.refinery.runtime.config.KafkaClients;
import dev.refinery.runtime.kafka.TopicSnapshot;
import dev.refinery.schemas.Document;
import dev.refinery.schemas.Takedown;
import dev.refinery.schemas.TakedownScope;
import dev.refinery.schemas.Topics;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Matches documents against the takedowns on {@code corpus.takedowns.v1}, keyed {@code
 * DOC_ID:<id>}, {@code SOURCE:<name>} or {@code URL_PREFIX:<prefix>}. A URL is looked up at each of
 * its prefixes that ends a path segment, so a takedown of {@code https://example.org/private/}
 * covers every page under it; scheme and host compare case-insensitively.
 */
public final class Takedowns {
  private Takedowns() {}

  /** The first takedown that covers the document, or {@code null}. */
  static Takedown match(Document doc, Function<String, Takedown> lookup) {
    Takedown t = lookup.apply("DOC_ID:" + doc.getId());
    if (t == null) {
      t = lookup.apply("SOURCE:" + doc.getSource().getName());
    }
    if (t == null && doc.getUrl() != null) {
      for (String prefix : prefixes(doc.getUrl())) {
        t = lookup.apply("URL_PREFIX:" + prefix);
        if (t != null) {
          break;
        }
      }
    }
    return t;
  }

  /** The key of a takedown, on the topic and in the store: {@code <scope>:<value>}. */
  public static String key(Takedown takedown) {
    return normalizeKey(takedown.getScope().name() + ":" + takedown.getValue());
  }

  /** A {@code <scope>:<value>} key with a URL prefix normalized; any other key as given. */
  public static String normalizeKey(String key) {
    String prefix = TakedownScope.URL_PREFIX.name() + ":";
    return key.startsWith(prefix) ? prefix + normalize(key.substring(prefix.length())) : key;
  }

  /** {@code scheme://host}, then each prefix ending in '/', then the whole URL. */
  static List<String> prefixes(String url) {
    String normal = normalize(url);
    List<String> out = new ArrayList<>();
    int start = normal.indexOf("://");
    int pathStart = start < 0 ? -1 : normal.indexOf('/', start + 3);
    if (pathStart < 0) {
      out.add(normal);
      return out;
    }
    out.add(normal.substring(0, pathStart));
    for (int i = pathStart; i >= 0; i = normal.indexOf('/', i + 1)) {
      out.add(normal.substring(0, i + 1));
    }
    out.add(normal);
    return out;
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
