package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * What an operator sees of a known ingestion: every metric at {@code /metrics} with the values the
 * ingestion implies (a node of its own, so its registry counts only this), the access log's lines
 * for refused requests (and nothing of their payloads or credentials), and {@code /ready} naming
 * each check.
 */
@ExtendWith(CassandraExtension.class)
class ObservabilityIntegrationTest {
  private static final String BATCH = """
      {"batch": [
        {"type": "identify", "userId": "alice-m", "messageId": "o-1", "timestamp": "2024-02-20T09:00:00Z", "traits": {"note": "secret-trait"}},
        {"type": "page", "userId": "alice-m", "messageId": "o-2", "timestamp": "2024-02-20T09:01:00Z", "name": "Home"},
        {"type": "track", "userId": "alice-m", "messageId": "o-3", "timestamp": "2024-02-20T09:05:00Z", "event": "Order Completed", "properties": {"order_id": "x-1", "revenue": 50}},
        {"type": "track", "userId": "bob-m", "messageId": "o-4", "timestamp": "2024-02-29T23:59:00Z", "event": "Product Viewed"},
        {"type": "track", "messageId": "o-5", "timestamp": "2024-02-29T23:59:00Z", "event": "No Id"},
        {"type": "track", "userId": "carol-m", "messageId": "o-6", "timestamp": "yesterday", "event": "Bad Time"}
      ]}""";

  @Test
  void metricsAccessLogAndReadinessShowAKnownIngestion(LocalCassandra cassandra) throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
    int management = LocalCassandra.freePort();
    var config = TestNodes.config(cassandra.contactPoint(), "it_observability", management, Map.of(
        "segmentd.segments.engagement.window", "10m",
        "segmentd.profile.resolution", "1m",
        "segmentd.reevaluation.tick-interval", "200ms",
        "segmentd.read-side.lag-probe-interval", "200ms",
        "pekko.cluster.sharding.passivation.strategy", "default-idle-strategy",
        "pekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout", "1s"));
    Logger access = (Logger) LoggerFactory.getLogger("io.segmentd.access");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    access.addAppender(lines);
    access.setLevel(Level.INFO);
    try (SegmentdNode node = SegmentdNode.start(config, clock)) {
      ApiClient api = new ApiClient(node.httpPort());
      String metricsUrl = "http://127.0.0.1:" + node.httpPort() + "/metrics";

      // Four valid events of two customers and two refused ones, sent twice; a batch refused whole,
      // a body that is not JSON, and a request without the write key.
      assertEquals(200, api.post("/v1/batch", BATCH).status());
      assertEquals(200, api.post("/v1/batch", BATCH).status());
      assertEquals(400, api.post("/v1/batch", "{\"batch\": [{\"type\": \"track\", \"event\": \"X\", \"properties\": {\"card\": \"4111-secret\"}}]}").status());
      assertEquals(400, api.post("/v1/batch", "{{{ secret-body").status());
      assertEquals(401, api.postWithoutAuth("/v1/batch", BATCH).status());

      Map<String, Double> m = scrape(api, metricsUrl);
      assertEquals(4.0, m.get("segmentd_ingest_events_total{result=\"accepted\"}"));
      assertEquals(4.0, m.get("segmentd_ingest_events_total{result=\"duplicate\"}"));
      assertEquals(0.0, m.get("segmentd_ingest_events_total{result=\"erased\"}"));
      assertEquals(3.0, m.get("segmentd_ingest_rejected_total{reason=\"invalid_id\"}"));
      assertEquals(2.0, m.get("segmentd_ingest_rejected_total{reason=\"invalid_timestamp\"}"));
      assertEquals(1.0, m.get("segmentd_ingest_rejected_total{reason=\"invalid_json\"}"));
      // Acknowledged: the two 200s only; each customer's first batch is one journal write.
      assertEquals(2.0, m.get("segmentd_ingest_acknowledgement_seconds_count"));
      assertEquals(2.0, m.get("segmentd_ingest_acknowledgement_seconds_bucket{le=\"+Inf\"}"));
      assertEquals(2.0, m.get("segmentd_journal_write_seconds_count"));
      assertEquals(2.0, m.get("http_server_requests_seconds_count{method=\"POST\",route=\"/v1/batch\",status=\"200\"}"));
      assertEquals(2.0, m.get("http_server_requests_seconds_count{method=\"POST\",route=\"/v1/batch\",status=\"400\"}"));
      assertEquals(1.0, m.get("http_server_requests_seconds_count{method=\"POST\",route=\"/v1/batch\",status=\"401\"}"));
      assertTrue(m.get("jvm_threads_live_threads") > 10, "threads " + m.get("jvm_threads_live_threads"));
      assertTrue(m.get("jvm_threads_peak_threads") >= m.get("jvm_threads_live_threads"));
      assertTrue(m.get("process_uptime_seconds") > 0);
      assertTrue(m.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes{area=\"heap\"")));

      // Idle for a second, both customers passivate: every entity started is running or stopped.
      Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        Map<String, Double> now = scrape(api, metricsUrl);
        assertEquals(0.0, now.get("segmentd_entities_active"));
        assertEquals(now.get("segmentd_entities_recovery_seconds_count"), now.get("segmentd_entities_passivations_total"));
      });
      double recoveries = scrape(api, metricsUrl).get("segmentd_entities_recovery_seconds_count");
      assertTrue(recoveries >= 2, "alice and bob started, at least once each: " + recoveries);

      // bob's only interaction leaves the 10-minute engagement window at 00:09: one customer due, and done.
      clock.set(Instant.parse("2024-03-01T00:30:00Z"));
      Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        Map<String, Double> now = scrape(api, metricsUrl);
        assertEquals(1.0, now.get("segmentd_reevaluations_due_total"));
        assertEquals(1.0, now.get("segmentd_reevaluations_done_total"));
        assertEquals(3.0, now.get("segmentd_journal_write_seconds_count"), "bob's exit is the third write");
      });

      // The read side applies every transition the journals hold, then reads no lag at all.
      int transitions = transitions(api, "alice-m") + transitions(api, "bob-m");
      assertTrue(transitions > 3, "transitions " + transitions);
      Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        Map<String, Double> now = scrape(api, metricsUrl);
        assertEquals(transitions, sum(now, "segmentd_projection_transitions_total{"));
        Map<String, Double> lags = new TreeMap<>();
        now.forEach((k, v) -> {
          if (k.startsWith("segmentd_projection_lag_seconds{")) lags.put(k, v);
        });
        assertEquals(8, lags.size(), lags.toString());
        lags.values().forEach(v -> assertEquals(0.0, v, lags.toString()));
      });

      // Both customers were woken or asked for: a query starts a passivated one again.
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> scrape(api, metricsUrl).get("segmentd_entities_active") == 0.0);
      double before = scrape(api, metricsUrl).get("segmentd_entities_recovery_seconds_count");
      assertEquals(200, api.get("/v1/customers/alice-m/segments").status());
      Map<String, Double> after = scrape(api, metricsUrl);
      assertEquals(before + 1, after.get("segmentd_entities_recovery_seconds_count"));
      assertEquals(1.0, after.get("segmentd_entities_active"));
      assertTrue(after.get("http_server_requests_seconds_count{method=\"GET\",route=\"/v1/customers/{id}/segments\",status=\"200\"}") >= 1.0);

      // Every series the Grafana dashboard charts is one the node exports.
      String grafana = java.nio.file.Files.readString(java.nio.file.Path.of("cluster-config", "grafana", "segmentd-dashboard.json"));
      java.util.regex.Matcher names = java.util.regex.Pattern.compile("\\b((?:segmentd|http_server|jvm)_[a-z_]+)\\b").matcher(grafana);
      Set<String> charted = new TreeSet<>();
      while (names.find()) charted.add(names.group(1));
      assertTrue(charted.size() >= 15, charted.toString());
      // The GC pause timer appears with the first collection this node's registry is told of.
      System.gc();
      Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        Set<String> exported = new TreeSet<>();
        scrape(api, metricsUrl).keySet().forEach(k -> exported.add(k.replaceAll("\\{.*", "")));
        Set<String> missing = new TreeSet<>(charted);
        missing.removeAll(exported);
        assertEquals(Set.of(), missing, "charted in Grafana, not exported");
      });

      // Readiness names every check.
      ApiClient.Response ready = api.getRaw("http://127.0.0.1:" + management + "/ready");
      assertEquals(200, ready.status(), ready.body());
      Map<String, Boolean> checks = new TreeMap<>();
      ready.json().get("checks").forEach(c -> checks.put(c.get("name").asText(), c.get("ok").asBoolean()));
      assertEquals(Map.of("cassandra", true, "cluster-membership", true, "http-bound", true, "read-side", true, "sharding", true), checks);

      // The access log: a line for each refusal with its reason; no payload, credential or id in any line.
      List<String> refused = lines.list.stream().map(ILoggingEvent::getFormattedMessage).filter(l -> !l.contains(" 200 ")).toList();
      assertEquals(List.of("POST /v1/batch 400 invalid_batch", "POST /v1/batch 400 invalid_json", "POST /v1/batch 401 unauthorized"),
          refused.stream().map(l -> l.replaceAll(" [0-9.]+ ms", "")).toList());
      for (ILoggingEvent line : lines.list) {
        for (String secret : List.of("alice-m", "bob-m", "secret", "4111", "dev-write-key", "dev-read-token")) {
          assertFalse(line.getFormattedMessage().contains(secret), line.getFormattedMessage());
        }
      }
      ILoggingEvent first = lines.list.stream().filter(l -> l.getFormattedMessage().contains("invalid_json")).findFirst().orElseThrow();
      Map<String, String> fields = new TreeMap<>();
      first.getKeyValuePairs().forEach(kv -> fields.put(kv.key, String.valueOf(kv.value)));
      assertEquals(List.of("method", "millis", "reason", "route", "status"), List.copyOf(fields.keySet()));
      assertEquals("invalid_json", fields.get("reason"));
      assertEquals("/v1/batch", fields.get("route"));
    } finally {
      access.detachAppender(lines);
      access.setLevel(null);
    }
  }

  private static int transitions(ApiClient api, String customer) {
    JsonNode history = api.get("/v1/customers/" + customer + "/history").json();
    return history.get("transitions").size();
  }

  private static double sum(Map<String, Double> metrics, String prefix) {
    return metrics.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToDouble(Map.Entry::getValue).sum();
  }

  /** Every sample of the scrape by its series (name and labels as Prometheus writes them). */
  private static Map<String, Double> scrape(ApiClient api, String url) {
    ApiClient.Response response = api.getRaw(url);
    assertEquals(200, response.status());
    Map<String, Double> samples = new TreeMap<>();
    for (String line : response.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }
}
