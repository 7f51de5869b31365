package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.customer.Customer;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.JournalReader;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code DELETE /v1/customers/{id}} through a real node: a customer in several segments, with an
 * anonymous id merged into it, is erased from the journal, snapshots, schedule, tag views, members,
 * counts and changes log; later events start a new history, or are refused, as configured.
 */
@ExtendWith(CassandraExtension.class)
class ErasureIntegrationTest {
  private static final String ADMIN = "dev-admin-token";

  private static String event(String idField, String id, String messageId, String name, String at, String properties) {
    return """
        {"type": "track", "%s": "%s", "event": "%s", "messageId": "%s", "timestamp": "%s", "properties": %s}"""
        .formatted(idField, id, name, messageId, at, properties);
  }

  /** Two orders and some views as {@code customer} (its anonymous id merged in by an identify), and a bystander. */
  private static List<String> remember(ApiClient api, String customer, String anonymous) {
    String batch = "{\"batch\": [" + String.join(",",
        event("anonymousId", anonymous, customer + "-1", "Product Viewed", "2024-02-20T09:00:00Z", "{\"product_id\": \"p1\"}"),
        event("anonymousId", anonymous, customer + "-2", "Order Completed", "2024-02-20T09:30:00Z", "{\"order_id\": \"" + customer + "-o1\", \"revenue\": 40}"),
        event("userId", customer, customer + "-3", "Order Completed", "2024-02-25T09:30:00Z", "{\"order_id\": \"" + customer + "-o2\", \"revenue\": 60}"),
        event("userId", customer, customer + "-4", "Product Viewed", "2024-02-26T09:00:00Z", "{\"product_id\": \"p2\"}"),
        event("userId", "bystander-" + customer, "b-" + customer, "Order Completed", "2024-02-25T09:30:00Z", "{\"order_id\": \"b-" + customer + "\", \"revenue\": 60}"))
        + "]}";
    assertEquals(200, api.post("/v1/batch", batch).status());
    assertEquals(200, api.post("/v1/identify", """
        {"userId": "%s", "anonymousId": "%s", "messageId": "%s-5", "timestamp": "2024-02-27T09:00:00Z"}""".formatted(customer, anonymous, customer)).status());
    List<String> segments = new ArrayList<>();
    api.get("/v1/customers/" + customer + "/segments").json().get("segments").forEach(s -> segments.add(s.asText()));
    assertTrue(segments.size() >= 4, "in several segments: " + segments);
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (String segment : segments) assertTrue(members(api, segment).contains(customer), segment);
    });
    return segments;
  }

  private static List<String> members(ApiClient api, String segment) {
    List<String> members = new ArrayList<>();
    api.get("/v1/segments/" + segment + "/members?limit=1000").json().get("members").forEach(m -> members.add(m.asText()));
    return members;
  }

  private static Map<String, Long> counts(ApiClient api, List<String> segments) {
    Map<String, Long> counts = new TreeMap<>();
    for (String segment : segments) counts.put(segment, api.get("/v1/segments/" + segment).json().get("count").asLong());
    return counts;
  }

  private static void assertNothingLeft(JournalReader journal, ApiClient api, String id, List<String> segments) throws Exception {
    String pid = Customer.persistenceId(id).id();
    // The journal keeps only the marker, which holds nothing but the instant.
    var entries = journal.history(id).entries();
    assertEquals(1, entries.size(), entries.toString());
    assertTrue(entries.get(0).event() instanceof Customer.Erased, entries.toString());
    assertEquals(1, journal.select("SELECT sequence_nr FROM %s.messages WHERE persistence_id = ? AND partition_nr = 0", pid).size());
    assertEquals(0, journal.select("SELECT sequence_nr FROM %s.snapshots WHERE persistence_id = ?", pid).size());
    assertEquals(0, journal.select("SELECT persistence_id FROM %s.tag_views WHERE persistence_id = ? ALLOW FILTERING", pid).size());
    assertEquals(0, journal.select("SELECT customer_id FROM %s.reevaluation_schedule WHERE customer_id = ? ALLOW FILTERING", id).size());
    assertEquals(0, journal.select("SELECT customer_id FROM %s.segment_members WHERE customer_id = ? ALLOW FILTERING", id).size());
    assertEquals(0, journal.select("SELECT customer_id FROM %s.segment_change_log WHERE customer_id = ? ALLOW FILTERING", id).size());
    assertEquals(0, journal.select("SELECT customer_id FROM %s.segment_change_keys WHERE customer_id = ? ALLOW FILTERING", id).size());
    for (String segment : segments) {
      assertFalse(members(api, segment).contains(id), segment);
      assertFalse(api.get("/v1/segments/" + segment + "/changes?follow=false").body().contains("\"" + id + "\""), segment);
    }
    assertEquals(404, api.get("/v1/customers/" + id).status());
  }

  @Test
  void anErasedCustomerIsGoneFromEverythingAndLaterEventsStartANewHistory(LocalCassandra cassandra) throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2024-03-01T12:00:00Z"));
    // Snapshots every few events, so there are some to erase.
    try (SegmentdNode node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_erasure", LocalCassandra.freePort(),
             Map.of("segmentd.customer.snapshot-every", 3)), clock);
         JournalReader journal = new JournalReader(cassandra.contactPoint(), "it_erasure")) {
      ApiClient api = new ApiClient(node.httpPort());
      List<String> segments = remember(api, "erase-1", "erase-anon-1");
      assertFalse(journal.select("SELECT sequence_nr FROM %s.snapshots WHERE persistence_id = ?", Customer.persistenceId("erase-1").id()).isEmpty());
      Map<String, Long> before = counts(api, segments);

      assertEquals(401, api.delete("/v1/customers/erase-1", "dev-read-token").status());
      // Asked by the anonymous id: the customer it belongs to goes, and the id with it.
      ApiClient.Response erased = api.delete("/v1/customers/erase-anon-1", ADMIN);
      assertEquals(200, erased.status(), erased.body());
      JsonNode result = erased.json();
      assertEquals("erase-1", result.get("customerId").asText());
      assertEquals("[\"erase-1\",\"erase-anon-1\"]", result.get("erased").toString());
      // 3 own events, 2 taken over from the anonymous id, and the 2 the anonymous id's own journal held.
      assertEquals(7, result.get("events").asLong());
      assertEquals("new-history", result.get("laterEvents").asText());

      assertNothingLeft(journal, api, "erase-1", segments);
      assertNothingLeft(journal, api, "erase-anon-1", List.of());
      Map<String, Long> after = counts(api, segments);
      before.replaceAll((segment, count) -> count - 1);
      assertEquals(before, after);
      assertTrue(members(api, "loyalty:one-time").contains("bystander-erase-1"), "others are untouched");

      // Erasing again finds nothing more to erase and says so.
      JsonNode again = api.delete("/v1/customers/erase-1", ADMIN).json();
      assertEquals(0, again.get("events").asLong());
      assertEquals("[\"erase-1\"]", again.get("erased").toString());

      // A later event starts a new history.
      assertEquals(200, api.post("/v1/track", event("userId", "erase-1", "erase-1-new", "Product Viewed", "2024-02-29T09:00:00Z", "{}")).status());
      JsonNode profile = api.get("/v1/customers/erase-1").json();
      assertEquals(1, profile.get("eventCount").asInt());
      assertEquals(0, profile.get("purchasing").get("orders").asInt());
    }
  }

  @Test
  void laterEventsForAnErasedCustomerAreRefusedWhenSoConfigured(LocalCassandra cassandra) throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2024-03-01T12:00:00Z"));
    try (SegmentdNode node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_erasure_refuse", LocalCassandra.freePort(),
             Map.of("segmentd.erasure.later-events", "refuse")), clock);
         JournalReader journal = new JournalReader(cassandra.contactPoint(), "it_erasure_refuse")) {
      ApiClient api = new ApiClient(node.httpPort());
      List<String> segments = remember(api, "erase-2", "erase-anon-2");
      ApiClient.Response erased = api.delete("/v1/customers/erase-2", ADMIN);
      assertEquals(200, erased.status(), erased.body());
      assertEquals("refuse", erased.json().get("laterEvents").asText());
      assertNothingLeft(journal, api, "erase-2", segments);

      ApiClient.Response later = api.post("/v1/batch", "{\"batch\": [" + String.join(",",
          event("userId", "erase-2", "erase-2-new", "Product Viewed", "2024-02-29T09:00:00Z", "{}"),
          event("anonymousId", "erase-anon-2", "erase-2-new-anon", "Product Viewed", "2024-02-29T09:00:00Z", "{}"),
          event("userId", "someone-else", "else-1", "Product Viewed", "2024-02-29T09:00:00Z", "{}")) + "]}");
      assertEquals(200, later.status(), later.body());
      assertEquals("{\"success\":true,\"accepted\":1,\"duplicates\":0,\"erased\":2}", later.body());
      assertEquals(404, api.get("/v1/customers/erase-2").status());
      assertEquals(1, journal.history("erase-2").entries().size());
    }
  }
}
