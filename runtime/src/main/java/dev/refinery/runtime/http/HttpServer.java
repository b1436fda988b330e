package dev.refinery.runtime.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one HTTP server of every Refinery service, on Jetty: exact routes (a path, or a template with
 * {@code {name}} segments) per method, one error policy, limits on every request, and a graceful
 * stop.
 *
 * <p>Error policy: a refusal ({@link HttpError}) is its status with {@code {"error", "field"}}; an
 * unknown path is 404 and a known path with another method 405 with {@code Allow}, both in the same
 * JSON shape; anything a handler throws is a 500 whose body says what failed (and the stack trace
 * is logged). No request goes unanswered.
 *
 * <pre>{@code
 * HttpServer server = HttpServer.builder("ingest", HttpSettings.loopback(8470))
 *     .post("/v1/sources/{source}/documents", this::documents)
 *     .metrics(registry, this::health)
 *     .start();
 * }</pre>
 */
public final class HttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

  private final String name;
  private final Server server;
  private final ServerConnector connector;
  private final boolean tls;
  private final Bodies bodies;
  private final Bodies open;

  private HttpServer(
      String name,
      Server server,
      ServerConnector connector,
      boolean tls,
      Bodies bodies,
      Bodies open) {
    this.name = name;
    this.server = server;
    this.connector = connector;
    this.tls = tls;
    this.bodies = bodies;
    this.open = open;
  }

  /** The bytes of network buffers kept for reuse, in the heap and outside it. */
  long pooledBytes() {
    ArrayByteBufferPool pool = (ArrayByteBufferPool) server.getByteBufferPool();
    return pool.getHeapMemory() + pool.getDirectMemory();
  }

  /** The bytes of request bodies held now ({@link HttpSettings#maxBodiesBytes}). */
  long bodiesHeld() {
    return bodies.held();
  }

  /** The bytes of bodies held now for routes that take no token. */
  long openBodiesHeld() {
    return open.held();
  }

  /** The requests waiting for room for their bodies now, with a token or without. */
  int bodiesWaiting() {
    return bodies.waiting() + open.waiting();
  }

  /** A server named for its logs and threads, with its settings. */
  public static Builder builder(String name, HttpSettings settings) {
    return new Builder(name, settings);
  }

  /** The port it listens on (the chosen one when configured with 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** The interface it listens on. */
  public String host() {
    return connector.getHost();
  }

  /** {@code http(s)://host:port}, with loopback for a wildcard bind. */
  public URI uri() {
    String host = connector.getHost();
    if (host == null || host.equals("0.0.0.0") || host.equals("::")) {
      host = "127.0.0.1";
    }
    return URI.create(
        (tls ? "https://" : "http://")
            + (host.contains(":") ? "[" + host + "]" : host)
            + ":"
            + port());
  }

  /** Stops taking connections, lets requests under way finish (up to 5 s), then closes. */
  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      LOG.warn("{} HTTP server did not stop cleanly: {}", name, e.toString());
    }
  }

  /** Routes and settings of a server. */
  public static final class Builder {
    private final String name;
    private final HttpSettings settings;
    private final List<Route> routes = new ArrayList<>();
    private PrometheusMeterRegistry registry;

    private Builder(String name, HttpSettings settings) {
      this.name = name;
      this.settings = settings;
    }

    public Builder get(String path, Handler handler) {
      return route("GET", path, settings.maxBodyBytes(), null, handler);
    }

    /** A GET route whose guard checks the request's headers (its token, say) first. */
    public Builder get(String path, Guard guard, Handler handler) {
      return route("GET", path, settings.maxBodyBytes(), guard, handler);
    }

    public Builder post(String path, Handler handler) {
      return route("POST", path, settings.maxBodyBytes(), null, handler);
    }

    /**
     * A POST route whose guard checks the request's headers (its token, say) before a byte of its
     * body is read.
     */
    public Builder post(String path, Guard guard, Handler handler) {
      return route("POST", path, settings.maxBodyBytes(), guard, handler);
    }

    /** A POST route whose body limit differs from the server's. */
    public Builder post(String path, long maxBodyBytes, Handler handler) {
      return route("POST", path, maxBodyBytes, null, handler);
    }

    /** A POST route whose body limit differs from the server's, behind a guard. */
    public Builder post(String path, long maxBodyBytes, Guard guard, Handler handler) {
      return route("POST", path, maxBodyBytes, guard, handler);
    }

    public Builder route(
        String method, String path, long maxBodyBytes, Guard guard, Handler handler) {
      Route route = new Route(method, Route.segments(path), path, maxBodyBytes, guard, handler);
      for (Route other : routes) {
        if (other.method().equals(method) && other.pattern().equals(path)) {
          throw new IllegalArgumentException(method + " " + path + " is routed twice");
        }
      }
      routes.add(route);
      return this;
    }

    /** {@code GET /metrics} (Prometheus text) and {@code GET /health} (200 up, 503 down). */
    public Builder metrics(PrometheusMeterRegistry registry, Supplier<Health> health) {
      this.registry = registry;
      get(
          "/metrics",
          ex ->
              ex.send(
                  200,
                  "text/plain; version=0.0.4; charset=utf-8",
                  registry.scrape().getBytes(StandardCharsets.UTF_8)));
      get("/health", ex -> health(ex, health));
      return this;
    }

    /** Serves a classpath resource at a path. */
    public Builder resource(String path, String resource, String contentType, String cache) {
      return get(
          path,
          ex -> {
            try (InputStream in = HttpServer.class.getClassLoader().getResourceAsStream(resource)) {
              if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
              }
              ex.header("Cache-Control", cache);
              ex.send(200, contentType, in.readAllBytes());
            }
          });
    }

    /**
     * The most bytes of network buffers the server keeps for reuse, in the heap and again outside
     * it. A connection reads through one buffer at a time and a body is copied out of it at once
     * ({@link BodyReader}), so a few hundred connections fit. Jetty's default keeps up to an eighth
     * of the heap's maximum in each, which made a service's memory depend on its past peaks.
     */
    static final long POOL_BYTES_KEPT = 8L * 1024 * 1024;

    /**
     * Binds and starts serving.
     *
     * @throws java.io.UncheckedIOException naming the address when it cannot be bound
     */
    public HttpServer start() {
      QueuedThreadPool threads = new QueuedThreadPool(settings.threads() + 4, 2);
      threads.setName(name + "-http");
      threads.setDaemon(true);
      Server server =
          new Server(
              threads,
              null,
              new ArrayByteBufferPool(0, -1, -1, -1, POOL_BYTES_KEPT, POOL_BYTES_KEPT));
      HttpConfiguration http = new HttpConfiguration();
      http.setSendServerVersion(false);
      http.setSendDateHeader(false);
      http.setRequestHeaderSize(16 * 1024);
      http.setIdleTimeout(settings.idleTimeout().toMillis());
      ServerConnector connector;
      if (settings.tlsKeystore() != null) {
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setKeyStorePath(settings.tlsKeystore());
        tls.setKeyStoreType("PKCS12");
        tls.setKeyStorePassword(settings.tlsKeystorePassword());
        http.addCustomizer(new SecureRequestCustomizer(false));
        connector =
            new ServerConnector(
                server,
                1,
                1,
                new SslConnectionFactory(tls, "http/1.1"),
                new HttpConnectionFactory(http));
      } else {
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
      }
      connector.setHost(settings.host());
      connector.setPort(settings.port());
      connector.setIdleTimeout(settings.idleTimeout().toMillis());
      connector.setAcceptQueueSize(128);
      connector.setReuseAddress(true);
      server.addConnector(connector);
      Bodies bodies = new Bodies(settings.maxBodiesBytes());
      Bodies open = new Bodies(Math.max(1, settings.maxBodiesBytes() / 4));
      if (registry != null) {
        io.micrometer.core.instrument.Gauge.builder("refinery.http.bodies", bodies, Bodies::held)
            .baseUnit("bytes")
            .description("Bytes of request bodies held, read or being handled, past a token")
            .tag("server", name)
            .register(registry);
        io.micrometer.core.instrument.Gauge.builder("refinery.http.bodies.open", open, Bodies::held)
            .baseUnit("bytes")
            .description("Bytes of request bodies held for routes that take no token")
            .tag("server", name)
            .register(registry);
        io.micrometer.core.instrument.Gauge.builder(
                "refinery.http.bodies.waiting", () -> bodies.waiting() + open.waiting())
            .description("Requests waiting for room for their bodies")
            .tag("server", name)
            .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder(
                "refinery.http.bodies.refused", bodies, b -> b.refused() + open.refused())
            .description("Requests answered 503 after waiting the request timeout for room")
            .tag("server", name)
            .register(registry);
      }
      server.setHandler(new Dispatcher(name, List.copyOf(routes), settings, bodies, open));
      server.setStopTimeout(5_000);
      server.setStopAtShutdown(false);
      try {
        server.start();
      } catch (Exception e) {
        try {
          server.stop();
        } catch (Exception ignored) {
          // it did not start
        }
        throw new java.io.UncheckedIOException(
            "the "
                + name
                + " HTTP server cannot listen on "
                + settings.host()
                + ":"
                + settings.port()
                + " ("
                + e.getMessage()
                + "): choose a free port, 0 for any",
            e instanceof java.io.IOException io ? io : new java.io.IOException(e));
      }
      LOG.info("{} HTTP on {}:{}", name, settings.host(), connector.getLocalPort());
      return new HttpServer(name, server, connector, settings.tlsKeystore() != null, bodies, open);
    }
  }

  private static void health(Exchange ex, Supplier<Health> health) {
    Health h;
    try {
      h = health.get();
    } catch (RuntimeException e) {
      h = Health.down(Map.of("error", e.toString()));
    }
    ObjectNode body = Exchange.JSON.createObjectNode().put("status", h.up() ? "UP" : "DOWN");
    h.details().forEach((k, v) -> body.set(k, Exchange.JSON.valueToTree(v)));
    ex.header("Cache-Control", "no-cache");
    ex.json(h.up() ? 200 : 503, body);
  }

  /** A method and a path pattern. */
  record Route(
      String method,
      String[] segments,
      String pattern,
      long maxBodyBytes,
      Guard guard,
      Handler handler) {
    static String[] segments(String path) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("a route's path starts with /: " + path);
      }
      return path.equals("/") ? new String[0] : path.substring(1).split("/", -1);
    }

    /** The path parameters when the path matches, else {@code null}. */
    Map<String, String> match(String[] path) {
      if (path.length != segments.length) {
        return null;
      }
      Map<String, String> parameters = Map.of();
      for (int i = 0; i < path.length; i++) {
        String s = segments[i];
        if (s.startsWith("{") && s.endsWith("}")) {
          if (path[i].isEmpty()) {
            return null;
          }
          if (parameters.isEmpty()) {
            parameters = new LinkedHashMap<>();
          }
          parameters.put(s.substring(1, s.length() - 1), path[i]);
        } else if (!s.equals(path[i])) {
          return null;
        }
      }
      return parameters;
    }
  }

  /**
   * The bytes of request bodies a server holds, from the moment it starts reading one until its
   * request is answered, within {@link HttpSettings#maxBodiesBytes}. A request whose body does not
   * fit waits, holding no thread, in the order requests came, until the bodies before it are
   * answered; the first in line is never passed by a smaller one behind it, so that a large body is
   * not put off for ever.
   */
  static final class Bodies {
    private final long max;
    private final java.util.ArrayDeque<Waiting> waiting = new java.util.ArrayDeque<>();
    private long held;
    private long refused;

    /** A request waiting for room: its share, and what reads its body once it has room. */
    static final class Waiting {
      private final long share;
      private final Runnable start;

      /** Until it starts or gives up: the connection's idle timeout does not count while it is. */
      private volatile boolean inLine = true;

      /**
       * What gives up after the request timeout, cancelled when the request leaves the line: it
       * holds the request, and would keep its body reachable until it fired, long after the answer
       * (eight 60 MB bodies stayed in ingest's heap after their pushes were answered).
       */
      private org.eclipse.jetty.util.thread.Scheduler.Task timeout;

      private Waiting(long share, Runnable start) {
        this.share = share;
        this.start = start;
      }

      /** Sets what gives up on it; cancelled at once if it has left the line already. */
      synchronized void timeout(org.eclipse.jetty.util.thread.Scheduler.Task task) {
        if (inLine) {
          timeout = task;
        } else {
          task.cancel();
        }
      }

      /** Out of line, started or given up on: its timeout is cancelled. */
      private synchronized void leave() {
        inLine = false;
        if (timeout != null) {
          timeout.cancel();
          timeout = null;
        }
      }
    }

    Bodies(long max) {
      this.max = max;
    }

    /**
     * What a request's body counts: its declared length, else the route's limit (it may be that
     * long), and at most the whole budget, so that a body the route takes is always read once
     * nothing else is held.
     */
    long share(long declaredLength, long routeLimit) {
      return Math.min(max, declaredLength >= 0 ? declaredLength : routeLimit);
    }

    /**
     * Holds {@code share} and runs {@code start} now if it fits and no request waits before it;
     * else queues it, to run once it fits ({@link #give}).
     *
     * @return {@code null} when it ran now, else the place in line, for {@link #abandon}
     */
    Waiting take(long share, Runnable start) {
      synchronized (this) {
        if (!waiting.isEmpty() || held + share > max) {
          Waiting w = new Waiting(share, start);
          waiting.add(w);
          return w;
        }
        held += share;
      }
      start.run();
      return null;
    }

    /** Gives a share back and starts the requests in line that now fit. */
    void give(long share) {
      List<Runnable> starts;
      synchronized (this) {
        held -= share;
        starts = admit();
      }
      start(starts);
    }

    /**
     * Takes a request out of line that has waited too long; whether it was still waiting (else it
     * has started, and goes on).
     */
    boolean abandon(Waiting w) {
      List<Runnable> starts;
      synchronized (this) {
        if (!waiting.remove(w)) {
          return false;
        }
        w.leave();
        refused++;
        // the first in line may have been the one that did not fit
        starts = admit();
      }
      start(starts);
      return true;
    }

    /**
     * Starts requests let out of line, on the thread that gave room back: each on its own, so that
     * one that fails to start neither keeps the others waiting nor fails the request that gave.
     */
    private static void start(List<Runnable> starts) {
      for (Runnable start : starts) {
        try {
          start.run();
        } catch (RuntimeException e) {
          LOG.warn("a request let out of line for its body could not start: {}", e.toString());
        }
      }
    }

    private List<Runnable> admit() {
      List<Runnable> starts = List.of();
      while (!waiting.isEmpty() && held + waiting.peek().share <= max) {
        Waiting w = waiting.poll();
        w.leave();
        held += w.share;
        if (starts.isEmpty()) {
          starts = new ArrayList<>();
        }
        starts.add(w.start);
      }
      return starts;
    }

    long max() {
      return max;
    }

    synchronized long held() {
      return held;
    }

    synchronized int waiting() {
      return waiting.size();
    }

    synchronized long refused() {
      return refused;
    }
  }

  /** Finds the route, runs it, applies the error policy. */
  private static final class Dispatcher extends org.eclipse.jetty.server.Handler.Abstract {
    private final String name;
    private final List<Route> routes;
    private final HttpSettings settings;
    private final Bodies bodies;
    private final Bodies open;

    /**
     * @param bodies the bound of the bodies of routes with a guard (a token), read once it passed
     * @param open a bound of their own for the bodies of routes without one (a webhook signed over
     *     its body, or a body sent to a GET), so that clients without a token never keep a request
     *     with one waiting
     */
    Dispatcher(String name, List<Route> routes, HttpSettings settings, Bodies bodies, Bodies open) {
      this.name = name;
      this.routes = routes;
      this.settings = settings;
      this.bodies = bodies;
      this.open = open;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String path = request.getHttpURI().getDecodedPath();
      String[] segments;
      try {
        segments = Route.segments(path == null || path.isEmpty() ? "/" : path);
      } catch (IllegalArgumentException e) {
        segments = new String[] {"\0"};
      }
      Route route = null;
      Map<String, String> parameters = null;
      TreeSet<String> allowed = new TreeSet<>();
      for (Route r : routes) {
        Map<String, String> p = r.match(segments);
        if (p != null) {
          allowed.add(r.method());
          if (r.method().equals(request.getMethod())
              || (request.getMethod().equals("HEAD") && r.method().equals("GET"))) {
            route = r;
            parameters = p;
            break;
          }
        }
      }
      Exchange ex =
          new Exchange(
              request,
              response,
              parameters == null ? Map.of() : parameters,
              route == null ? 0 : route.maxBodyBytes(),
              route != null && route.maxBodyBytes() == settings.maxBodyBytes()
                  ? settings.maxBodySetting()
                  : null);
      try {
        if (route == null) {
          if (allowed.isEmpty()) {
            throw HttpError.notFound(null, "no such endpoint: " + request.getMethod() + " " + path);
          }
          ex.header("Allow", String.join(", ", allowed));
          throw new HttpError(
              405, null, request.getMethod() + " is not served at " + path + "; use " + allowed);
        }
        if (route.guard() != null) {
          route.guard().check(ex);
        }
        if (ex.declaredLength() > route.maxBodyBytes()) {
          throw ex.tooLarge();
        }
      } catch (HttpError e) {
        refuseUnread(
            ex,
            request,
            callback,
            e.status() == 413,
            () -> answerError(ex, e.status(), e.field(), e.getMessage()));
        return true;
      } catch (Exception | LinkageError e) {
        refuseUnread(ex, request, callback, false, () -> fail(ex, request, path, e));
        return true;
      }
      if (ex.declaredLength() == 0
          || ex.declaredLength() < 0
              && !request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)) {
        // HTTP/1.1: a request with neither a length nor a chunked body has none
        ex.body(new byte[0]);
        run(new Call(route, ex, request, path, callback), bodies, 0);
        return true;
      }
      Bodies pool = route.guard() != null ? bodies : open;
      long share = pool.share(ex.declaredLength(), route.maxBodyBytes());
      Call call = new Call(route, ex, request, path, callback);
      Bodies.Waiting waiting = pool.take(share, () -> readAndRun(call, pool, share));
      if (waiting != null) {
        // no room for the body yet: it waits, holding no thread, up to the request timeout; the
        // server reads nothing of it meanwhile, so the connection's idle timeout would fail it
        // (it did, as a 408 once it was let out of line) if it counted
        request.addIdleTimeoutListener(timeout -> !waiting.inLine);
        waiting.timeout(
            request
                .getComponents()
                .getScheduler()
                .schedule(
                    () -> {
                      if (pool.abandon(waiting)) {
                        ex.header("Retry-After", "1");
                        refuseUnread(
                            ex,
                            request,
                            callback,
                            true,
                            () -> answerError(ex, 503, null, busy(pool.max())));
                      }
                    },
                    settings.requestTimeout().toMillis(),
                    TimeUnit.MILLISECONDS));
      }
      return true;
    }

    /**
     * Reads the body as it arrives, holding no thread, then runs the handler once it is all in;
     * {@code share} of the {@code pool}'s budget is held until then.
     */
    private void readAndRun(Call call, Bodies pool, long share) {
      try {
        readBody(
            call.request(),
            call.route().maxBodyBytes(),
            (bytes, failure) -> {
              if (failure != null) {
                refuseBody(call.ex(), failure);
                pool.give(share);
                call.ex().complete(call.callback());
              } else {
                call.ex().body(bytes);
                run(call, pool, share);
              }
            });
      } catch (RuntimeException e) {
        pool.give(share);
        throw e;
      }
    }

    private String busy(long max) {
      String setting = settings.maxBodiesSetting();
      return "the service holds "
          + max
          + " bytes of request bodies at most"
          + (setting == null ? "" : " (" + setting + ")")
          + ", and this one waited "
          + settings.requestTimeout().toMillis()
          + " ms for room; retry after a second, or send fewer requests at once";
    }

    /**
     * Reads the body as it arrives, holding no thread ({@link BodyReader}), up to {@code limit}
     * bytes (a longer one fails with {@link BodyReader.TooLarge}) and within the request timeout;
     * then runs {@code then} on the server's executor with the bytes or the failure.
     */
    private void readBody(
        Request request, long limit, java.util.function.BiConsumer<byte[], Throwable> then) {
      BodyReader.read(request, request.getLength(), limit)
          .orTimeout(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .whenComplete(
              (bytes, failure) ->
                  request.getComponents().getExecutor().execute(() -> then.accept(bytes, failure)));
    }

    /**
     * Answers a request refused before its body is read (not authorized, no such endpoint, too
     * large). Its connection ends (the unread body would be taken for the next request), and the
     * answer says so, or a pooling client sends its next request on the closed connection and gets
     * nothing back.
     *
     * <p>A refusal of who asks is answered at once, without waiting for a byte of the body. A body
     * declared too large ({@code swallow}), from a client that may well be sending it, is first
     * read and dropped, unprocessed, if it is at most {@link #SWALLOW_BYTES}, within the request
     * timeout and holding no thread: a socket closed with bytes unread is reset, and the client
     * would lose the 413 with it.
     */
    private void refuseUnread(
        Exchange ex, Request request, Callback callback, boolean swallow, Runnable answer) {
      long length = ex.declaredLength();
      if (length != 0) {
        ex.closeAfter();
      }
      Runnable respond =
          () -> {
            answer.run();
            ex.complete(callback);
          };
      if (swallow && length != 0 && length <= SWALLOW_BYTES) {
        readBody(request, SWALLOW_BYTES, (bytes, failure) -> respond.run());
      } else {
        respond.run();
      }
    }

    /** The most of a refused request's body read (and dropped) before the answer. */
    static final long SWALLOW_BYTES = 1 << 20;

    /**
     * Runs the handler and answers; {@code share} of the {@code pool}'s budget, held for this
     * request, is given back before the answer is sent, so that a client's next request finds it
     * free.
     */
    private void run(Call call, Bodies pool, long share) {
      Exchange ex = call.ex();
      try {
        call.route().handler().handle(ex);
      } catch (HttpError e) {
        answerError(ex, e.status(), e.field(), e.getMessage());
      } catch (Exception | LinkageError e) {
        fail(ex, call.request(), call.path(), e);
      } finally {
        pool.give(share);
      }
      ex.complete(call.callback());
    }

    /** A request routed and past its guard: what reading its body and running it need. */
    private record Call(
        Route route, Exchange ex, Request request, String path, Callback callback) {}

    private void fail(Exchange ex, Request request, String path, Throwable e) {
      LOG.error("{}: {} {} failed", name, request.getMethod(), path, e);
      answerError(ex, 500, null, "internal error: " + e);
    }

    private void refuseBody(Exchange ex, Throwable failure) {
      Throwable cause =
          failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure;
      ex.closeAfter();
      if (cause instanceof java.util.concurrent.TimeoutException) {
        answerError(
            ex,
            408,
            null,
            "the request body did not all arrive in "
                + settings.requestTimeout().toMillis()
                + " ms; send it faster or in smaller requests");
      } else if (cause instanceof BodyReader.TooLarge) {
        // the read stops at the limit: the body is longer than the route takes
        HttpError e = ex.tooLarge();
        answerError(ex, e.status(), e.field(), e.getMessage());
      } else {
        answerError(ex, 400, null, "cannot read the request body: " + cause.getMessage());
      }
    }

    private static void answerError(Exchange ex, int status, String field, String message) {
      if (ex.answered()) {
        // a streamed body broke off half way: the status is sent; the connection ends
        return;
      }
      ObjectNode body = Exchange.JSON.createObjectNode().put("error", message);
      if (field != null) {
        body.put("field", field);
      }
      ex.json(status, body);
    }
  }
}
