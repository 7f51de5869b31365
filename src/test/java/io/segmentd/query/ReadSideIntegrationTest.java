package io.segmentd.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.http.JsonSupport;
import io.segmentd.server.SegmentdNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.ChangesStream;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** The read side on a real Cassandra: thousands of customers, member lists, counts, changes, check and rebuild. */
@ExtendWith(CassandraExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadSideIntegrationTest {
  private static final int CUSTOMERS = 2_000;
  private static final MutableClock clock = new MutableClock(Instant.parse("2024-06-01T00:00:00Z"));
  private static SegmentdNode node;
  private static ApiClient api;
  private static Map<String, Set<String>> expected;

  @BeforeAll
  static void ingestThousandsOfCustomers(LocalCassandra cassandra) {
    var config = TestNodes.config(cassandra.contactPoint(), "it_read_side", LocalCassandra.freePort(), Map.of(
        "pekko.persistence.cassandra.events-by-tag.eventual-consistency-delay", "1s",
        "pekko.persistence.cassandra.query.refresh-interval", "500ms",
        "segmentd.read-side.changes-poll-interval", "100ms"));
    node = SegmentdNode.start(config, clock);
    api = new ApiClient(node.httpPort());
    ingest(0, CUSTOMERS, new Random(7));
    expected = membershipsFromEntities();
    assertTrue(expected.size() >= 15, "a varied population: " + expected.keySet());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  /** Customers c-from .. c-(to-1), each with a few random events in the last 60 days. */
  private static void ingest(int from, int to, Random random) {
    String[] names = {"Product Viewed", "Checkout Started", "Product Reviewed", "Coupon Applied", "Promotion Clicked"};
    List<String> events = new ArrayList<>();
    for (int c = from; c < to; c++) {
      int n = 1 + random.nextInt(8);
      for (int i = 0; i < n; i++) {
        Instant at = clock.instant().minus(Duration.ofMinutes(1 + random.nextInt(60 * 24 * 60)));
        String event = random.nextInt(3) == 0
            ? "{\"type\": \"track\", \"userId\": \"c-" + c + "\", \"messageId\": \"c-" + c + "-" + i + "\", \"timestamp\": \"" + at
                + "\", \"event\": \"Order Completed\", \"properties\": {\"order_id\": \"o-" + c + "-" + i + "\", \"revenue\": " + random.nextInt(900) + "}}"
            : "{\"type\": \"track\", \"userId\": \"c-" + c + "\", \"messageId\": \"c-" + c + "-" + i + "\", \"timestamp\": \"" + at
                + "\", \"event\": \"" + names[random.nextInt(names.length)] + "\"}";
        events.add(event);
      }
    }
    for (int i = 0; i < events.size(); i += 400) {
      String body = "{\"batch\": [" + String.join(",", events.subList(i, Math.min(events.size(), i + 400))) + "]}";
      assertEquals(200, api.post("/v1/batch", body).status());
    }
  }

  /** What every customer itself says: segment -> customers. */
  private static Map<String, Set<String>> membershipsFromEntities() {
    Map<String, Set<String>> bySegment = new TreeMap<>();
    for (int c = 0; c < CUSTOMERS; c++) {
      for (JsonNode segment : api.get("/v1/customers/c-" + c).json().get("segments")) {
        bySegment.computeIfAbsent(segment.asText(), s -> new TreeSet<>()).add("c-" + c);
      }
    }
    return bySegment;
  }

  private static List<String> walk(String segment, int limit) {
    List<String> members = new ArrayList<>();
    String cursor = null;
    do {
      JsonNode page = api.get("/v1/segments/" + segment + "/members?limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor)).json();
      page.get("members").forEach(m -> members.add(m.asText()));
      cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
    } while (cursor != null);
    return members;
  }

  @Test
  @Order(1)
  void everySegmentListsExactlyTheCustomersWhoseEntitySaysSoAndCountsThem() {
    Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      JsonNode segments = api.get("/v1/segments").json().get("segments");
      Map<String, Long> counts = new HashMap<>();
      segments.forEach(s -> counts.put(s.get("id").asText(), s.get("count").asLong()));
      for (Map.Entry<String, Set<String>> segment : expected.entrySet()) {
        List<String> listed = walk(segment.getKey(), 137);
        assertEquals(listed.size(), new HashSet<>(listed).size(), segment.getKey() + " lists a member twice");
        assertEquals(segment.getValue(), new TreeSet<>(listed), segment.getKey());
        assertEquals((long) segment.getValue().size(), counts.get(segment.getKey()), segment.getKey() + " count");
      }
      counts.forEach((id, count) -> {
        if (!expected.containsKey(id)) assertEquals(0L, count, id);
      });
    });
    JsonNode detail = api.get("/v1/segments/engagement:occasional").json();
    assertEquals("engagement", detail.get("family").asText());
    assertEquals(expected.get("engagement:occasional").size(), detail.get("count").asInt());
    assertEquals("30d", detail.get("definition").get("window").asText());
    assertFalse(detail.get("updatedAt").isNull());
    assertEquals(404, api.get("/v1/segments/engagement:ecstatic").status());
    assertEquals(400, api.get("/v1/segments/engagement:occasional/members?limit=0").status());
    assertEquals(400, api.get("/v1/segments/engagement:occasional/members?cursor=garbage").status());
    JsonNode status = api.get("/v1/read-side/status").json().get("slices");
    assertEquals(8, status.size());
    String metrics = api.getRaw("http://127.0.0.1:" + node.httpPort() + "/metrics").body();
    for (int slice = 0; slice < 8; slice++) {
      assertTrue(metrics.contains("segmentd_projection_lag_seconds{slice=\"" + slice + "\"}"), "lag of slice " + slice);
    }
    JsonNode check = api.get("/v1/read-side/check").json();
    assertEquals(CUSTOMERS, check.get("customers").asInt());
    assertTrue(check.get("consistent").asBoolean(), check.toString());
  }

  @Test
  @Order(2)
  void aWalkReturnsEveryMemberOnceWhileWritesGoOn() throws Exception {
    String segment = "engagement:occasional";
    Set<String> before = expected.get(segment);
    CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> ingest(CUSTOMERS, CUSTOMERS + 600, new Random(11)));
    List<String> walked = walk(segment, 50);
    writes.get();
    assertEquals(walked.size(), new HashSet<>(walked).size(), "no member twice");
    assertTrue(walked.containsAll(before), "every member present throughout the walk is listed");
  }

  @Test
  @Order(3)
  void changesStreamDeliversEveryTransitionOnceToAReaderThatResumes() throws Exception {
    String segment = "purchasing:new";
    Set<String> journal = new TreeSet<>();
    for (int c = 0; c < CUSTOMERS + 600; c++) {
      for (JsonNode t : api.get("/v1/customers/c-" + c + "/history?order=recorded").json().get("transitions")) {
        if (t.get("segment").asText().equals(segment)) journal.add("c-" + c + "/" + t.get("sequenceNr").asLong() + "/" + t.get("direction").asText());
      }
    }
    assertTrue(journal.size() > 50, "enough transitions: " + journal.size());
    Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertEquals(journal.size(), readChanges(segment, null, false, Integer.MAX_VALUE).events().size()));

    // First connection: follow the stream, take 40 events, hang up.
    Changes first = readChanges(segment, null, true, 40);
    assertEquals(40, first.events().size());
    // Resume from the last event id, to the end.
    Changes rest = readChanges(segment, first.lastId(), false, Integer.MAX_VALUE);
    List<String> all = new ArrayList<>(first.events());
    all.addAll(rest.events());
    assertEquals(all.size(), new HashSet<>(all).size(), "no transition twice");
    assertEquals(journal, new TreeSet<>(all));
    assertEquals(0, readChanges(segment, rest.lastId(), false, Integer.MAX_VALUE).events().size(), "nothing after the end");
    for (String foreign : new String[] {"garbage", "1f0c7e6a-cd3b-11ef-8080-808080808080.......", "0.0.0.0.0.0.0.0.99999999"}) {
      ApiClient.Response refused = ChangesStream.refused(node.httpPort(), segment, foreign);
      assertEquals(400, refused.status(), foreign);
      assertEquals("invalid_parameter", refused.json().get("error").asText(), foreign);
    }
  }

  record Changes(List<String> events, String lastId) {}

  private static Changes readChanges(String segment, String since, boolean follow, int max) throws Exception {
    String url = "http://127.0.0.1:" + node.httpPort() + "/v1/segments/" + segment + "/changes?follow=" + follow
        + (since == null ? "" : "&since=" + since);
    HttpResponse<java.io.InputStream> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer dev-read-token").header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, response.statusCode());
    List<String> events = new ArrayList<>();
    String lastId = since;
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      String id = null;
      String data = null;
      while (events.size() < max && (line = reader.readLine()) != null) {
        if (line.startsWith("id:")) id = line.substring(3).trim();
        else if (line.startsWith("data:")) data = line.substring(5).trim();
        else if (line.isEmpty() && data != null) {
          JsonNode change = JsonSupport.MAPPER.readTree(data);
          assertEquals(segment, change.get("segment").asText());
          assertEquals(id, change.get("cursor").asText());
          events.add(change.get("customerId").asText() + "/" + change.get("sequenceNr").asLong() + "/" + change.get("direction").asText());
          lastId = id;
          data = null;
        }
      }
    }
    return new Changes(events, lastId);
  }

  @Test
  @Order(4)
  void checkFindsADamagedReadSideAndARebuildFromTheJournalRepairsIt() throws Exception {
    var session = org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry.get(node.system())
        .sessionFor("pekko.persistence.cassandra");
    String victim = expected.get("engagement:occasional").iterator().next();
    session.executeWrite("DELETE FROM it_read_side.segment_members WHERE segment = ? AND bucket = ? AND customer_id = ?",
        "engagement:occasional", Math.floorMod(victim.hashCode(), 64), victim).toCompletableFuture().get();

    JsonNode damaged = api.get("/v1/read-side/check").json();
    assertFalse(damaged.get("consistent").asBoolean());
    JsonNode difference = damaged.get("differences").get(0);
    assertEquals("engagement:occasional", difference.get("segment").asText());
    assertEquals(victim, difference.get("missing").get(0).asText());

    Changes logged = readChanges("purchasing:new", null, false, Integer.MAX_VALUE);

    assertEquals(401, api.postWithoutAuth("/v1/read-side/rebuild", "").status());
    ApiClient.Response rebuild = api.postBearer("/v1/read-side/rebuild", "dev-admin-token");
    assertEquals(202, rebuild.status(), rebuild.body());
    Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
      // While the projections replay, a check that asks every customer may time out: that is "not yet".
      ApiClient.Response answer = api.get("/v1/read-side/check");
      assertEquals(200, answer.status(), answer.body());
      JsonNode repaired = answer.json();
      assertTrue(repaired.get("consistent").asBoolean(), repaired.toString());
    });
    // The rebuilt changes log holds the same transitions, at positions a cursor of the old one does not know.
    Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertEquals(new TreeSet<>(logged.events()), new TreeSet<>(readChanges("purchasing:new", null, false, Integer.MAX_VALUE).events())));
    ApiClient.Response stale = ChangesStream.refused(node.httpPort(), "purchasing:new", logged.lastId());
    assertEquals(400, stale.status(), stale.body());
    assertTrue(stale.json().get("detail").asText().contains("rebuilt"), stale.body());
  }
}
