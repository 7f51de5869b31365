package io.segmentd.ingest;

import io.segmentd.http.InvalidRequest;
import io.segmentd.http.RejectedEvent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import io.segmentd.http.JsonSupport;
import io.segmentd.testing.TestSettings;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SegmentPayloadParserTest {
  private static final Instant NOW = Instant.parse("2024-03-01T00:00:00Z");
  private final SegmentPayloadParser parser = new SegmentPayloadParser(JsonSupport.MAPPER,
      IngestSettings.fromConfig(TestSettings.segmentd(Map.of()).getConfig("ingest")), TestSettings.profile());

  private List<CustomerEvent> batch(String json) {
    return parser.parseBatch(json.getBytes(StandardCharsets.UTF_8), NOW).events();
  }

  /** The reason the only event of a batch was refused. */
  private RejectedEvent refused(String json) {
    InvalidRequest e = assertThrows(InvalidRequest.class, () -> batch(json));
    assertEquals("invalid_batch", e.error());
    assertEquals(1, e.rejected().size(), e.rejected().toString());
    return e.rejected().get(0);
  }

  @Test
  void batchEventsAreMappedToCustomersAndEventTime() {
    List<CustomerEvent> events = batch("""
        {"context": {"timezone": "Europe/Berlin"}, "batch": [
          {"type": "track", "userId": 17850, "event": "Order Completed", "messageId": "m1",
           "timestamp": "2011-06-30T12:00:00+02:00", "properties": {"order_id": "o1", "revenue": 99.90}},
          {"type": "page", "anonymousId": "anon-1", "name": "Pricing", "messageId": "m2", "context": {"timezone": "America/New_York"}},
          {"type": "identify", "userId": "u2", "traits": {"plan": "pro"}, "messageId": "m3", "timestamp": "2024-01-01T00:00:00Z"}
        ]}""");
    assertEquals(3, events.size());
    CustomerEvent order = events.get(0);
    assertEquals("17850", order.customerId());
    assertEquals(new BehaviorEvent("m1", EventType.TRACK, "Order Completed", Instant.parse("2011-06-30T10:00:00Z"), NOW,
        "Europe/Berlin", Map.of("order_id", "o1", "revenue", new BigDecimal("99.90"))), order.event());
    assertEquals(new BigDecimal("99.90"), order.event().amount());
    CustomerEvent page = events.get(1);
    assertEquals("anon-1", page.customerId());
    assertEquals("Pricing", page.event().name());
    assertEquals(NOW, page.event().timestamp(), "no timestamp: the time of receipt");
    assertEquals("America/New_York", page.event().timezone());
    assertEquals(Map.of("plan", "pro"), events.get(2).event().properties());
  }

  @Test
  void userIdWinsOverAnonymousId() {
    assertEquals("u1", batch("{\"batch\": [{\"type\": \"track\", \"userId\": \"u1\", \"anonymousId\": \"a1\", \"event\": \"E\"}]}")
        .get(0).customerId());
  }

  @Test
  void eventWithoutMessageIdGetsAStableIdFromItsContent() {
    String json = "{\"batch\": [{\"type\": \"track\", \"userId\": \"u1\", \"event\": \"E\", \"timestamp\": \"2024-01-01T00:00:00Z\"}]}";
    String first = batch(json).get(0).event().messageId();
    assertEquals(first, parser.parseBatch(json.getBytes(StandardCharsets.UTF_8), NOW.plusSeconds(5)).events().get(0).event().messageId());
    assertNotEquals(first, batch(json.replace("\"E\"", "\"F\"")).get(0).event().messageId());
    assertNotEquals(first, batch(json.replace("u1", "u2")).get(0).event().messageId());
  }

  @Test
  void singleCallTypeMustMatchTheEndpoint() {
    InvalidRequest e = assertThrows(InvalidRequest.class, () -> parser.parseSingle(
        "{\"type\": \"page\", \"userId\": \"u\", \"event\": \"E\"}".getBytes(StandardCharsets.UTF_8), EventType.TRACK, NOW));
    assertEquals("invalid_event", e.error());
    assertEquals("type 'page' does not match the endpoint /v1/track", e.detail());
  }

  @Test
  void aBadEventIsListedWithItsPlaceAndTheOthersAreKept() {
    SegmentPayloadParser.Parsed parsed = parser.parseBatch("""
        {"batch": [{"type": "track", "userId": "u", "event": "E", "messageId": "m0"},
                   {"type": "track", "userId": "u", "event": "E", "context": {"timezone": "Mars/Olympus"}},
                   {"type": "track", "userId": "u", "event": "E", "messageId": "m2"}]}""".getBytes(StandardCharsets.UTF_8), NOW);
    assertEquals(List.of("m0", "m2"), parsed.events().stream().map(e -> e.event().messageId()).toList());
    assertEquals(List.of(new RejectedEvent(1, "invalid_event", "batch[1].context.timezone 'Mars/Olympus' is not an IANA time zone")),
        parsed.rejected());
    InvalidRequest json = assertThrows(InvalidRequest.class, () -> batch("{\"batch\": [}"));
    assertEquals("invalid_json", json.error());
  }

  @Test
  void refundWithoutAmountIsAccepted() {
    BehaviorEvent refund = batch("{\"batch\": [{\"type\": \"track\", \"userId\": \"u\", \"event\": \"Order Refunded\", \"properties\": {\"order_id\": \"o1\"}}]}")
        .get(0).event();
    assertNull(refund.amount());
    assertEquals("o1", refund.orderKey());
  }

  @Test
  void absurdNumbersAreRefusedBeforeTheyReachASum() {
    RejectedEvent e = refused(
        "{\"batch\": [{\"type\": \"track\", \"userId\": \"u\", \"event\": \"Order Completed\", \"properties\": {\"revenue\": 1e400000000}}]}");
    assertEquals(new RejectedEvent(0, "invalid_event",
        "batch[0].properties.revenue = 1E+400000000 is out of range (at most 38 digits, 18 of them after the point)"), e);
    RejectedEvent huge = refused("{\"batch\": [{\"type\": \"track\", \"userId\": \"u\", \"event\": \"E\", \"properties\": {\"n\": 1e300}}]}");
    assertEquals("batch[0].properties.n = 1E+300 is out of range (at most 38 digits, 18 of them after the point)", huge.detail());
  }

  @Test
  void tooDeeplyNestedJsonIsA400NotACrash() {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    InvalidRequest e = assertThrows(InvalidRequest.class, () -> batch("{\"batch\": " + deep + "}"));
    assertEquals("invalid_json", e.error());
  }

  private static String track(String fields) {
    return "{\"batch\": [{\"type\": \"track\", \"event\": \"E\", " + fields + "}]}";
  }

  @Test
  void idsOfAnyJsonTypeButStringOrIntegerAreRefused() {
    assertEquals(new RejectedEvent(0, "invalid_id", "batch[0].userId must be a string (or an integer), was a boolean"),
        refused(track("\"userId\": true")));
    assertEquals("batch[0].userId must be a string (or an integer), was an object", refused(track("\"userId\": {\"id\": 1}")).detail());
    assertEquals("batch[0].userId must be a string (or an integer), was an array", refused(track("\"userId\": [\"u\"]")).detail());
    assertEquals("batch[0].userId must be a string (or an integer), was a number", refused(track("\"userId\": 1.5")).detail());
    assertEquals("batch[0].anonymousId must be a string (or an integer), was a boolean",
        refused(track("\"userId\": \"u\", \"anonymousId\": false")).detail());
    assertEquals("batch[0].messageId must be a string, was a number", refused(track("\"userId\": \"u\", \"messageId\": 7")).detail());
    assertEquals("12345678901234567890123", batch(track("\"userId\": 12345678901234567890123")).get(0).customerId());
  }

  @Test
  void idsAreBoundedAndFreeOfControlCharacters() {
    assertEquals("u".repeat(256), batch(track("\"userId\": \"" + "u".repeat(256) + "\"")).get(0).customerId());
    assertEquals("batch[0].userId is 257 characters; the limit is 256 (segmentd.ingest.max-id-length)",
        refused(track("\"userId\": \"" + "u".repeat(257) + "\"")).detail());
    assertEquals("batch[0].userId holds the control character U+0000 at 1", refused(track("\"userId\": \"a\\u0000b\"")).detail());
    assertEquals("batch[0] has neither userId nor anonymousId", refused(track("\"userId\": \"\"")).detail());
  }

  @Test
  void stringsThatAreNotUnicodeAreRefusedBeforeTheJournal() {
    assertEquals(new RejectedEvent(0, "invalid_unicode", "batch[0].properties.note holds a lone UTF-16 surrogate (not valid Unicode)"),
        refused(track("\"userId\": \"u\", \"properties\": {\"note\": \"x\\ud800y\"}")));
    assertEquals("batch[0].properties (a key) holds a lone UTF-16 surrogate (not valid Unicode)",
        refused(track("\"userId\": \"u\", \"properties\": {\"\\udc00\": 1}")).detail());
    // a pair is a character like any other
    assertEquals("\ud83d\ude00", batch(track("\"userId\": \"u\", \"properties\": {\"face\": \"\\ud83d\\ude00\"}"))
        .get(0).event().properties().get("face"));
  }

  @Test
  void timestampsAreCorrectedForAClientClockThatIsOffBeforeTheyAreJudged() {
    // The client's clock is an hour ahead: its timestamp and sentAt are both an hour in the future.
    String ahead = "{\"sentAt\": \"2024-03-01T01:00:00Z\", \"batch\": [{\"type\": \"track\", \"userId\": \"u\", \"event\": \"E\","
        + " \"timestamp\": \"2024-03-01T00:59:00Z\"}]}";
    assertEquals(Instant.parse("2024-02-29T23:59:00Z"), batch(ahead).get(0).event().timestamp());
    // Within the tolerance (latency, a clock a little off) the time is kept exactly as sent.
    String close = "{\"batch\": [{\"type\": \"track\", \"userId\": \"u\", \"event\": \"E\", \"sentAt\": \"2024-02-29T23:59:58Z\","
        + " \"originalTimestamp\": \"2024-02-29T23:00:00.123Z\"}]}";
    assertEquals(Instant.parse("2024-02-29T23:00:00.123Z"), batch(close).get(0).event().timestamp());
    // Without sentAt nothing corrects it, and an hour ahead is refused.
    assertEquals("batch[0].timestamp 2024-03-01T01:00:00Z is more than PT5M ahead of the server clock (segmentd.ingest.max-future-skew)",
        refused(track("\"userId\": \"u\", \"timestamp\": \"2024-03-01T01:00:00Z\"")).detail());
    assertEquals("batch[0].timestamp must be an ISO-8601 string, was an integer",
        refused(track("\"userId\": \"u\", \"timestamp\": 1709251200")).detail());
    assertEquals("batch[0].timestamp 1999-12-31T23:59:59Z is before the earliest accepted time 2000-01-01T00:00:00Z"
        + " (segmentd.ingest.earliest-event-time)", refused(track("\"userId\": \"u\", \"timestamp\": \"1999-12-31T23:59:59Z\"")).detail());
  }

  @Test
  void propertiesAreBoundedInDepthCountAndKeys() {
    String deep = "{\"a\":".repeat(16) + "1" + "}".repeat(16);
    assertEquals("batch[0].properties.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a is nested deeper than 16 levels (segmentd.ingest.max-depth)",
        refused(track("\"userId\": \"u\", \"properties\": {\"a\": " + deep + "}")).detail());
    StringBuilder many = new StringBuilder("{");
    for (int i = 0; i < 5001; i++) many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\": 1");
    assertEquals("batch[0].properties holds more than 5000 values (segmentd.ingest.max-properties)",
        refused(track("\"userId\": \"u\", \"properties\": " + many + "}")).detail());
    assertEquals("batch[0].properties has a key of 257 characters; the limit is 256 (segmentd.ingest.max-property-key-length)",
        refused(track("\"userId\": \"u\", \"properties\": {\"" + "k".repeat(257) + "\": 1}")).detail());
    assertEquals("batch[0].properties must be a JSON object, was an array", refused(track("\"userId\": \"u\", \"properties\": [1]")).detail());
    assertEquals("batch[0].event must be a string, was an integer", refused("{\"batch\": [{\"type\": \"track\", \"userId\": \"u\", \"event\": 5}]}").detail());
  }
}
