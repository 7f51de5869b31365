package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.HostileInputs;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hundreds of hostile requests against a real node: each gets its documented 4xx, nothing of them
 * reaches the journal or any profile, and the node keeps serving. Then a seeded fuzz of a valid
 * batch: never a 5xx, and what was acknowledged is exactly what the journal holds.
 */
@ExtendWith(CassandraExtension.class)
class HostileInputIntegrationTest {
  private static final String KEYSPACE = "it_hostile";
  private static final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
  private static final Set<String> DOCUMENTED = Set.of("invalid_json", "invalid_batch", "invalid_event", "invalid_id", "invalid_unicode",
      "invalid_timestamp", "event_too_large", "request_too_large", "too_many_events", "invalid_body", "unsupported_encoding");
  private static LocalCassandra cassandra;
  private static SegmentdNode node;
  private static ApiClient api;
  private static int managementPort;

  @BeforeAll
  static void start(LocalCassandra localCassandra) {
    cassandra = localCassandra;
    managementPort = LocalCassandra.freePort();
    node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), KEYSPACE, managementPort,
        Map.of("segmentd.ingest.body-timeout", "2s")), clock);
    api = new ApiClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  private static final String CANARIES = """
      {"batch": [
        {"type": "track", "userId": "canary-1", "messageId": "c-1", "timestamp": "2024-02-20T09:00:00Z", "event": "Order Completed",
         "properties": {"order_id": "o-1", "revenue": 20}},
        {"type": "page", "userId": "canary-2", "messageId": "c-2", "timestamp": "2024-02-21T09:00:00Z", "name": "Home"},
        {"type": "track", "userId": "hostile", "messageId": "c-3", "timestamp": "2024-02-22T09:00:00Z", "event": "Known"}
      ]}""";

  @Test
  void everyHostileRequestGetsItsDocumentedAnswerAndChangesNothing() throws Exception {
    assertEquals(200, api.post("/v1/batch", CANARIES).status());
    Map<String, JsonNode> profiles = profiles("canary-1", "canary-2", "hostile");
    Set<String> journal = journalRows();
    List<HostileInputs.Case> cases = HostileInputs.all();
    assertTrue(cases.size() >= 300, "cases: " + cases.size());
    List<String> wrong = new ArrayList<>();
    for (HostileInputs.Case c : cases) {
      ApiClient.Response response = api.postBytes(c.path(), c.body(), c.headers());
      String error = errorOf(response);
      if (response.status() != c.status() || !c.error().equals(error)) {
        wrong.add(c.name() + ": expected " + c.status() + " " + c.error() + ", got " + response.status() + " "
            + response.body().substring(0, Math.min(300, response.body().length())));
      }
    }
    assertEquals(List.of(), wrong, wrong.size() + " of " + cases.size() + " cases answered otherwise");
    assertEquals(journal, journalRows(), "the journal changed");
    assertEquals(profiles, profiles("canary-1", "canary-2", "hostile"), "a profile changed");
    assertHealthy();
  }

  @org.junit.jupiter.api.RepeatedTest(3)
  void aBodyTrickledSlowerThanTheBodyTimeoutIsAnsweredAndTheNodeGoesOn() throws Exception {
    // Headers promise 200 bytes; 10 arrive, then nothing: the answer is a 408, not a hung connection.
    try (var socket = new java.net.Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", node.httpPort()), 5000);
      socket.setSoTimeout(60_000);
      String auth = java.util.Base64.getEncoder().encodeToString("dev-write-key:".getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().write(("POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + auth
          + "\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"batch\":").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      String statusLine = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
      assertEquals("HTTP/1.1 408 Request Timeout", statusLine);
    }
    assertHealthy();
  }

  @Test
  void fuzzedBatchesNeverGetA5xxAndTheJournalHoldsExactlyWhatWasAcknowledged() throws Exception {
    Random random = new Random(20261130L);
    String base = """
        {"context": {"timezone": "Europe/Paris"}, "batch": [
          {"type": "track", "userId": "fuzz-1", "messageId": "f-1", "timestamp": "2024-02-20T09:00:00Z", "event": "Order Completed",
           "properties": {"order_id": "o-1", "revenue": 20.5, "items": [{"sku": "a", "n": 2}]}},
          {"type": "identify", "anonymousId": "fuzz-2", "messageId": "f-2", "timestamp": "2024-02-21T09:00:00+01:00", "traits": {"plan": "pro"}},
          {"type": "page", "userId": "fuzz-3", "messageId": "f-3", "originalTimestamp": "2024-02-22T09:00:00Z", "name": "Home"}
        ]}""";
    Map<String, JsonNode> before = profiles("canary-1", "canary-2");
    int acknowledged = 0;
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      byte[] body = mutate(base.replace("\"f-", "\"f" + i + "-").getBytes(StandardCharsets.UTF_8), random);
      ApiClient.Response response = api.postBytes("/v1/batch", body, Map.of());
      if (response.status() == 200) {
        acknowledged += response.json().get("accepted").asInt();
      } else if (response.status() >= 500 || !DOCUMENTED.contains(errorOf(response))) {
        wrong.add(i + ": " + response.status() + " " + response.body() + " for " + new String(body, StandardCharsets.UTF_8));
      }
    }
    assertEquals(List.of(), wrong);
    assertTrue(acknowledged > 100, "too few fuzzed events were valid to tell anything: " + acknowledged);
    assertEquals(acknowledged, eventsInJournalExcept(Set.of("canary-1", "canary-2", "hostile")), "acknowledged events against the journal");
    assertEquals(before, profiles("canary-1", "canary-2"));
    assertHealthy();
  }

  /** One to three random edits of the body's bytes: deletions, insertions of JSON-significant text, repeats, flips. */
  private static byte[] mutate(byte[] body, Random random) {
    String[] inserts = {"\"", "{", "}", "[", "]", ",", ":", "\\", "\\u", "\\ud800", "\u0000", "null", "true", "-", "1e999", "9".repeat(40),
        "\"x\"", "é", "😀", " ", "\n", "{\"a\":{\"b\":[1,2,{}]}}"};
    byte[] out = body;
    for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
      int at = random.nextInt(out.length);
      java.io.ByteArrayOutputStream next = new java.io.ByteArrayOutputStream();
      switch (random.nextInt(4)) {
        case 0 -> { // delete a span
          int length = 1 + random.nextInt(8);
          next.write(out, 0, at);
          next.write(out, Math.min(out.length, at + length), out.length - Math.min(out.length, at + length));
        }
        case 1 -> { // insert
          next.write(out, 0, at);
          next.writeBytes(inserts[random.nextInt(inserts.length)].getBytes(StandardCharsets.UTF_8));
          next.write(out, at, out.length - at);
        }
        case 2 -> { // repeat a span
          int length = 1 + random.nextInt(20);
          int end = Math.min(out.length, at + length);
          next.write(out, 0, end);
          next.write(out, at, out.length - at);
        }
        default -> { // flip a byte
          next.writeBytes(out);
          byte[] flipped = next.toByteArray();
          flipped[at] = (byte) (flipped[at] ^ (1 << random.nextInt(8)));
          next.reset();
          next.writeBytes(flipped);
        }
      }
      out = next.toByteArray();
    }
    return out;
  }

  private static String errorOf(ApiClient.Response response) {
    JsonNode json;
    try {
      json = response.json();
    } catch (AssertionError notJson) {
      return "(not JSON)";
    }
    if (json.path("error").asText().equals("invalid_batch") && json.path("rejected").size() > 0) {
      return json.get("rejected").get(0).get("error").asText();
    }
    return json.path("error").asText("(none)");
  }

  private static Map<String, JsonNode> profiles(String... customers) {
    Map<String, JsonNode> profiles = new java.util.TreeMap<>();
    for (String c : customers) profiles.put(c, api.get("/v1/customers/" + c + "?asOf=2024-03-01T00:00:00Z").json());
    return profiles;
  }

  private static void assertHealthy() {
    assertEquals(200, api.getRaw("http://127.0.0.1:" + managementPort + "/ready").status());
    ApiClient.Response fine = api.post("/v1/track", "{\"userId\": \"after-" + System.nanoTime() + "\", \"event\": \"Still Fine\","
        + " \"timestamp\": \"2024-02-29T00:00:00Z\"}");
    assertEquals(200, fine.status(), fine.body());
  }

  private static CqlSession cql() {
    return io.segmentd.testing.TestCql.session("127.0.0.1", cassandra.port());
  }

  /** Every journal row, by persistence id, partition and sequence number. */
  private static Set<String> journalRows() {
    Set<String> rows = new TreeSet<>();
    try (CqlSession session = cql()) {
      for (Row row : session.execute("SELECT persistence_id, partition_nr, sequence_nr FROM " + KEYSPACE + ".messages")) {
        rows.add(row.getString(0) + "/" + row.getLong(1) + "/" + row.getLong(2));
      }
    }
    return rows;
  }

  /** Events recorded for every customer but these, read back from the journal. */
  private static int eventsInJournalExcept(Set<String> others) throws Exception {
    Set<String> customers = new TreeSet<>();
    try (CqlSession session = cql()) {
      for (Row row : session.execute("SELECT persistence_id FROM " + KEYSPACE + ".messages")) {
        String id = row.getString(0).substring(row.getString(0).indexOf('|') + 1);
        if (!others.contains(id) && !id.startsWith("after-")) customers.add(id);
      }
    }
    int events = 0;
    try (var reader = new io.segmentd.testing.JournalReader(cassandra.contactPoint(), KEYSPACE)) {
      for (String customer : customers) events += reader.messageIds(customer).size();
    }
    return events;
  }
}
