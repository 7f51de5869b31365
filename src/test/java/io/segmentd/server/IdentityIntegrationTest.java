package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.customer.Customer;
import io.segmentd.replay.CustomerHistory;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.JournalReader;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Identity through a real node: an identify with both ids, and an alias, merge one customer's
 * history into another's; the merged id answers as the other; the merge is in the journal, in
 * the history, idempotent, replayable, and safe while both customers receive events.
 */
@ExtendWith(CassandraExtension.class)
class IdentityIntegrationTest {
  private static final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T12:00:00Z"));
  private static SegmentdNode node;
  private static ApiClient api;
  private static JournalReader journal;

  @BeforeAll
  static void start(LocalCassandra cassandra) {
    node = TestNodes.start(cassandra, "it_identity", clock);
    api = new ApiClient(node.httpPort());
    journal = new JournalReader(cassandra.contactPoint(), "it_identity");
  }

  @AfterAll
  static void stop() {
    if (journal != null) journal.close();
    if (node != null) node.close();
  }

  private static String order(String idField, String id, String messageId, String orderId, int revenue, String at) {
    return """
        {"type": "track", "%s": "%s", "event": "Order Completed", "messageId": "%s", "timestamp": "%s",
         "properties": {"order_id": "%s", "revenue": %d}}""".formatted(idField, id, messageId, at, orderId, revenue);
  }

  private static String view(String idField, String id, String messageId, String at) {
    return """
        {"type": "track", "%s": "%s", "event": "Product Viewed", "messageId": "%s", "timestamp": "%s",
         "properties": {"product_id": "p-1"}}""".formatted(idField, id, messageId, at);
  }

  private static JsonNode batch(String... events) {
    ApiClient.Response response = api.post("/v1/batch", "{\"batch\": [" + String.join(",", events) + "]}");
    assertEquals(200, response.status(), response.body());
    return response.json();
  }

  private static List<String> segments(String customer) {
    List<String> segments = new ArrayList<>();
    api.get("/v1/customers/" + customer + "/segments").json().get("segments").forEach(s -> segments.add(s.asText()));
    return segments;
  }

  private static Set<String> members(String segment) {
    Set<String> members = new TreeSet<>();
    api.get("/v1/segments/" + segment + "/members?limit=1000").json().get("members").forEach(m -> members.add(m.asText()));
    return members;
  }

  @Test
  void identifyWithBothIdsMergesTheAnonymousHistoryIntoTheKnownCustomer() throws Exception {
    batch(view("anonymousId", "anon-1", "a-1", "2024-02-20T10:00:00Z"),
        order("anonymousId", "anon-1", "a-2", "o-a", 30, "2024-02-21T10:00:00Z"),
        order("userId", "user-1", "u-1", "o-u", 20, "2024-02-25T10:00:00Z"));
    assertTrue(segments("anon-1").contains("loyalty:one-time"));
    assertTrue(segments("user-1").contains("loyalty:one-time"));
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertTrue(members("loyalty:one-time").containsAll(Set.of("anon-1", "user-1"))));

    String identify = """
        {"type": "identify", "userId": "user-1", "anonymousId": "anon-1", "messageId": "id-1",
         "timestamp": "2024-02-28T10:00:00Z", "traits": {"email": "ada@example.com"}}""";
    JsonNode answer = batch(identify);
    assertEquals(1, answer.get("accepted").asInt());

    JsonNode known = api.get("/v1/customers/user-1").json();
    JsonNode viaAlias = api.get("/v1/customers/anon-1").json();
    assertEquals(known, viaAlias, "the anonymous id answers as the known customer");
    assertEquals("user-1", viaAlias.get("customerId").asText());
    assertEquals("[\"anon-1\"]", known.get("aliases").toString());
    assertEquals(4, known.get("eventCount").asInt());
    assertEquals(2, known.get("purchasing").get("orders").asInt());
    assertEquals(50, known.get("purchasing").get("revenue").asInt());
    List<String> after = segments("user-1");
    assertTrue(after.contains("loyalty:repeat"), after.toString());
    assertFalse(after.contains("loyalty:one-time"), after.toString());
    assertEquals(after, segments("anon-1"));

    // The read side: the anonymous customer left its segments, the known one moved on.
    Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Set<String> oneTime = members("loyalty:one-time");
      assertFalse(oneTime.contains("anon-1"), oneTime.toString());
      assertFalse(oneTime.contains("user-1"), oneTime.toString());
      assertTrue(members("loyalty:repeat").contains("user-1"));
      assertFalse(members("loyalty:repeat").contains("anon-1"));
    });

    // The merge is an entry of the history, whichever id is asked.
    JsonNode history = api.get("/v1/customers/anon-1/history?order=recorded").json();
    assertEquals("user-1", history.get("customerId").asText());
    List<JsonNode> merges = new ArrayList<>();
    history.get("transitions").forEach(t -> {
      if (t.get("direction").asText().equals("merged")) merges.add(t);
    });
    assertEquals(1, merges.size(), history.toString());
    assertEquals("{\"alias\":\"anon-1\",\"events\":\"2\"}", merges.get(0).get("cause").get("values").toString());
    assertEquals("merge", merges.get(0).get("cause").get("trigger").asText());
    JsonNode eventOrder = api.get("/v1/customers/user-1/history").json();
    assertTrue(eventOrder.get("transitions").toString().contains("\"direction\":\"merged\""), eventOrder.toString());

    // Both journals replay to what the entities hold.
    CustomerHistory anonJournal = journal.history("anon-1");
    assertEquals("user-1", anonJournal.mergedInto());
    assertEquals(Set.of(), anonJournal.recordedMemberships().keySet());
    assertEquals(Set.of(), journal.replayedSegments("anon-1"));
    CustomerHistory knownJournal = journal.history("user-1");
    assertEquals(new TreeSet<>(after), new TreeSet<>(knownJournal.recordedMemberships().keySet()));
    assertEquals(new TreeSet<>(after), journal.replayedSegments("user-1"));
    assertEquals(4, knownJournal.eventCount());

    // Later events naming only the anonymous id are the known customer's.
    batch(order("anonymousId", "anon-1", "a-3", "o-a2", 5, "2024-02-29T10:00:00Z"));
    assertEquals(3, api.get("/v1/customers/user-1").json().get("purchasing").get("orders").asInt());
    assertEquals(List.of(), journal.messageIds("anon-1").stream().filter(id -> id.equals("a-3")).toList());

    // Idempotent: the identify again counts nothing twice and merges nothing twice.
    JsonNode again = batch(identify);
    assertEquals(0, again.get("accepted").asInt());
    assertEquals(1, again.get("duplicates").asInt());
    assertEquals(5, api.get("/v1/customers/user-1").json().get("eventCount").asInt());
    long mergeEvents = journal.history("user-1").entries().stream().filter(e -> e.event() instanceof Customer.AliasMerged).count();
    assertEquals(1, mergeEvents);
  }

  @Test
  void aliasMergesThePreviousIdAndItsOwnAliasesAlong() throws Exception {
    batch(view("userId", "old-1", "o-1", "2024-02-10T10:00:00Z"),
        view("anonymousId", "anon-2", "o-2", "2024-02-11T10:00:00Z"),
        view("userId", "new-1", "n-1", "2024-02-12T10:00:00Z"));
    batch("""
        {"type": "identify", "userId": "old-1", "anonymousId": "anon-2", "messageId": "o-3", "timestamp": "2024-02-13T10:00:00Z"}""");
    batch("""
        {"type": "alias", "userId": "new-1", "previousId": "old-1", "messageId": "n-2", "timestamp": "2024-02-14T10:00:00Z"}""");
    JsonNode profile = api.get("/v1/customers/anon-2").json();
    assertEquals("new-1", profile.get("customerId").asText());
    assertEquals("[\"anon-2\",\"old-1\"]", profile.get("aliases").toString());
    assertEquals(5, profile.get("eventCount").asInt());
    assertEquals(profile, api.get("/v1/customers/old-1").json());

    // An alias without the previous id names nothing to merge: refused, naming the field.
    ApiClient.Response refused = api.post("/v1/alias", """
        {"userId": "new-1", "messageId": "n-3", "timestamp": "2024-02-14T10:00:00Z"}""");
    assertEquals(400, refused.status(), refused.body());
    assertEquals("invalid_event", refused.json().get("error").asText());
  }

  @Test
  void anAnonymousIdBelongsToTheFirstCustomerItWasMergedIntoAndACycleIsRefused() throws Exception {
    batch(view("anonymousId", "anon-3", "c-1", "2024-02-10T10:00:00Z"));
    batch("""
        {"type": "identify", "userId": "first-3", "anonymousId": "anon-3", "messageId": "c-2", "timestamp": "2024-02-11T10:00:00Z"}""");
    // A second user claiming the same anonymous id: its identify is recorded, the id stays with the first.
    batch("""
        {"type": "identify", "userId": "second-3", "anonymousId": "anon-3", "messageId": "c-3", "timestamp": "2024-02-12T10:00:00Z"}""");
    assertEquals("first-3", api.get("/v1/customers/anon-3").json().get("customerId").asText());
    JsonNode second = api.get("/v1/customers/second-3").json();
    assertEquals(1, second.get("eventCount").asInt());
    assertEquals("[]", second.get("aliases").toString());
    // The known customer aliased back to its own alias: no loop, nothing merged twice.
    batch("""
        {"type": "alias", "userId": "anon-3", "previousId": "first-3", "messageId": "c-4", "timestamp": "2024-02-13T10:00:00Z"}""");
    JsonNode first = api.get("/v1/customers/first-3").json();
    assertEquals("first-3", first.get("customerId").asText());
    assertEquals(3, first.get("eventCount").asInt());
    assertEquals(first, api.get("/v1/customers/anon-3").json());
  }

  @Test
  void aMergeWhileBothCustomersReceiveEventsCountsEveryEventOnce() throws Exception {
    int pairs = 6;
    int perCustomer = 40;
    ExecutorService senders = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> sent = new ArrayList<>();
      for (int p = 0; p < pairs; p++) {
        String anon = "race-anon-" + p;
        String known = "race-user-" + p;
        sent.add(senders.submit(() -> {
          for (int i = 0; i < perCustomer; i++) {
            batch(view("anonymousId", anon, anon + "-" + i, "2024-02-%02dT10:00:00Z".formatted(1 + i % 28)));
          }
        }));
        sent.add(senders.submit(() -> {
          for (int i = 0; i < perCustomer; i++) {
            batch(view("userId", known, known + "-" + i, "2024-02-%02dT11:00:00Z".formatted(1 + i % 28)));
            if (i == perCustomer / 4) {
              batch("""
                  {"type": "identify", "userId": "%s", "anonymousId": "%s", "messageId": "%s-identify",
                   "timestamp": "2024-02-15T12:00:00Z"}""".formatted(known, anon, known));
            }
          }
        }));
      }
      for (Future<?> f : sent) f.get();
    } finally {
      senders.shutdown();
    }
    for (int p = 0; p < pairs; p++) {
      String anon = "race-anon-" + p;
      String known = "race-user-" + p;
      JsonNode profile = api.get("/v1/customers/" + known).json();
      assertEquals(2 * perCustomer + 1, profile.get("eventCount").asInt(), profile.toString());
      assertEquals(profile, api.get("/v1/customers/" + anon).json());
      // Each event once in the known customer's journal, whichever customer it was sent to first.
      List<String> ids = journal.messageIds(known);
      assertEquals(2 * perCustomer + 1, new HashSet<>(ids).size());
      assertEquals(2 * perCustomer + 1, ids.size(), "no event recorded twice in " + known);
      assertEquals(new TreeSet<>(journal.history(known).recordedMemberships().keySet()), journal.replayedSegments(known));
      assertEquals(Set.of(), journal.replayedSegments(anon));
    }
  }
}
