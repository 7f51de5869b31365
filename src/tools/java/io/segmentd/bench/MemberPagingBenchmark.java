package io.segmentd.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.segmentd.http.JsonSupport;
import io.segmentd.server.SegmentdConfig;
import io.segmentd.server.SegmentdNode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import org.HdrHistogram.Histogram;

/**
 * Pages a segment of N members (default 1,000,000) through {@code GET /v1/segments/{id}/members}
 * and, side by side on the same rows, through a plain driver reading the same partitions: pages/s
 * and latency percentiles per page. Not a test: it prints numbers for docs/benchmarks.md.
 *
 * <p>{@code java -cp segmentd.jar io.segmentd.bench.MemberPagingBenchmark [members] [pageSize]}
 */
public final class MemberPagingBenchmark {
  private static final String SEGMENT = "engagement:dormant";

  private MemberPagingBenchmark() {}

  public static void main(String[] args) throws Exception {
    int members = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int pageSize = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    String keyspace = "bench_paging";
    Config config = SegmentdConfig.resolve(ConfigFactory.load(ConfigFactory.parseMap(Map.of(
        "segmentd.cassandra.keyspace", keyspace,
        "segmentd.http.port", 0,
        "pekko.management.http.port", 0,
        "pekko.remote.artery.canonical.port", 0)).withFallback(ConfigFactory.parseResourcesAnySyntax("application"))));
    int buckets = config.getInt("segmentd.read-side.member-buckets");
    try (SegmentdNode node = SegmentdNode.start(config, Clock.systemUTC())) {
      String[] contact = config.getString("segmentd.cassandra.contact-points").split(",")[0].split(":");
      try (CqlSession cql = CqlSession.builder()
          .addContactPoint(new InetSocketAddress(contact[0], Integer.parseInt(contact[1])))
          .withLocalDatacenter(config.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"))
          .build()) {
        load(cql, keyspace, members, buckets);
        System.out.printf("segment %s: %,d members in %d buckets, pages of %,d%n", SEGMENT, members, buckets, pageSize);
        for (int round = 1; round <= 2; round++) {
          report("driver, round " + round, members, driverWalk(cql, keyspace, buckets, pageSize));
          report("HTTP API, round " + round, members, httpWalk(node.httpPort(), pageSize));
        }
      }
    }
    System.exit(0);
  }

  record Walk(Histogram latencies, long nanos, int returned) {}

  private static void load(CqlSession cql, String keyspace, int members, int buckets) {
    long existing = 0;
    for (int b = 0; b < buckets; b++) {
      existing += cql.execute("SELECT count(*) FROM " + keyspace + ".segment_members WHERE segment = ? AND bucket = ?", SEGMENT, b)
          .one().getLong(0);
    }
    if (existing == members) {
      System.out.printf("reusing %,d members already written%n", existing);
      return;
    }
    cql.execute("TRUNCATE " + keyspace + ".segment_members");
    PreparedStatement insert = cql.prepare("INSERT INTO " + keyspace + ".segment_members (segment, bucket, customer_id, since) VALUES (?, ?, ?, ?)");
    Semaphore inFlight = new Semaphore(256);
    Instant since = Instant.now();
    long start = System.nanoTime();
    for (int i = 0; i < members; i++) {
      String id = "customer-" + i;
      inFlight.acquireUninterruptibly();
      cql.executeAsync(insert.bind(SEGMENT, Math.floorMod(id.hashCode(), buckets), id, since))
          .whenComplete((r, e) -> inFlight.release());
    }
    inFlight.acquireUninterruptibly(256);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("wrote %,d members in %.1f s (%,.0f rows/s)%n", members, seconds, members / seconds);
  }

  private static Walk driverWalk(CqlSession cql, String keyspace, int buckets, int pageSize) {
    PreparedStatement page = cql.prepare("SELECT customer_id FROM " + keyspace
        + ".segment_members WHERE segment = ? AND bucket = ? AND customer_id > ? LIMIT ?");
    Histogram latencies = new Histogram(60_000_000_000L, 3);
    int returned = 0;
    long start = System.nanoTime();
    for (int b = 0; b < buckets; b++) {
      String after = "";
      while (true) {
        long t0 = System.nanoTime();
        int n = 0;
        String last = null;
        for (Row row : cql.execute(page.bind(SEGMENT, b, after, pageSize))) {
          last = row.getString(0);
          n++;
        }
        latencies.recordValue(System.nanoTime() - t0);
        returned += n;
        if (n < pageSize) break;
        after = last;
      }
    }
    return new Walk(latencies, System.nanoTime() - start, returned);
  }

  private static Walk httpWalk(int port, int pageSize) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    Histogram latencies = new Histogram(60_000_000_000L, 3);
    Set<String> seen = new HashSet<>();
    int returned = 0;
    String cursor = null;
    long start = System.nanoTime();
    do {
      URI uri = URI.create("http://127.0.0.1:" + port + "/v1/segments/" + SEGMENT + "/members?limit=" + pageSize
          + (cursor == null ? "" : "&cursor=" + cursor));
      long t0 = System.nanoTime();
      HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer dev-read-token").build(),
          HttpResponse.BodyHandlers.ofByteArray());
      JsonNode page = JsonSupport.MAPPER.readTree(response.body());
      latencies.recordValue(System.nanoTime() - t0);
      for (JsonNode m : page.get("members")) {
        seen.add(m.asText());
        returned++;
      }
      cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
    } while (cursor != null);
    if (seen.size() != returned) throw new IllegalStateException("a member was returned twice");
    return new Walk(latencies, System.nanoTime() - start, returned);
  }

  private static void report(String what, int members, Walk walk) {
    if (walk.returned() != members) throw new IllegalStateException(what + " returned " + walk.returned() + " of " + members);
    Histogram h = walk.latencies();
    double seconds = walk.nanos() / 1e9;
    System.out.printf("%-20s %,9d members  %6.1f s  %7.1f pages/s  %,9.0f members/s  per page: p50 %5.1f ms  p99 %5.1f ms  max %6.1f ms%n",
        what, walk.returned(), seconds, h.getTotalCount() / seconds, walk.returned() / seconds,
        h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6);
  }

}
