package io.segmentd.ingest;

import io.segmentd.http.InvalidRequest;

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
    return parser.parseBatch(json.getBytes(StandardCharsets.UTF_8), NOW);
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
    assertEquals(first, parser.parseBatch(json.getBytes(StandardCharsets.UTF_8), NOW.plusSeconds(5)).get(0).event().messageId());
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
  void problemsAreNamedWithTheirPlace() {
    InvalidRequest e = assertThrows(InvalidRequest.class, () -> batch("""
        {"batch": [{"type": "track", "userId": "u", "event": "E"},
                   {"type": "track", "userId": "u", "event": "E", "context": {"timezone": "Mars/Olympus"}}]}"""));
    assertEquals("batch[1].context.timezone 'Mars/Olympus' is not an IANA time zone", e.detail());
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
    InvalidRequest e = assertThrows(InvalidRequest.class, () -> batch(
        "{\"batch\": [{\"type\": \"track\", \"userId\": \"u\", \"event\": \"Order Completed\", \"properties\": {\"revenue\": 1e400000000}}]}"));
    assertEquals("invalid_event", e.error());
    assertTrue(e.detail().startsWith("batch[0] holds a value out of range"), e.detail());
    InvalidRequest huge = assertThrows(InvalidRequest.class, () -> batch(
        "{\"batch\": [{\"type\": \"track\", \"userId\": \"u\", \"event\": \"E\", \"properties\": {\"n\": 1e300}}]}"));
    assertEquals("batch[0].properties.n = 1E+300 is out of range (at most 38 digits, 18 of them after the point)", huge.detail());
  }

  @Test
  void tooDeeplyNestedJsonIsA400NotACrash() {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    InvalidRequest e = assertThrows(InvalidRequest.class, () -> batch("{\"batch\": " + deep + "}"));
    assertEquals("invalid_json", e.error());
  }
}
