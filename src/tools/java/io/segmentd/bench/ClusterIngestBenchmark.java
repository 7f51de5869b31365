package io.segmentd.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Ingest throughput of a running cluster: a closed loop of {@code POST /v1/batch} (100 events a
 * request for customers drawn from a power law, 16 requests in flight, spread over the given
 * nodes), then the same events written by a plain driver to a journal-shaped table on the same
 * Cassandra (one row per customer per request, as segmentd's journal write is), with the same
 * concurrency. Prints both and their ratio. Not a test: numbers for docs/benchmarks.md.
 *
 * <p>{@code java -cp segmentd.jar io.segmentd.bench.ClusterIngestBenchmark label cassandraHost:port seconds http://node1 [http://node2 ...]}
 */
public final class ClusterIngestBenchmark {
  private static final int EVENTS_PER_REQUEST = 100;
  private static final int IN_FLIGHT = 16;
  private static final int CUSTOMERS = 2_000;
  private static final Duration WARM_UP = Duration.ofSeconds(20);

  private ClusterIngestBenchmark() {}

  /** One request's events: customer id and JSON of each. */
  private record Request(List<String> customers, List<String> events) {
    String body() {
      return "{\"batch\": [" + String.join(",", events) + "]}";
    }
  }

  public static void main(String[] args) throws Exception {
    String label = args[0];
    String[] cassandra = args[1].split(":");
    Duration measured = Duration.ofSeconds(Integer.parseInt(args[2]));
    List<URI> nodes = new ArrayList<>();
    for (int i = 3; i < args.length; i++) nodes.add(URI.create(args[i] + "/v1/batch"));
    String run = Long.toString(System.currentTimeMillis(), 36);

    // The plain driver first, while the nodes are idle: afterwards their projections would still be
    // catching up on the same cores.
    Result raw;
    try (CqlSession cql = CqlSession.builder()
        .withConfigLoader(com.datastax.oss.driver.api.core.config.DriverConfigLoader.programmaticBuilder()
            .withDuration(com.datastax.oss.driver.api.core.config.DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10)).build())
        .addContactPoint(new InetSocketAddress(cassandra[0], Integer.parseInt(cassandra[1])))
        .withLocalDatacenter("datacenter1").build()) {
      raw = rawRun(cql, run, measured);
    }
    Result api = apiRun(nodes, run, measured);
    System.out.printf("%-10s segmentd %7.0f events/s (p50 %4d ms, p99 %5d ms per request, non-200: %s) | plain driver %7.0f events/s"
            + " (p50 %3d ms, p99 %4d ms) | ratio %.2f%n",
        label, api.rate(), api.p50(), api.p99(), api.refusals(), raw.rate(), raw.p50(), raw.p99(), api.rate() / raw.rate());
    System.exit(0); // the HTTP client's threads would keep the JVM alive
  }

  private record Result(double rate, long p50, long p99, Map<Integer, Long> refusals) {}

  private static Request request(String run) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<String> customers = new ArrayList<>();
    List<String> events = new ArrayList<>();
    Instant now = Instant.now();
    for (int e = 0; e < EVENTS_PER_REQUEST; e++) {
      // a power law: a few customers send most events
      String customer = "bench-" + run + "-" + (int) (CUSTOMERS * Math.pow(random.nextDouble(), 3));
      String id = run + "-" + random.nextLong(Long.MAX_VALUE);
      String at = now.minusMillis(random.nextInt(3_600_000)).toString();
      int kind = random.nextInt(10);
      String json = kind < 5
          ? "{\"type\":\"page\",\"userId\":\"" + customer + "\",\"name\":\"Product\",\"messageId\":\"" + id + "\",\"timestamp\":\"" + at + "\"}"
          : kind < 8
          ? "{\"type\":\"track\",\"userId\":\"" + customer + "\",\"event\":\"Product Viewed\",\"messageId\":\"" + id + "\",\"timestamp\":\"" + at
              + "\",\"properties\":{\"category\":\"shoes\"}}"
          : kind < 9
          ? "{\"type\":\"track\",\"userId\":\"" + customer + "\",\"event\":\"Email Opened\",\"messageId\":\"" + id + "\",\"timestamp\":\"" + at + "\"}"
          : "{\"type\":\"track\",\"userId\":\"" + customer + "\",\"event\":\"Order Completed\",\"messageId\":\"" + id + "\",\"timestamp\":\"" + at
              + "\",\"properties\":{\"order_id\":\"o-" + id + "\",\"revenue\":" + (5 + random.nextInt(300)) + ".90}}";
      customers.add(customer);
      events.add(json);
    }
    return new Request(customers, events);
  }

  private static Result apiRun(List<URI> nodes, String run, Duration measured) throws Exception {
    HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(4)).connectTimeout(Duration.ofSeconds(5)).build();
    String auth = "Basic " + Base64.getEncoder().encodeToString("dev-write-key:".getBytes(StandardCharsets.UTF_8));
    Map<Integer, Long> refusals = new ConcurrentHashMap<>();
    return closedLoop(measured, (n, done) -> {
      Request request = request(run);
      URI node = nodes.get((int) (n % nodes.size()));
      http.sendAsync(HttpRequest.newBuilder(node).timeout(Duration.ofSeconds(30)).header("Authorization", auth)
              .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(request.body())).build(),
          HttpResponse.BodyHandlers.discarding())
          .whenComplete((response, failure) -> {
            int status = failure != null ? 0 : response.statusCode();
            if (status != 200) refusals.merge(status, 1L, Long::sum);
            done.accept(status == 200 ? EVENTS_PER_REQUEST : 0);
          });
    }, refusals);
  }

  private static Result rawRun(CqlSession cql, String run, Duration measured) throws Exception {
    cql.execute("CREATE KEYSPACE IF NOT EXISTS bench_raw WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    cql.execute("CREATE TABLE IF NOT EXISTS bench_raw.messages (persistence_id text, partition_nr bigint, sequence_nr bigint, "
        + "timestamp timeuuid, event blob, PRIMARY KEY ((persistence_id, partition_nr), sequence_nr, timestamp))");
    PreparedStatement insert = cql.prepare(
        "INSERT INTO bench_raw.messages (persistence_id, partition_nr, sequence_nr, timestamp, event) VALUES (?, 0, ?, ?, ?)");
    AtomicLong sequence = new AtomicLong();
    return closedLoop(measured, (n, done) -> {
      Request request = request(run);
      Map<String, StringBuilder> byCustomer = new LinkedHashMap<>();
      for (int i = 0; i < request.events().size(); i++) {
        byCustomer.computeIfAbsent(request.customers().get(i), c -> new StringBuilder()).append(request.events().get(i));
      }
      List<CompletableFuture<?>> writes = new ArrayList<>();
      byCustomer.forEach((customer, events) -> writes.add(cql.executeAsync(insert.bind("Customer|" + customer, sequence.incrementAndGet(),
          Uuids.timeBased(), ByteBuffer.wrap(events.toString().getBytes(StandardCharsets.UTF_8)))).toCompletableFuture()));
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
          .whenComplete((v, failure) -> done.accept(failure == null ? EVENTS_PER_REQUEST : 0));
    }, Map.of());
  }

  private interface Send {
    void send(long n, java.util.function.IntConsumer done);
  }

  /** Keeps {@link #IN_FLIGHT} requests going; measures after the warm-up. */
  private static Result closedLoop(Duration measured, Send send, Map<Integer, Long> refusals) throws InterruptedException {
    Semaphore slots = new Semaphore(IN_FLIGHT);
    Histogram latency = new Histogram(60_000_000_000L, 3);
    AtomicLong events = new AtomicLong();
    long start = System.nanoTime();
    long measureFrom = start + WARM_UP.toNanos();
    long end = measureFrom + measured.toNanos();
    long n = 0;
    while (System.nanoTime() < end) {
      slots.acquire();
      long sent = System.nanoTime();
      send.send(n++, acknowledged -> {
        long now = System.nanoTime();
        if (sent >= measureFrom && now <= end) {
          events.addAndGet(acknowledged);
          latency.recordValue(now - sent);
        }
        slots.release();
      });
    }
    slots.acquire(IN_FLIGHT);
    return new Result(events.get() / (double) measured.toSeconds(), latency.getValueAtPercentile(50) / 1_000_000,
        latency.getValueAtPercentile(99) / 1_000_000, new java.util.TreeMap<>(refusals));
  }
}
