package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.customer.Customer;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The whole node on a real Cassandra, driven through its bound HTTP server. */
@ExtendWith(CassandraExtension.class)
class IngestAndQueryIntegrationTest {
  private static final String KEYSPACE = "it_ingest";
  private static final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
  private static LocalCassandra cassandra;
  private static SegmentdNode node;
  private static ApiClient api;

  @BeforeAll
  static void start(LocalCassandra localCassandra) {
    cassandra = localCassandra;
    // One request may carry at most max-remembered-ids events for one customer: small here, to test that limit.
    node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), KEYSPACE, LocalCassandra.freePort(),
        Map.of("segmentd.customer.max-remembered-ids", 1000)), clock);
    api = new ApiClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  private static final String BATCH = """
      {"batch": [
        {"type": "identify", "userId": "alice", "messageId": "a-0", "timestamp": "2024-01-01T09:00:00Z", "traits": {"email": "alice@example.com"}},
        {"type": "page", "userId": "alice", "messageId": "a-1", "timestamp": "2024-02-20T09:00:00Z", "name": "Home"},
        {"type": "track", "userId": "alice", "messageId": "a-2", "timestamp": "2024-02-20T09:05:00Z", "event": "Product Viewed", "properties": {"product_id": "p1"}},
        {"type": "track", "userId": "alice", "messageId": "a-3", "timestamp": "2024-02-20T09:10:00Z", "event": "Order Completed", "properties": {"order_id": "o-1", "revenue": 120.50}},
        {"type": "track", "userId": "alice", "messageId": "a-4", "timestamp": "2024-02-25T18:00:00+01:00", "event": "Order Completed", "properties": {"order_id": "o-2", "total": 30}},
        {"type": "track", "userId": "alice", "messageId": "a-5", "timestamp": "2024-02-26T10:00:00Z", "event": "Order Refunded", "properties": {"order_id": "o-1", "revenue": 20.25}},
        {"type": "track", "anonymousId": "anon-7", "messageId": "b-1", "timestamp": "2024-02-28T10:00:00Z", "event": "Product Viewed"}
      ]}""";

  @Test
  void profileIsReadBackFromTheJournalByANewActorSystem() throws Exception {
    String keyspace = "it_restart";
    JsonNode before;
    try (SegmentdNode first = TestNodes.start(cassandra, keyspace, clock)) {
      ApiClient client = new ApiClient(first.httpPort());
      assertEquals(200, client.post("/v1/batch", BATCH).status());
      before = client.get("/v1/customers/alice").json();
    }
    try (SegmentdNode second = TestNodes.start(cassandra, keyspace, clock)) {
      ApiClient client = new ApiClient(second.httpPort());
      ApiClient.Response after = client.get("/v1/customers/alice");
      assertEquals(200, after.status());
      assertEquals(before, after.json());
      JsonNode profile = after.json();
      assertEquals("alice", profile.get("customerId").asText());
      assertEquals(6, profile.get("eventCount").asInt());
      assertEquals("2024-01-01T09:00:00Z", profile.get("firstSeenAt").asText());
      assertEquals("2024-02-26T10:00:00Z", profile.get("lastSeenAt").asText());
      JsonNode purchasing = profile.get("purchasing");
      assertEquals(2, purchasing.get("orders").asInt());
      assertEquals("130.25", purchasing.get("revenue").decimalValue().toPlainString());
      assertEquals("2024-02-20T09:10:00Z", purchasing.get("firstOrderAt").asText());
      assertEquals("2024-02-25T17:00:00Z", purchasing.get("lastOrderAt").asText());
      JsonNode rfm = profile.get("rfm");
      assertEquals(5, rfm.get("r").asInt());
      assertEquals(2, rfm.get("f").asInt());
      assertEquals(1, rfm.get("m").asInt());
      assertEquals(4, rfm.get("recencyDays").asInt());
      assertEquals(2, rfm.get("frequency").asInt());
      assertEquals("130.25", rfm.get("monetary").decimalValue().toPlainString());
      // five interactions (page, view, two orders, refund) in the 30 days before the clock
      // orders 09:10 and 17:00 UTC, views 09:00 and 09:05, refund 10:00: mornings; R=5, F=2, M=1: potential loyalist
      List<String> expected = List.of("engagement:average", "journey:repeat", "loyalty:repeat", "occasion:morning",
          "purchasing:potential-loyalist", "usage:light");
      assertEquals(expected, texts(profile.get("segments")));
      JsonNode fromJournal = client.get("/v1/customers/alice/segments").json();
      assertEquals(expected, texts(fromJournal.get("segments")));
      assertEquals(clock.instant().toString(), fromJournal.get("asOf").asText());
      assertEquals(200, client.get("/v1/customers/anon-7").status());
    }
  }

  @Test
  void acknowledgedEventsAreInTheJournal() throws Exception {
    assertEquals(200, api.post("/v1/track", """
        {"userId": "journaled", "event": "Order Completed", "messageId": "j-1", "timestamp": "2024-02-01T00:00:00Z",
         "properties": {"order_id": "j-o1", "revenue": 10}}""").status());
    List<EventEnvelope> envelopes = journal("journaled");
    Customer.EventsRecorded recorded = (Customer.EventsRecorded) envelopes.get(0).event();
    assertEquals("j-1", recorded.events().get(0).messageId());
    assertEquals(Instant.parse("2024-02-01T00:00:00Z"), recorded.events().get(0).timestamp());
  }

  @Test
  void retriedMessageIdIsAcknowledgedButCountedOnce() {
    String event = """
        {"userId": "retrier", "event": "Order Completed", "messageId": "r-1", "timestamp": "2024-02-01T00:00:00Z",
         "properties": {"order_id": "r-o1", "revenue": 99.90}}""";
    assertEquals(200, api.post("/v1/track", event).status());
    ApiClient.Response retry = api.post("/v1/track", event);
    assertEquals(200, retry.status());
    assertEquals("{\"success\":true,\"accepted\":0,\"duplicates\":1}", retry.body());
    JsonNode profile = api.get("/v1/customers/retrier").json();
    assertEquals(1, profile.get("eventCount").asInt());
    assertEquals("99.90", profile.get("purchasing").get("revenue").decimalValue().toPlainString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "not JSON | {\"batch\": [ | invalid_json",
      "no batch array | {\"events\": []} | invalid_batch",
      "unknown type | {\"batch\": [{\"type\": \"trak\", \"userId\": \"bad-1\"}]} | invalid_event",
      "no user | {\"batch\": [{\"type\": \"track\", \"event\": \"X\"}]} | invalid_id",
      "no event name | {\"batch\": [{\"type\": \"track\", \"userId\": \"bad-1\"}]} | invalid_event",
      "bad timestamp | {\"batch\": [{\"type\": \"track\", \"userId\": \"bad-1\", \"event\": \"X\", \"timestamp\": \"yesterday\"}]} | invalid_timestamp",
      "too early | {\"batch\": [{\"type\": \"track\", \"userId\": \"bad-1\", \"event\": \"X\", \"timestamp\": \"1999-12-31T23:59:59Z\"}]} | invalid_timestamp",
      "in the future | {\"batch\": [{\"type\": \"track\", \"userId\": \"bad-1\", \"event\": \"X\", \"timestamp\": \"2024-03-01T00:06:00Z\"}]} | invalid_timestamp",
      "revenue not a number | {\"batch\": [{\"type\": \"track\", \"userId\": \"bad-1\", \"event\": \"Order Completed\", \"properties\": {\"revenue\": \"ten\"}}]} | invalid_event",
  })
  void aMalformedEventIsRefusedWithItsReasonAndTheGoodOnesOfItsBatchAreKept(String why, String badEvent, String error) throws Exception {
    String customer = "bad-" + why.replace(' ', '-');
    String bad = badEvent.replace("bad-1", customer);
    if (!bad.startsWith("{\"batch\": [{")) {
      // Not a batch at all: refused as a whole.
      ApiClient.Response response = api.post("/v1/batch", bad);
      assertEquals(400, response.status(), response.body());
      assertEquals(error, response.json().get("error").asText());
      return;
    }
    // Alone, the bad event is refused, the batch with it, and nothing is kept.
    ApiClient.Response alone = api.post("/v1/batch", bad);
    assertEquals(400, alone.status(), alone.body());
    assertEquals("invalid_batch", alone.json().get("error").asText());
    assertEquals(0, alone.json().get("rejected").get(0).get("index").asInt());
    assertEquals(error, alone.json().get("rejected").get(0).get("error").asText());
    assertEquals(404, api.get("/v1/customers/" + customer).status());
    // Behind a valid event of the same customer, the valid one is recorded and the bad one listed.
    String body = bad.replace("{\"batch\": [", "{\"batch\": [{\"type\": \"track\", \"userId\": \"" + customer
        + "\", \"event\": \"Fine\", \"messageId\": \"ok-1\", \"timestamp\": \"2024-02-01T00:00:00Z\"}, ");
    ApiClient.Response response = api.post("/v1/batch", body);
    assertEquals(200, response.status(), response.body());
    assertEquals(1, response.json().get("accepted").asInt());
    assertEquals(1, response.json().get("rejected").size(), response.body());
    assertEquals(1, response.json().get("rejected").get(0).get("index").asInt());
    assertEquals(error, response.json().get("rejected").get(0).get("error").asText());
    assertTrue(response.json().get("rejected").get(0).get("detail").asText().startsWith("batch[1]"), response.body());
    List<String> recorded = journal(customer).stream().filter(e -> e.event() instanceof Customer.EventsRecorded)
        .flatMap(e -> ((Customer.EventsRecorded) e.event()).events().stream()).map(e -> e.messageId()).toList();
    assertEquals(List.of("ok-1"), recorded);
  }

  @Test
  void oversizedRequestGets413NamingTheLimit() throws Exception {
    String padding = "x".repeat(20_000);
    StringBuilder body = new StringBuilder("{\"batch\": [");
    for (int i = 0; i < 30; i++) {
      if (i > 0) body.append(',');
      body.append("{\"type\": \"track\", \"userId\": \"big\", \"event\": \"E\", \"timestamp\": \"2024-02-01T00:00:00Z\", \"properties\": {\"p\": \"")
          .append(padding).append("\"}}");
    }
    body.append("]}");
    ApiClient.Response response = api.post("/v1/batch", body.toString());
    assertEquals(413, response.status(), response.body());
    assertEquals("request_too_large", response.json().get("error").asText());
    assertTrue(response.json().get("detail").asText().contains("max-request-bytes"), response.body());
    assertTrue(journal("big").isEmpty());
  }

  @Test
  void gzipAndDeflateBodiesAreDecodedAsSegmentsApiDoes() throws Exception {
    String gzipped = "{\"batch\": [{\"type\": \"track\", \"userId\": \"zipped\", \"event\": \"E\", \"messageId\": \"z-1\","
        + " \"timestamp\": \"2024-02-01T00:00:00Z\"}]}";
    ApiClient.Response gzip = api.postBytes("/v1/batch", io.segmentd.testing.HostileInputs.gzip(gzipped.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        Map.of("Content-Encoding", "gzip"));
    assertEquals(200, gzip.status(), gzip.body());
    assertEquals(1, gzip.json().get("accepted").asInt());
    java.io.ByteArrayOutputStream deflated = new java.io.ByteArrayOutputStream();
    try (var out = new java.util.zip.DeflaterOutputStream(deflated)) {
      out.write(gzipped.replace("z-1", "z-2").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    ApiClient.Response deflate = api.postBytes("/v1/batch", deflated.toByteArray(), Map.of("Content-Encoding", "deflate"));
    assertEquals(200, deflate.status(), deflate.body());
    assertEquals(2, api.get("/v1/customers/zipped").json().get("eventCount").asInt());
  }

  @Test
  void oversizedEventGets400NamingTheLimit() {
    String body = "{\"userId\": \"big-event\", \"event\": \"E\", \"properties\": {\"p\": \"" + "y".repeat(40_000) + "\"}}";
    ApiClient.Response response = api.post("/v1/track", body);
    assertEquals(400, response.status(), response.body());
    assertEquals("event_too_large", response.json().get("error").asText());
    assertTrue(response.json().get("detail").asText().contains("max-event-bytes"), response.body());
  }

  @Test
  void moreEventsForOneCustomerThanItRemembersIsRefused() throws Exception {
    StringBuilder body = new StringBuilder("{\"batch\": [");
    for (int i = 0; i <= 1000; i++) {
      if (i > 0) body.append(',');
      body.append("{\"type\": \"page\", \"userId\": \"flood\", \"messageId\": \"f-").append(i).append("\"}");
    }
    ApiClient.Response response = api.post("/v1/batch", body.append("]}").toString());
    assertEquals(400, response.status(), response.body());
    assertEquals("too_many_events", response.json().get("error").asText());
    assertTrue(journal("flood").isEmpty());
  }

  @Test
  void ingestWithoutTheWriteKeyIsRefused() {
    ApiClient.Response response = api.postWithoutAuth("/v1/track", "{\"userId\": \"x\", \"event\": \"E\"}");
    assertEquals(401, response.status());
    assertEquals("unauthorized", response.json().get("error").asText());
  }

  @Test
  void metricsCountWhatTheJournalConfirmed() {
    double acceptedBefore = metric("segmentd_ingest_events_total{result=\"accepted\"}");
    double duplicatesBefore = metric("segmentd_ingest_events_total{result=\"duplicate\"}");
    String batch = """
        {"batch": [
          {"type": "page", "userId": "metered", "messageId": "mt-1", "timestamp": "2024-02-01T00:00:00Z"},
          {"type": "page", "userId": "metered", "messageId": "mt-2", "timestamp": "2024-02-01T00:01:00Z"},
          {"type": "page", "userId": "metered-2", "messageId": "mt-3", "timestamp": "2024-02-01T00:02:00Z"}
        ]}""";
    assertEquals(200, api.post("/v1/batch", batch).status());
    assertEquals(200, api.post("/v1/batch", batch).status());
    assertEquals(3.0, metric("segmentd_ingest_events_total{result=\"accepted\"}") - acceptedBefore);
    assertEquals(3.0, metric("segmentd_ingest_events_total{result=\"duplicate\"}") - duplicatesBefore);
    assertTrue(api.getRaw("http://127.0.0.1:" + node.httpPort() + "/metrics").body().contains("segmentd_ingest_acknowledgement_seconds_bucket"));
  }

  private static double metric(String series) {
    String body = api.getRaw("http://127.0.0.1:" + node.httpPort() + "/metrics").body();
    for (String line : body.split("\n")) {
      if (line.startsWith(series + " ")) return Double.parseDouble(line.substring(series.length() + 1).trim());
    }
    return 0.0;
  }

  @Test
  void unknownCustomerIs404() {
    ApiClient.Response response = api.get("/v1/customers/nobody-here");
    assertEquals(404, response.status());
    assertEquals("not_found", response.json().get("error").asText());
  }

  @Test
  void segmentsAreEvaluatedAsOfTheRequestedInstant() {
    assertEquals(200, api.post("/v1/batch", """
        {"batch": [
          {"type": "track", "userId": "asof", "messageId": "s-1", "timestamp": "2023-01-10T00:00:00Z", "event": "Order Completed", "properties": {"order_id": "1", "revenue": 5}},
          {"type": "track", "userId": "asof", "messageId": "s-2", "timestamp": "2023-06-10T00:00:00Z", "event": "Order Completed", "properties": {"order_id": "2", "revenue": 5}}
        ]}""").status());
    JsonNode early = api.get("/v1/customers/asof?asOf=2023-01-20T00:00:00Z").json();
    assertEquals("2023-01-20T00:00:00Z", early.get("asOf").asText());
    List<String> expected = List.of("engagement:occasional", "journey:customer", "loyalty:one-time", "purchasing:new", "usage:light");
    assertEquals(expected, texts(early.get("segments")));
    assertEquals(1, early.get("purchasing").get("orders").asInt());
    JsonNode fromJournal = api.get("/v1/customers/asof/segments?asOf=2023-01-20T00:00:00Z").json();
    assertEquals("asof", fromJournal.get("customerId").asText());
    assertEquals("2023-01-20T00:00:00Z", fromJournal.get("asOf").asText());
    assertEquals(expected, texts(fromJournal.get("segments")));
    assertEquals(404, api.get("/v1/customers/nobody/segments?asOf=2023-01-20T00:00:00Z").status());
    assertEquals(404, api.get("/v1/customers/nobody/history").status());
    assertEquals(400, api.get("/v1/customers/asof?asOf=last-tuesday").status());
  }

  @Test
  void readinessAndLivenessAreServedByManagement() {
    int port = node.system().settings().config().getInt("pekko.management.http.port");
    assertEquals(200, api.getRaw("http://127.0.0.1:" + port + "/alive").status());
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertEquals(200, api.getRaw("http://127.0.0.1:" + port + "/ready").status()));
  }

  private static List<EventEnvelope> journal(String customerId) throws Exception {
    CassandraReadJournal journal = PersistenceQuery.get(node.system())
        .getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    return journal.currentEventsByPersistenceId(Customer.persistenceId(customerId).id(), 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), node.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static List<String> texts(JsonNode array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }
}
