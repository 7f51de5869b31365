package io.segmentd.customer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.segmentd.expiry.CassandraReevaluationSchedule;
import io.segmentd.server.SegmentdNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.FlakyScheduler;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Exact expiry when the schedule misbehaves, on the real Cassandra: writes that fail (the only
 * injected part), rows that a later instant superseded, and stale rows.
 */
@ExtendWith(CassandraExtension.class)
class ScheduleFaultsIntegrationTest {

  private static Config config(LocalCassandra cassandra, String keyspace, Map<String, Object> overrides) {
    Map<String, Object> all = new HashMap<>(Map.of(
        "segmentd.reevaluation.tick-interval", "200ms",
        "segmentd.customer.schedule-retry.min-backoff", "200ms",
        "segmentd.customer.schedule-retry.max-backoff", "1s"));
    all.putAll(overrides);
    return TestNodes.config(cassandra.contactPoint(), keyspace, LocalCassandra.freePort(), all);
  }

  @Test
  void aQuietCustomerLeavesAtTheExactInstantThoughItsFirstScheduleWritesFailed(LocalCassandra cassandra) throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
    var config = config(cassandra, "it_schedule_faults", Map.of(
        "segmentd.segments.engagement.window", "10m",
        "segmentd.profile.resolution", "1m",
        "pekko.cluster.sharding.passivation.strategy", "default-idle-strategy",
        "pekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout", "1s"));
    AtomicReference<FlakyScheduler> flaky = new AtomicReference<>();
    // Five failures with backoff from 200 ms take about 3 s: sharding asks the idle customer to
    // passivate meanwhile, and it may not go before its instant is durable.
    try (SegmentdNode node = SegmentdNode.start(config, clock, real -> {
      flaky.set(new FlakyScheduler(real, 5));
      return flaky.get();
    })) {
      ApiClient api = new ApiClient(node.httpPort());
      assertEquals(200, api.post("/v1/batch", """
          {"batch": [
            {"type": "page", "userId": "quiet", "messageId": "q-1", "timestamp": "2024-02-29T23:58:00Z", "name": "Home"},
            {"type": "track", "userId": "quiet", "messageId": "q-2", "timestamp": "2024-02-29T23:59:00Z", "event": "Product Viewed"}
          ]}""").status(), "answered once the next instant is durable, after the failed attempts");
      List<FlakyScheduler.Call> attempts = flaky.get().attempts();
      assertEquals(6, attempts.size(), "five failures, then the write that held");
      assertEquals(Set.of(attempts.get(0)), Set.copyOf(attempts), "always the same instant");
      assertEquals(List.of(attempts.get(0)), flaky.get().confirmed());

      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !TestNodes.activeCustomers(node).contains("quiet"));
      assertEquals(List.of(attempts.get(0).due()), dueRows(node, "it_schedule_faults", "quiet"), "its one row is in Cassandra");

      // The window of the later interaction passes at 00:09:00; the clock jumps past it.
      clock.set(Instant.parse("2024-03-01T00:30:00Z"));
      Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertEquals(List.of("exited engagement:occasional 2024-03-01T00:09:00Z", "entered engagement:dormant 2024-03-01T00:09:00Z"),
              timeCaused(api, "quiet")));
      // The row it was woken for is gone; only its next instant remains.
      Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        List<Instant> rows = dueRows(node, "it_schedule_faults", "quiet");
        assertEquals(1, rows.size(), rows.toString());
        assertTrue(rows.get(0).isAfter(clock.instant()), rows.toString());
      });
    }
  }

  @Test
  void supersededAndStaleRowsDoNotRemain(LocalCassandra cassandra) throws Exception {
    String keyspace = "it_schedule_rows";
    MutableClock clock = new MutableClock(Instant.parse("2024-03-01T11:00:00Z"));
    AtomicReference<FlakyScheduler> recording = new AtomicReference<>();
    try (SegmentdNode node = SegmentdNode.start(config(cassandra, keyspace, Map.of()), clock, real -> {
      recording.set(new FlakyScheduler(real, 0));
      return recording.get();
    })) {
      ApiClient api = new ApiClient(node.httpPort());
      assertEquals(200, api.post("/v1/track", """
          {"userId": "mover", "messageId": "mv-1", "timestamp": "2024-03-01T09:00:00Z", "event": "Product Viewed"}""").status());
      Instant first = Instant.parse("2024-03-29T09:00:00Z"); // the usage window (28 days) of that view passes
      assertEquals(List.of(first), dueRows(node, keyspace, "mover"));

      // A late checkout: the abandoned cart it makes expires (30 days on) earlier, so the first row is superseded.
      assertEquals(200, api.post("/v1/track", """
          {"userId": "mover", "messageId": "mv-2", "timestamp": "2024-02-25T10:30:00Z", "event": "Checkout Started"}""").status());
      Instant second = Instant.parse("2024-03-26T10:30:00Z");
      Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertEquals(List.of(second), dueRows(node, keyspace, "mover")));

      // A stale row, as an entity that crashed before deleting it could leave: its wake-up changes
      // nothing, the customer writes its next instant again, and the waker deletes the stale row.
      int transitions = api.get("/v1/customers/mover/history?order=recorded").json().get("transitions").size();
      CassandraSession session = CassandraSessionRegistry.get(node.system()).sessionFor("pekko.persistence.cassandra");
      Instant stale = clock.instant().minusSeconds(10);
      new CassandraReevaluationSchedule(session, node.system(), keyspace, 8).schedule("mover", stale).toCompletableFuture().get();
      assertEquals(List.of(stale, second), dueRows(node, keyspace, "mover"));

      Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertEquals(List.of(first, second, second), recording.get().attempts().stream().map(FlakyScheduler.Call::due).toList());
        assertEquals(List.of(second), dueRows(node, keyspace, "mover"));
      });
      assertEquals(transitions, api.get("/v1/customers/mover/history?order=recorded").json().get("transitions").size());
    }
  }

  private static List<String> timeCaused(ApiClient api, String customerId) {
    List<String> timeCaused = new ArrayList<>();
    for (JsonNode t : api.get("/v1/customers/" + customerId + "/history?order=recorded").json().get("transitions")) {
      if (t.get("cause").get("trigger").asText().equals("time")) {
        timeCaused.add(t.get("direction").asText() + " " + t.get("segment").asText() + " " + t.get("at").asText());
      }
    }
    return timeCaused;
  }

  /** The due instants of a customer's rows in the schedule table (a scan: the test keyspace is tiny). */
  private static List<Instant> dueRows(SegmentdNode node, String keyspace, String customerId) throws Exception {
    CassandraSession session = CassandraSessionRegistry.get(node.system()).sessionFor("pekko.persistence.cassandra");
    List<Row> rows = session.selectAll("SELECT due, customer_id FROM " + keyspace + ".reevaluation_schedule").toCompletableFuture().get();
    return rows.stream().filter(r -> r.getString("customer_id").equals(customerId)).map(r -> r.getInstant("due")).sorted().toList();
  }

}
