package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** The insights API through a real node, over histories whose answers are known exactly. */
@ExtendWith(CassandraExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InsightsIntegrationTest {
  /** A Monday. */
  private static final Instant D0 = Instant.parse("2024-01-01T00:00:00Z");
  private static final MutableClock clock = new MutableClock(day(40));
  private static SegmentdNode node;
  private static ApiClient api;

  private static Instant day(int n) {
    return D0.plus(Duration.ofDays(n));
  }

  @BeforeAll
  static void start(LocalCassandra cassandra) {
    node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_insights", LocalCassandra.freePort(),
        Map.of("segmentd.segments.journey.lapsed-after", "10d", "segmentd.insights.propensity.horizon", "10d",
            // a scheduled retraining of another target, on its own
            "segmentd.insights.propensity.retrain-every", "2s", "segmentd.insights.propensity.retrain-targets", List.of("journey:lapsed"))), clock);
    api = new ApiClient(node.httpPort());
    // Each history in one batch, in order: the customer persists every change at its own event time.
    history("j1", "page:Home", 1, "Product Viewed", 3, "Product Added", 4, "Order Completed", 10);
    history("j2", "page:Home", 1, "Product Viewed", 2);
    history("j3", "page:Home", 8, "Product Viewed", 25);
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertEquals(3, api.get("/v1/insights/journey?from=" + day(0) + "&to=" + day(30)).json().get("customers").asInt()));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  private static void history(String customer, Object... eventsAndDays) {
    List<String> events = new ArrayList<>();
    for (int i = 0; i < eventsAndDays.length; i += 2) {
      String what = (String) eventsAndDays[i];
      Instant at = day((Integer) eventsAndDays[i + 1]);
      String id = customer + "-" + i;
      events.add(what.startsWith("page:")
          ? """
            {"type": "page", "userId": "%s", "name": "%s", "messageId": "%s", "timestamp": "%s"}""".formatted(customer, what.substring(5), id, at)
          : """
            {"type": "track", "userId": "%s", "event": "%s", "messageId": "%s", "timestamp": "%s",
             "properties": {"order_id": "%s", "revenue": 10}}""".formatted(customer, what, id, at, id));
    }
    ApiClient.Response r = api.post("/v1/batch", "{\"batch\": [" + String.join(",", events) + "]}");
    assertEquals(200, r.status(), r.body());
  }

  private static JsonNode journey(String query) {
    ApiClient.Response r = api.get("/v1/insights/journey?from=" + day(0) + "&to=" + day(30) + "&horizon=7d" + query);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  @Test
  @Order(1)
  void journeyFlowsConversionsStageTimesStallsAndCohortsAreExactlyThoseOfTheHistories() {
    // The read side applies each segment's transitions on its own: until all are in, a move can look half made.
    JsonNode j = Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> journey(""),
        answer -> answer.get("flows").toString().contains("{\"from\":\"lapsed\",\"to\":\"consideration\""));
    assertEquals(3, j.get("customers").asInt());
    assertEquals("""
        [{"from":"(start)","to":"awareness","moves":3,"customers":3},\
        {"from":"awareness","to":"consideration","moves":2,"customers":2},\
        {"from":"awareness","to":"lapsed","moves":1,"customers":1},\
        {"from":"consideration","to":"decision","moves":1,"customers":1},\
        {"from":"consideration","to":"lapsed","moves":1,"customers":1},\
        {"from":"decision","to":"customer","moves":1,"customers":1},\
        {"from":"customer","to":"lapsed","moves":1,"customers":1},\
        {"from":"lapsed","to":"consideration","moves":1,"customers":1}]""", j.get("flows").toString());
    assertEquals("""
        [{"stage":"awareness","next":"consideration","entered":3,"converted":2,"rate":0.6666666666666666},\
        {"stage":"consideration","next":"decision","entered":3,"converted":1,"rate":0.3333333333333333},\
        {"stage":"decision","next":"customer","entered":1,"converted":1,"rate":1.0},\
        {"stage":"customer","next":"repeat","entered":1,"converted":0,"rate":0.0},\
        {"stage":"repeat","next":"advocate","entered":0,"converted":0,"rate":null}]""", j.get("conversions").toString());
    assertEquals("""
        [{"stage":"awareness","completed":3,"open":0,"medianDays":2.0,"p90Days":10.0,"exitsToLapsed":1,"lapsedShare":0.3333333333333333},\
        {"stage":"consideration","completed":3,"open":0,"medianDays":10.0,"p90Days":10.0,"exitsToLapsed":2,"lapsedShare":0.6666666666666666},\
        {"stage":"decision","completed":1,"open":0,"medianDays":6.0,"p90Days":6.0,"exitsToLapsed":0,"lapsedShare":0.0},\
        {"stage":"customer","completed":1,"open":0,"medianDays":10.0,"p90Days":10.0,"exitsToLapsed":1,"lapsedShare":1.0},\
        {"stage":"repeat","completed":0,"open":0,"medianDays":null,"p90Days":null,"exitsToLapsed":0,"lapsedShare":null},\
        {"stage":"advocate","completed":0,"open":0,"medianDays":null,"p90Days":null,"exitsToLapsed":0,"lapsedShare":null},\
        {"stage":"lapsed","completed":1,"open":2,"medianDays":7.0,"p90Days":7.0,"exitsToLapsed":0,"lapsedShare":0.0}]""",
        j.get("stages").toString());
    assertEquals("[\"consideration\",\"customer\",\"awareness\",\"decision\"]", j.get("stalls").toString());
    // Histories that arrived live and in order: the timelines derived from the journals say the same.
    JsonNode derived = journey("&source=journals");
    for (String part : List.of("customers", "flows", "conversions", "stages", "stalls", "cohorts")) {
      assertEquals(j.get(part), derived.get(part), part);
    }
    assertEquals("""
        [{"week":"2024-01-01","customers":2,"reached":{"awareness":2,"consideration":2,"decision":1,"customer":1,"repeat":0,"advocate":0,"lapsed":2}},\
        {"week":"2024-01-08","customers":1,"reached":{"awareness":1,"consideration":1,"decision":0,"customer":0,"repeat":0,"advocate":0,"lapsed":1}}]""",
        j.get("cohorts").toString());
  }

  @Test
  @Order(3)
  void aSegmentProfileFindsATraitPlantedInAKnownShareOfItsMembers() {
    // 40 more customers after the journey's period: the first 20 order once (loyalty:one-time, with j1);
    // "plan": "pro" is planted in 10 of those members and in 2 others.
    StringBuilder batch = new StringBuilder("{\"batch\": [");
    for (int c = 0; c < 40; c++) {
      String id = "p-" + c;
      if (c > 0) batch.append(',');
      batch.append("""
          {"type": "page", "userId": "%s", "name": "Home", "messageId": "%s-page", "timestamp": "%s"}""".formatted(id, id, day(31)));
      if (c < 20) {
        batch.append(",").append("""
            {"type": "track", "userId": "%s", "event": "Order Completed", "messageId": "%s-order", "timestamp": "%s",
             "properties": {"order_id": "%s-order", "revenue": 10}}""".formatted(id, id, day(32), id));
      }
      if (c < 10 || c == 20 || c == 21) {
        batch.append(",").append("""
            {"type": "identify", "userId": "%s", "messageId": "%s-identify", "timestamp": "%s", "traits": {"plan": "pro"}}"""
            .formatted(id, id, day(33)));
      }
    }
    assertEquals(200, api.post("/v1/batch", batch.append("]}").toString()).status());
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertEquals(21, api.get("/v1/segments/loyalty:one-time").json().get("count").asInt()));

    ApiClient.Response answer = api.get("/v1/insights/segments/loyalty:one-time/profile");
    assertEquals(200, answer.status(), answer.body());
    JsonNode profile = answer.json();
    assertEquals("{\"members\":21,\"membersSampled\":21,\"population\":43,\"populationSampled\":43,\"exact\":true}",
        profile.get("sample").toString());
    Map<String, JsonNode> byAttribute = new java.util.HashMap<>();
    profile.get("attributes").forEach(a -> byAttribute.put(a.get("attribute").asText(), a));
    JsonNode pro = byAttribute.get("trait:plan=pro");
    assertEquals("trait", pro.get("kind").asText());
    assertEquals(10, pro.get("inSegment").asLong());
    assertEquals(10.0 / 21, pro.get("segmentShare").asDouble());
    assertEquals(12, pro.get("overall").asLong());
    assertEquals(12.0 / 43, pro.get("overallShare").asDouble());
    assertEquals((10.0 / 21) / (12.0 / 43), pro.get("lift").asDouble());
    assertTrue(pro.get("segmentShareLow").isNull(), "exact: no interval");
    JsonNode ordered = byAttribute.get("event:Order Completed");
    assertEquals(21, ordered.get("inSegment").asLong());
    assertEquals(21, ordered.get("overall").asLong());
    assertEquals(1.0 / (21.0 / 43), ordered.get("lift").asDouble());
    assertEquals(null, byAttribute.get("segment:loyalty:one-time"), "not the segment itself");
    assertEquals(404, api.get("/v1/insights/segments/nope:nothing/profile").status());
  }

  /** Last: its customers would join the histories the tests before it count exactly. */
  @Test
  @Order(4)
  void aPropensityModelIsTrainedOnTheJournalsStoredWithItsWindowAndScoresACustomerWithItsReasons() {
    // Known at D30 (features as of now - 10 days): ten who added to a cart and ordered within the ten days after, ten who only looked.
    StringBuilder batch = new StringBuilder("{\"batch\": [");
    for (int c = 0; c < 20; c++) {
      String id = "q-" + c;
      if (c > 0) batch.append(',');
      batch.append("""
          {"type": "track", "userId": "%s", "event": "%s", "messageId": "%s-1", "timestamp": "%s"}"""
          .formatted(id, c < 10 ? "Product Added" : "Product Viewed", id, day(29)));
      if (c < 10) {
        batch.append(",").append("""
            {"type": "track", "userId": "%s", "event": "Order Completed", "messageId": "%s-2", "timestamp": "%s",
             "properties": {"order_id": "%s-2", "revenue": 10}}""".formatted(id, id, day(35), id));
      }
    }
    assertEquals(200, api.post("/v1/batch", batch.append("]}").toString()).status());
    assertEquals(404, api.get("/v1/insights/propensity/journey:customer").status(), "no model yet");

    ApiClient.Response started = api.postBearer("/v1/insights/propensity/journey:customer/train", "dev-admin-token");
    assertEquals(202, started.status(), started.body());
    JsonNode top = Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> api.get("/v1/insights/propensity/journey:customer?top=5"),
        r -> r.status() == 200).json();
    JsonNode model = top.get("model");
    assertEquals(1, model.get("version").asInt());
    assertEquals(day(30).toString(), model.get("featuresAsOf").asText());
    assertEquals(day(40).toString(), model.get("labelsUntil").asText());
    // The prospects at D30: j1, j2, j3 (none ordered again) and the twenty; the ten who ordered entered.
    assertEquals(23, model.get("examples").asInt());
    assertEquals(10, model.get("positives").asInt());
    assertEquals(5, top.get("customers").size());
    double previous = 1;
    for (JsonNode ranked : top.get("customers")) {
      assertTrue(ranked.get("probability").asDouble() <= previous);
      previous = ranked.get("probability").asDouble();
    }

    JsonNode looked = api.get("/v1/customers/q-15/propensity?target=journey:customer").json();
    assertEquals("q-15", looked.get("customerId").asText());
    assertEquals(false, looked.get("inTarget").asBoolean());
    assertTrue(looked.get("probability").asDouble() > 0 && looked.get("probability").asDouble() < 1, looked.toString());
    assertEquals(5, looked.get("because").size(), looked.toString());
    JsonNode bought = api.get("/v1/customers/q-3/propensity?target=journey:customer").json();
    assertEquals(true, bought.get("inTarget").asBoolean(), "q-3 is a customer already");

    assertEquals(202, api.postBearer("/v1/insights/propensity/journey:customer/train", "dev-admin-token").status());
    Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertEquals(2, api.get("/v1/insights/propensity/journey:customer").json().get("model").get("version").asInt()));
    assertEquals(404, api.get("/v1/insights/propensity/nope:nothing").status());
    assertEquals(401, api.postBearer("/v1/insights/propensity/journey:customer/train", "dev-read-token").status());
    // Nobody asked for this one: the schedule trained it (once both outcomes occur among the prospects).
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertEquals(200, api.get("/v1/insights/propensity/journey:lapsed").status()));
  }

  @Test
  @Order(2)
  void journeyRestrictedToASegmentCountsOnlyItsMembers() {
    JsonNode restricted = journey("&segment=loyalty:one-time");
    assertEquals(1, restricted.get("customers").asInt(), restricted.toString());
    assertEquals("""
        [{"from":"(start)","to":"awareness","moves":1,"customers":1},\
        {"from":"awareness","to":"consideration","moves":1,"customers":1},\
        {"from":"consideration","to":"decision","moves":1,"customers":1},\
        {"from":"decision","to":"customer","moves":1,"customers":1},\
        {"from":"customer","to":"lapsed","moves":1,"customers":1}]""", restricted.get("flows").toString());
    assertEquals(404, api.get("/v1/insights/journey?segment=nope:nothing").status());
    assertEquals(400, api.get("/v1/insights/journey?from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z").status());
    assertEquals(400, api.get("/v1/insights/journey?horizon=soon").status());
    assertEquals(400, api.get("/v1/insights/journey?source=guesses").status());
  }
}
