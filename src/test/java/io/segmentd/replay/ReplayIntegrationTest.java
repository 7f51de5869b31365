package io.segmentd.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.segmentd.http.JsonSupport;
import io.segmentd.server.SegmentdNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** The replay tools on a real Cassandra, against the journals of a running node. */
@ExtendWith(CassandraExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplayIntegrationTest {
  private static final String KEYSPACE = "it_replay";
  private static final int CUSTOMERS = 300;
  private static final Instant NOW = Instant.parse("2024-06-01T00:00:00Z");
  private static final MutableClock clock = new MutableClock(NOW);
  private static LocalCassandra cassandra;
  private static SegmentdNode node;
  private static ApiClient api;
  private static CqlSession cql;

  @BeforeAll
  static void ingestAKnownHistory(LocalCassandra local) {
    cassandra = local;
    node = SegmentdNode.start(config(Map.of()), clock);
    api = new ApiClient(node.httpPort());
    List<String> events = new ArrayList<>();
    for (int c = 0; c < CUSTOMERS; c++) {
      // c-i viewed products (i % 30) times in the last 9 days, and every fourth ordered (i % 50) days and an hour ago.
      for (int i = 0; i < c % 30; i++) {
        events.add(track("c-" + c, "v-" + c + "-" + i, NOW.minus(Duration.ofHours(1 + 7L * i)), "Product Viewed", ""));
      }
      if (c % 30 == 0) events.add("{\"type\": \"identify\", \"userId\": \"c-" + c + "\", \"messageId\": \"id-" + c + "\", \"timestamp\": \""
          + NOW.minus(Duration.ofDays(3)) + "\"}");
      if (c % 4 == 0) events.add(track("c-" + c, "o-" + c, NOW.minus(Duration.ofDays(c % 50).plusHours(1)), "Order Completed",
          ", \"properties\": {\"order_id\": \"o-" + c + "\", \"revenue\": " + (10 + c) + "}"));
    }
    for (int i = 0; i < events.size(); i += 400) {
      assertEquals(200, api.post("/v1/batch", "{\"batch\": [" + String.join(",", events.subList(i, Math.min(events.size(), i + 400))) + "]}").status());
    }
    Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
        assertTrue(api.get("/v1/read-side/check").json().get("consistent").asBoolean()));
    cql = io.segmentd.testing.TestCql.session("127.0.0.1", cassandra.port());
  }

  @AfterAll
  static void stop() {
    if (cql != null) cql.close();
    if (node != null) node.close();
  }

  private static Config config(Map<String, Object> overrides) {
    Map<String, Object> all = new HashMap<>(Map.of(
        "pekko.persistence.cassandra.events-by-tag.eventual-consistency-delay", "1s",
        "pekko.persistence.cassandra.query.refresh-interval", "500ms",
        "segmentd.replay.lease-grace", "1s"));
    all.putAll(overrides);
    return TestNodes.config(cassandra.contactPoint(), KEYSPACE, LocalCassandra.freePort(), all);
  }

  private static String track(String customer, String messageId, Instant at, String event, String more) {
    return "{\"type\": \"track\", \"userId\": \"" + customer + "\", \"messageId\": \"" + messageId + "\", \"timestamp\": \"" + at
        + "\", \"event\": \"" + event + "\"" + more + "}";
  }

  /** Runs {@code segmentd replay ...} in this JVM; returns the exit code and what it printed. */
  private record Run(int exit, String out, String err) {}

  private static Run replay(Map<String, Object> overrides, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = new ReplayCli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        () -> ReplayEnvironment.open(config(overrides), Clock.systemUTC())).run(args);
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Every member row (segment/customer/since) and every segment's count. */
  private static Map<String, Object> readSide() {
    TreeSet<String> rows = new TreeSet<>();
    for (Row row : cql.execute("SELECT segment, bucket, customer_id, since FROM " + KEYSPACE + ".segment_members")) {
      rows.add(row.getString("segment") + "/" + row.getInt("bucket") + "/" + row.getString("customer_id") + "/" + row.getInstant("since"));
    }
    Map<String, Long> counts = new TreeMap<>();
    for (Row row : cql.execute("SELECT segment, members FROM " + KEYSPACE + ".segment_bucket_counts")) {
      counts.merge(row.getString("segment"), row.getLong("members"), Long::sum);
    }
    counts.values().removeIf(n -> n == 0);
    return Map.of("rows", rows, "counts", counts);
  }

  private static void truncateReadSide() {
    cql.execute("TRUNCATE " + KEYSPACE + ".segment_members");
    cql.execute("TRUNCATE " + KEYSPACE + ".segment_bucket_counts");
  }

  @Test
  @Order(1)
  void rebuildRestoresATruncatedReadSideRowByRow() {
    Map<String, Object> before = readSide();
    assertTrue(((Set<?>) before.get("rows")).size() > 900, "a varied read side: " + ((Set<?>) before.get("rows")).size());
    truncateReadSide();
    assertEquals(0, ((Set<?>) readSide().get("rows")).size());

    Run run = replay(Map.of(), "rebuild");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.out().contains(String.format("%,d customers", CUSTOMERS)), run.out());

    assertEquals(before, readSide());
    JsonNode check = api.get("/v1/read-side/check").json();
    assertTrue(check.get("consistent").asBoolean(), check.toString());
    assertEquals(CUSTOMERS, check.get("customers").asInt());
  }

  @Test
  @Order(2)
  void aRebuildKilledMidwayResumesFromItsCheckpointAndFinishesWithTheSameResult() throws Exception {
    Map<String, Object> before = readSide();
    truncateReadSide();
    Map<String, Object> slow = Map.of("segmentd.replay.token-ranges", 4096, "segmentd.replay.parallelism", 1,
        "segmentd.replay.write-batch-rows", 10);
    Path log = Files.createTempFile("replay-rebuild", ".log");
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
        "-Dsegmentd.cassandra.contact-points=" + cassandra.contactPoint(), "-Dsegmentd.cassandra.keyspace=" + KEYSPACE,
        "-Dsegmentd.replay.token-ranges=4096", "-Dsegmentd.replay.parallelism=1", "-Dsegmentd.replay.lease-grace=1s",
        "-Dsegmentd.replay.write-batch-rows=10",
        "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        "io.segmentd.server.Main", "replay", "rebuild"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String run = Rebuild.runId(new Rebuild.Options(Set.of(), Set.of(), java.util.Optional.empty(), false), 4096);
    try {
      Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50)).until(() ->
          !process.isAlive() || cql.execute("SELECT COUNT(*) AS n FROM " + KEYSPACE + ".replay_ranges WHERE run = ?", run).one().getLong("n") >= 300);
      assertTrue(process.isAlive(), "the rebuild was still running when killed: " + Files.readString(log));
    } finally {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    long done = cql.execute("SELECT COUNT(*) AS n FROM " + KEYSPACE + ".replay_ranges WHERE run = ?", run).one().getLong("n");
    assertTrue(done < 4096, "killed before the end: " + done);

    Run resumed = replay(slow, "rebuild");
    assertEquals(0, resumed.exit(), resumed.err());
    assertTrue(resumed.out().contains("resuming run " + run + ", " + done + " of 4096 ranges done"), resumed.out());
    assertEquals(before, readSide());
  }

  @Test
  @Order(3)
  void diffReportsExactlyTheCustomersWhoseMembershipChangesUnderNewThresholds() throws Exception {
    Path definitions = Files.createTempFile("definitions", ".conf");
    Files.writeString(definitions, "segmentd.segments.engagement { high-min-interactions = 10, average-min-interactions = 3 }\n");
    Run run = replay(Map.of(), "diff", "--definitions", definitions.toString(), "--at", NOW.toString(), "--json", "--samples", "1000");
    assertEquals(0, run.exit(), run.err());
    JsonNode report = JsonSupport.MAPPER.readTree(run.out());
    assertEquals(CUSTOMERS, report.get("customers").asInt());

    // Independently: c-i has i % 30 interactions in the window, and one more for an order in it.
    Map<String, Set<String>> entering = new TreeMap<>();
    Map<String, Set<String>> leaving = new TreeMap<>();
    for (int c = 0; c < CUSTOMERS; c++) {
      int interactions = c % 30 + (c % 4 == 0 && c % 50 < 30 ? 1 : 0);
      String was = level(interactions, 20, 5);
      String will = level(interactions, 10, 3);
      if (!was.equals(will)) {
        leaving.computeIfAbsent("engagement:" + was, s -> new TreeSet<>()).add("c-" + c);
        entering.computeIfAbsent("engagement:" + will, s -> new TreeSet<>()).add("c-" + c);
      }
    }
    Map<String, Set<String>> reportedEntering = new TreeMap<>();
    Map<String, Set<String>> reportedLeaving = new TreeMap<>();
    for (JsonNode segment : report.get("segments")) {
      String id = segment.get("segment").asText();
      assertTrue(id.startsWith("engagement:"), "only engagement changes: " + id);
      assertTrue(segment.get("definitionChanged").asBoolean(), id);
      assertEquals(segment.get("before").asLong() + segment.get("entering").asLong() - segment.get("leaving").asLong(),
          segment.get("after").asLong(), id);
      segment.get("enteringSample").forEach(c -> reportedEntering.computeIfAbsent(id, s -> new TreeSet<>()).add(c.asText()));
      segment.get("leavingSample").forEach(c -> reportedLeaving.computeIfAbsent(id, s -> new TreeSet<>()).add(c.asText()));
      assertEquals(entering.getOrDefault(id, Set.of()).size(), segment.get("entering").asInt(), id);
      assertEquals(leaving.getOrDefault(id, Set.of()).size(), segment.get("leaving").asInt(), id);
    }
    assertEquals(entering, reportedEntering);
    assertEquals(leaving, reportedLeaving);

    Run table = replay(Map.of(), "diff", "--definitions", definitions.toString(), "--at", NOW.toString());
    assertEquals(0, table.exit(), table.err());
    assertTrue(table.out().contains("engagement:high"), table.out());
  }

  private static String level(int interactions, int high, int average) {
    return interactions >= high ? "high" : interactions >= average ? "average" : interactions >= 1 ? "occasional" : "dormant";
  }

  @Test
  @Order(4)
  void asOfACustomerEqualsWhatTheApiAnswersForThatInstant() throws Exception {
    Instant asOf = NOW.minus(Duration.ofDays(5));
    Run run = replay(Map.of(), "as-of", asOf.toString(), "--customer", "c-29", "--json");
    assertEquals(0, run.exit(), run.err());
    JsonNode cli = JsonSupport.MAPPER.readTree(run.out());
    List<String> fromCli = new ArrayList<>();
    cli.get("segments").forEach(m -> fromCli.add(m.get("segment").asText()));
    List<String> fromApi = new ArrayList<>();
    api.get("/v1/customers/c-29/segments?asOf=" + asOf).json().get("segments").forEach(s -> fromApi.add(s.asText()));
    assertEquals(fromApi, fromCli);
    // c-29 viewed 29 times, 7 hours apart from an hour before NOW; as of five days before, only the 12 views by then count.
    long views = java.util.stream.IntStream.range(0, 29).filter(i -> !NOW.minus(Duration.ofHours(1 + 7L * i)).isAfter(asOf)).count();
    assertEquals(12, views);
    assertEquals(views, cli.get("eventCount").asLong());

    Run segment = replay(Map.of(), "as-of", NOW.toString(), "--segment", "engagement:high");
    assertEquals(0, segment.exit(), segment.err());
    Set<String> expected = new TreeSet<>();
    for (int c = 0; c < CUSTOMERS; c++) if (c % 30 + (c % 4 == 0 && c % 50 < 30 ? 1 : 0) >= 20) expected.add("c-" + c);
    assertEquals(expected, new TreeSet<>(List.of(segment.out().strip().split("\n"))));
  }

  @Test
  @Order(5)
  void verifyPassesAHealthyJournalAndReportsAGapAndAnUnreadableEvent() {
    Run healthy = replay(Map.of(), "verify");
    assertEquals(0, healthy.exit(), healthy.out() + healthy.err());
    assertTrue(healthy.out().contains("healthy"), healthy.out());

    long last = cql.execute("SELECT MAX(sequence_nr) AS n FROM " + KEYSPACE + ".messages WHERE persistence_id = 'Customer|c-7' AND partition_nr = 0")
        .one().getLong("n");
    cql.execute("INSERT INTO " + KEYSPACE + ".messages (persistence_id, partition_nr, sequence_nr, timestamp, timebucket, writer_uuid, ser_id, "
        + "ser_manifest, event_manifest, event, tags) VALUES ('Customer|c-7', 0, ?, now(), '0', 'intruder', 33, 'x', '', ?, {})",
        last + 2, ByteBuffer.wrap(new byte[] {1, 2, 3}));
    try {
      Run broken = replay(Map.of(), "verify", "--json");
      assertEquals(1, broken.exit(), broken.out() + broken.err());
      JsonNode problems = JsonSupport.MAPPER.readTree(broken.out()).get("problems");
      assertEquals(1, problems.get(Verify.GAP).asInt(), broken.out());
      assertEquals(1, problems.get(Verify.UNDECODABLE).asInt(), broken.out());
      assertEquals(0, problems.get(Verify.WRITERS).asInt(), broken.out());
      assertEquals(0, problems.get(Verify.SNAPSHOT).asInt(), broken.out());
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      cql.execute("DELETE FROM " + KEYSPACE + ".messages WHERE persistence_id = 'Customer|c-7' AND partition_nr = 0 AND sequence_nr = ?", last + 2);
    }
  }

  @Test
  @Order(6)
  void maintainDeletesOnlyOldAndUnreadableSnapshotsAndFinishedRunsAndOnlyWhenApplied() throws Exception {
    var classic = org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(node.system());
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(classic);
    io.segmentd.customer.Customer.State state = io.segmentd.customer.Customer.State.EMPTY;
    byte[] bytes = serialization.serialize(state).get();
    var serializer = serialization.findSerializerFor(state);
    String manifest = org.apache.pekko.serialization.Serializers.manifestFor(serializer, state);
    for (long seq = 1; seq <= 3; seq++) {
      cql.execute("INSERT INTO " + KEYSPACE + ".snapshots (persistence_id, sequence_nr, timestamp, ser_id, ser_manifest, snapshot) VALUES (?, ?, ?, ?, ?, ?)",
          "Customer|c-2", seq, seq, serializer.identifier(), manifest, ByteBuffer.wrap(bytes));
    }
    cql.execute("INSERT INTO " + KEYSPACE + ".snapshots (persistence_id, sequence_nr, timestamp, ser_id, ser_manifest, snapshot) VALUES (?, ?, ?, ?, ?, ?)",
        "Customer|c-2", 4L, 4L, serializer.identifier(), manifest, ByteBuffer.wrap(new byte[] {9, 9}));
    long journal = cql.execute("SELECT COUNT(*) AS n FROM " + KEYSPACE + ".messages").one().getLong("n");
    long finishedRuns = cql.execute("SELECT COUNT(*) AS n FROM " + KEYSPACE + ".replay_runs").one().getLong("n");
    assertEquals(2, finishedRuns, "the two rebuilds above");

    Map<String, Object> policy = Map.of("segmentd.retention.keep-snapshots", 2, "segmentd.retention.replay-runs", "0s");
    Run dry = replay(policy, "maintain", "--json");
    assertEquals(0, dry.exit(), dry.err());
    JsonNode planned = JsonSupport.MAPPER.readTree(dry.out());
    assertEquals(false, planned.get("applied").asBoolean());
    assertEquals(2, planned.get("deletions").get("snapshots").asInt(), dry.out());
    assertEquals(2, planned.get("deletions").get("replay-runs").asInt(), dry.out());
    assertEquals(0, planned.get("deletions").get("tag-view-hours").asInt(), dry.out());
    assertEquals(List.of(4L, 3L, 2L, 1L), snapshotsOf("c-2"), "a dry run deletes nothing");

    Run applied = replay(policy, "maintain", "--apply");
    assertEquals(0, applied.exit(), applied.err());
    assertEquals(List.of(3L, 2L), snapshotsOf("c-2"), "the unreadable newest and the oldest beyond two");
    assertEquals(0, cql.execute("SELECT COUNT(*) AS n FROM " + KEYSPACE + ".replay_runs").one().getLong("n"));
    assertEquals(journal, cql.execute("SELECT COUNT(*) AS n FROM " + KEYSPACE + ".messages").one().getLong("n"), "the journal is never touched");
  }

  private static List<Long> snapshotsOf(String customer) {
    List<Long> seqs = new ArrayList<>();
    cql.execute("SELECT sequence_nr FROM " + KEYSPACE + ".snapshots WHERE persistence_id = ?", "Customer|" + customer)
        .forEach(row -> seqs.add(row.getLong("sequence_nr")));
    return seqs;
  }
}
