package io.segmentd.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.server.SegmentdNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** Custom segments defined, changed and deleted through the admin API on a running node, backfilled from the journals. */
@ExtendWith(CassandraExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StoredDefinitionsIntegrationTest {
  private static final int CUSTOMERS = 200;
  private static final Instant NOW = Instant.parse("2024-06-01T00:00:00Z");
  private static final MutableClock clock = new MutableClock(NOW);
  private static final String SEGMENT = "custom:viewers";
  /** Views per customer: c-i viewed (i % 30) times in the last nine days, plus what the tests add. */
  private static final Map<Integer, Integer> views = new HashMap<>();
  private static SegmentdNode node;
  private static ApiClient api;
  private static int port;

  @BeforeAll
  static void ingest(LocalCassandra cassandra) {
    node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_definitions", LocalCassandra.freePort(), Map.of(
        "pekko.persistence.cassandra.events-by-tag.eventual-consistency-delay", "1s",
        "pekko.persistence.cassandra.query.refresh-interval", "500ms",
        "segmentd.definitions.refresh-interval", "500ms",
        "segmentd.definitions.backfill.tick", "500ms",
        "segmentd.definitions.backfill.settle", "3s")), clock);
    port = node.httpPort();
    api = new ApiClient(port);
    for (int c = 0; c < CUSTOMERS; c++) views.put(c, 0);
    List<String> events = new ArrayList<>();
    for (int c = 0; c < CUSTOMERS; c++) {
      events.addAll(viewsOf(c, c % 30, "a"));
      if (c % 30 == 0) events.add("{\"type\": \"identify\", \"userId\": \"c-" + c + "\", \"messageId\": \"id-" + c + "\", \"timestamp\": \""
          + NOW.minus(Duration.ofDays(3)) + "\"}");
    }
    send(events);
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  private static List<String> viewsOf(int c, int n, String tag) {
    List<String> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      events.add("{\"type\": \"track\", \"userId\": \"c-" + c + "\", \"messageId\": \"v-" + tag + "-" + c + "-" + i + "\", \"timestamp\": \""
          + NOW.minus(Duration.ofHours(1 + 7L * i)).minusSeconds(tag.hashCode() & 0xff) + "\", \"event\": \"Product Viewed\"}");
    }
    views.merge(c, n, Integer::sum);
    return events;
  }

  private static void send(List<String> events) {
    for (int i = 0; i < events.size(); i += 400) {
      assertEquals(200, api.post("/v1/batch", "{\"batch\": [" + String.join(",", events.subList(i, Math.min(events.size(), i + 400))) + "]}").status());
    }
  }

  private static ApiClient.Response admin(String method, String path, String body) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .header("Authorization", "Bearer dev-admin-token").header("Content-Type", "application/json");
      request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
      HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new ApiClient.Response(response.statusCode(), response.body());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String rule(int minViews) {
    return "{\"description\": \"viewed often\", \"rule\": {\"count\": {\"event\": \"Product Viewed\", \"within\": \"30d\"}, \"gte\": " + minViews + "}}";
  }

  private static Set<String> expected(int minViews) {
    Set<String> members = new TreeSet<>();
    views.forEach((c, n) -> {
      if (n >= minViews) members.add("c-" + c);
    });
    return members;
  }

  /**
   * One whole walk of the members. A walk under way when the segment switches versions is refused
   * (its cursor names the old version) and starts again: no walk mixes the versions' rows.
   */
  private static Set<String> members() {
    while (true) {
      Set<String> members = new TreeSet<>();
      String cursor = null;
      boolean refused = false;
      do {
        ApiClient.Response page = api.get("/v1/segments/" + SEGMENT + "/members?limit=37" + (cursor == null ? "" : "&cursor=" + cursor));
        if (page.status() == 400 && cursor != null && page.json().get("detail").asText().contains("does not walk version")) {
          refused = true;
          break;
        }
        assertEquals(200, page.status(), page.body());
        page.json().get("members").forEach(m -> members.add(m.asText()));
        cursor = page.json().get("nextCursor").isNull() ? null : page.json().get("nextCursor").asText();
      } while (cursor != null);
      if (!refused) return members;
    }
  }

  private static String backfillState() {
    return api.get("/v1/segments/" + SEGMENT + "/backfill").json().get("state").asText();
  }

  @Test
  @Order(1)
  void aDefinitionThatDoesNotHoldIsRefusedNamingTheBadPartAndChangesNothing() {
    ApiClient.Response bad = admin("PUT", "/v1/segments/" + SEGMENT, "{\"rule\": {\"count\": {\"event\": \"Product Viewed\", \"within\": \"30 days\"}, \"gte\": 3}}");
    assertEquals(400, bad.status(), bad.body());
    assertEquals("invalid_definition", bad.json().get("error").asText());
    assertTrue(bad.json().get("detail").asText().startsWith("custom:viewers.rule.count.within"), bad.body());

    ApiClient.Response unkept = admin("PUT", "/v1/segments/" + SEGMENT,
        "{\"rule\": {\"count\": {\"event\": \"Product Viewed\", \"where\": {\"property\": \"color\", \"equals\": \"red\"}}, \"gte\": 1}}");
    assertEquals(400, unkept.status(), unkept.body());
    assertTrue(unkept.json().get("detail").asText().contains("'color'"), unkept.body());

    assertEquals(400, admin("PUT", "/v1/segments/engagement:high", rule(3)).status());
    assertEquals(401, api.putForm("http://127.0.0.1:" + port + "/v1/segments/" + SEGMENT, "").status());
    assertEquals(404, api.get("/v1/segments/" + SEGMENT).status());
    assertEquals(404, api.get("/v1/segments/" + SEGMENT + "/versions").status());
  }

  @Test
  @Order(2)
  void aNewSegmentIsBackfilledFromTheJournalsAndExplainedInHistory() {
    ApiClient.Response created = admin("PUT", "/v1/segments/" + SEGMENT, rule(10));
    assertEquals(202, created.status(), created.body());
    assertEquals(1, created.json().get("version").asInt());
    Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> backfillState().equals("done"));

    JsonNode backfill = api.get("/v1/segments/" + SEGMENT + "/backfill").json();
    assertEquals(CUSTOMERS, backfill.get("customers").asInt(), backfill.toString());
    assertEquals(CUSTOMERS, backfill.get("done").asInt(), backfill.toString());
    assertEquals(1, backfill.get("activeVersion").asInt());
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(expected(10), members()));
    JsonNode detail = api.get("/v1/segments/" + SEGMENT).json();
    assertEquals(expected(10).size(), detail.get("count").asInt());
    assertEquals(1, detail.get("definitionVersion").asInt());

    List<String> segments = new ArrayList<>();
    api.get("/v1/customers/c-15").json().get("segments").forEach(s -> segments.add(s.asText()));
    assertTrue(segments.contains(SEGMENT), segments.toString());
    JsonNode entered = null;
    for (JsonNode t : api.get("/v1/customers/c-15/history?order=recorded").json().get("transitions")) {
      if (t.get("segment").asText().equals(SEGMENT + "@1")) entered = t;
    }
    assertEquals("entered", entered.get("direction").asText());
    assertEquals("definition", entered.get("cause").get("trigger").asText());
    assertEquals(1, entered.get("cause").get("ruleVersion").asInt());
  }

  @Test
  @Order(3)
  void previewReportsExactlyWhoWouldEnterAndLeave() {
    ApiClient.Response preview = admin("POST", "/v1/segments/" + SEGMENT + "/preview?at=" + NOW, rule(5));
    assertEquals(200, preview.status(), preview.body());
    JsonNode diff = preview.json();
    Set<String> entering = new TreeSet<>(expected(5));
    entering.removeAll(expected(10));
    assertEquals(CUSTOMERS, diff.get("customers").asInt());
    assertEquals(expected(10).size(), diff.get("before").asInt());
    assertEquals(expected(5).size(), diff.get("after").asInt());
    assertEquals(entering.size(), diff.get("entering").asInt());
    assertEquals(0, diff.get("leaving").asInt());
    List<String> sample = new ArrayList<>();
    diff.get("enteringSample").forEach(c -> sample.add(c.asText()));
    assertEquals(new ArrayList<>(entering).subList(0, 10), sample, "the first ten in order");
  }

  @Test
  @Order(4)
  void aNewVersionWhileIngestionGoesOnAnswersFromTheOldVersionUntilAnAtomicSwitch() throws Exception {
    Set<String> onlyInOld = new TreeSet<>(expected(10));
    onlyInOld.removeAll(expected(20));
    assertFalse(onlyInOld.isEmpty());

    ApiClient.Response changed = admin("PUT", "/v1/segments/" + SEGMENT, rule(20));
    assertEquals(202, changed.status(), changed.body());
    assertEquals(2, changed.json().get("version").asInt());
    assertEquals(409, admin("PUT", "/v1/segments/" + SEGMENT, rule(25)).status(), "one backfill at a time");

    // Ingestion goes on during the backfill: c-8 (8 views) crosses both thresholds, c-3 only the old one.
    CompletableFuture<Void> ingestion = CompletableFuture.runAsync(() -> {
      List<String> more = new ArrayList<>(viewsOf(8, 15, "b"));
      more.addAll(viewsOf(3, 9, "b"));
      send(more);
    });
    AtomicInteger oldAnswers = new AtomicInteger();
    AtomicBoolean switched = new AtomicBoolean();
    Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
      int version = api.get("/v1/segments/" + SEGMENT).json().get("definitionVersion").asInt();
      Set<String> seen = members();
      int after = api.get("/v1/segments/" + SEGMENT).json().get("definitionVersion").asInt();
      if (version == 1 && after == 1) {
        // Answered from the old version: everyone who matches only the old rule is there.
        assertTrue(seen.containsAll(onlyInOld), "old version's members: " + seen);
        oldAnswers.incrementAndGet();
      }
      if (version == 2 && after == 2) {
        assertTrue(seen.stream().noneMatch(onlyInOld::contains), "new version's members: " + seen);
        switched.set(true);
      }
      return switched.get();
    });
    ingestion.get();
    assertTrue(oldAnswers.get() > 0, "queries during the backfill answered from the old version");
    assertEquals("done", backfillState());
    // A fresh evaluation of the new rule for every customer, ingestion included; nobody stays who no longer matches.
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(expected(20), members()));
    assertTrue(expected(20).contains("c-8"));
    assertEquals(expected(20).size(), api.get("/v1/segments/" + SEGMENT).json().get("count").asInt());

    JsonNode versions = api.get("/v1/segments/" + SEGMENT + "/versions").json().get("versions");
    assertEquals(2, versions.get(0).get("version").asInt());
    assertEquals("active", versions.get(0).get("state").asText());
    assertEquals("retired", versions.get(1).get("state").asText());
    assertEquals(10, versions.get(1).get("definition").get("rule").get("gte").asInt());
  }

  @Test
  @Order(5)
  void aDeletedSegmentAnswersNoMore() {
    assertEquals(200, admin("DELETE", "/v1/segments/" + SEGMENT, null).status());
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/v1/segments/" + SEGMENT).status() == 404);
    List<String> ids = new ArrayList<>();
    api.get("/v1/segments").json().get("segments").forEach(s -> ids.add(s.get("id").asText()));
    assertFalse(ids.contains(SEGMENT));
    assertEquals(404, admin("DELETE", "/v1/segments/custom:never-defined", null).status());
    assertEquals(409, admin("DELETE", "/v1/segments/engagement:high", null).status());
  }
}
