package io.segmentd.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.JournalReader;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.RetryingLoad;
import io.segmentd.testing.TestCluster;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.TreeMap;
import java.util.stream.StreamSupport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * segmentd as a cluster: nodes in their own JVMs over real remoting, formed by Cluster Bootstrap
 * (config discovery, the files of cluster-config/), on the real Cassandra; nodes added, left,
 * killed with SIGKILL and restarted while a client keeps ingesting and retrying.
 */
@ExtendWith(CassandraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIntegrationTest {
  /** A segment whose window is short enough to pass while a node is dead. */
  private static final Duration EDGE_WINDOW = Duration.ofSeconds(20);
  private static final String NODE_SETTINGS = """
      segmentd.http.ask-timeout = 5s
      segmentd.reevaluation.tick-interval = 500ms
      # windows of seconds, counted to the millisecond
      segmentd.profile.resolution = 1ms
      segmentd.segments.custom = [
        {"id": "custom:just-pinged", "version": 1, "rule": {"count": {"event": "Ping", "within": "20s"}, "gte": 1}}
      ]
      """;

  private LocalCassandra cassandra;
  private TestCluster cluster;

  @BeforeAll
  void startCluster(LocalCassandra cassandra) {
    this.cassandra = cassandra;
    this.cluster = new TestCluster(cassandra, "it_cluster", 3, 4, NODE_SETTINGS);
    cluster.start();
  }

  @AfterAll
  void stopCluster() {
    if (cluster != null) cluster.close();
  }

  @Test
  @Order(1)
  void customersSpreadOverEveryNodeAndAnyNodeAnswersForAnyCustomer() {
    ApiClient entry = cluster.api(1);
    for (int c = 0; c < 60; c++) {
      assertEquals(200, entry.post("/v1/track", """
          {"userId": "spread-%d", "event": "Order Completed", "messageId": "spread-m-%d", "timestamp": "%s",
           "properties": {"order_id": "spread-o-%d", "revenue": 10.50}}""".formatted(c, c, Instant.now().minusSeconds(60), c)).status());
    }
    for (int node = 1; node <= 3; node++) {
      int entities = cluster.shards(node, "Customer").values().stream().mapToInt(Integer::intValue).sum();
      assertTrue(entities > 0, "node " + node + " holds no customer");
    }
    for (int c = 0; c < 60; c += 7) {
      String id = "spread-" + c;
      Set<String> answers = new HashSet<>();
      for (int node = 1; node <= 3; node++) {
        ApiClient api = cluster.api(node);
        ApiClient.Response profile = api.get("/v1/customers/" + id + "?asOf=2030-01-01T00:00:00Z");
        assertEquals(200, profile.status(), profile.body());
        assertEquals(1, profile.json().get("purchasing").get("orders").asInt());
        answers.add(profile.json().get("segments").toString());
        assertEquals(200, api.get("/v1/customers/" + id + "/segments").status());
        assertEquals(200, api.get("/v1/customers/" + id + "/history").status());
      }
      assertEquals(1, answers.size(), "every node gives the same answer for " + id + ": " + answers);
    }
  }

  /** The node whose shard region hosts {@code customerId}'s entity (sharding's default: hash modulo 1,000 shards). */
  private int nodeOf(String customerId) {
    String shard = Integer.toString(Math.abs(customerId.hashCode() % 1000));
    for (int node : List.of(1, 2, 3)) {
      if (cluster.shards(node, "Customer").containsKey(shard)) return node;
    }
    throw new AssertionError("no node hosts shard " + shard + " of " + customerId);
  }

  @Test
  @Order(2)
  void anIdentifyMergesCustomersLivingOnDifferentNodesWhileBothReceiveEvents() throws Exception {
    Instant t = Instant.now().minus(2, ChronoUnit.DAYS);
    List<String[]> pairs = new ArrayList<>();
    for (int p = 0; p < 40 && pairs.size() < 4; p++) {
      String anon = "x-anon-" + p;
      String known = "x-user-" + p;
      for (String[] customer : List.of(new String[] {"anonymousId", anon}, new String[] {"userId", known})) {
        assertEquals(200, cluster.api(1).post("/v1/track", """
            {"%s": "%s", "event": "Product Added", "messageId": "%s-o", "timestamp": "%s",
             "properties": {"product_id": "%s-p"}}""".formatted(customer[0], customer[1], customer[1], t, customer[1])).status());
      }
      if (nodeOf(anon) != nodeOf(known)) pairs.add(new String[] {anon, known});
    }
    assertEquals(4, pairs.size(), "pairs of customers on different nodes");
    var senders = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (String[] pair : pairs) {
        for (int sideIndex = 0; sideIndex < 2; sideIndex++) {
          int side = sideIndex;
          String field = side == 0 ? "anonymousId" : "userId";
          String id = pair[side];
          ApiClient api = cluster.api(side == 0 ? 2 : 3);
          sent.add(senders.submit(() -> {
            for (int i = 0; i < 20; i++) {
              ApiClient.Response r = api.post("/v1/track", """
                  {"%s": "%s", "event": "Product Viewed", "messageId": "%s-v-%d", "timestamp": "%s"}"""
                  .formatted(field, id, id, i, t.plusSeconds(60 + i)));
              assertEquals(200, r.status(), r.body());
              if (side == 1 && i == 5) {
                ApiClient.Response identify = cluster.api(1).post("/v1/identify", """
                    {"userId": "%s", "anonymousId": "%s", "messageId": "%s-identify", "timestamp": "%s"}"""
                    .formatted(pair[1], pair[0], pair[1], t.plusSeconds(30)));
                assertEquals(200, identify.status(), identify.body());
              }
            }
          }));
        }
      }
      for (var f : sent) f.get();
    } finally {
      senders.shutdown();
    }
    for (String[] pair : pairs) {
      Set<String> answers = new HashSet<>();
      for (int node = 1; node <= 3; node++) {
        for (String id : pair) {
          JsonNode profile = cluster.api(node).get("/v1/customers/" + id).json();
          assertEquals(pair[1], profile.get("customerId").asText());
          assertEquals(2 + 40 + 1, profile.get("eventCount").asInt(), profile.toString());
          assertEquals("[\"" + pair[0] + "\"]", profile.get("aliases").toString());
          ((com.fasterxml.jackson.databind.node.ObjectNode) profile).remove("asOf");
          answers.add(profile.toString());
        }
      }
      assertEquals(1, answers.size(), "every node answers the same for both ids: " + answers);
    }
  }

  @Test
  @Order(3)
  void aSegmentDefinedThroughOneNodeIsBackfilledOnEveryNodeAndAnsweredByAll() throws Exception {
    String segment = "custom:spread-buyers";
    java.net.http.HttpResponse<String> put = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + cluster.httpPort(1) + "/v1/segments/" + segment))
        .header("Authorization", "Bearer dev-admin-token").header("Content-Type", "application/json")
        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"rule\": {\"count\": {\"event\": \"Order Completed\", \"within\": \"30d\"}, \"gte\": 1}}"))
        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(202, put.statusCode(), put.body());
    // Customers on every node adopt it (the backfill runs on whichever node holds it); every node then answers from it.
    Set<String> buyers = new TreeSet<>();
    for (int c = 0; c < 60; c++) buyers.add("spread-" + c);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      for (int node = 1; node <= 3; node++) {
        ApiClient api = cluster.api(node);
        ApiClient.Response backfill = api.get("/v1/segments/" + segment + "/backfill");
        assertEquals(200, backfill.status(), backfill.body());
        assertEquals("done", backfill.json().get("state").asText(), "node " + node);
        // Until this node has read the switch, the segment is unknown to its queries (404): not yet.
        ApiClient.Response page = api.get("/v1/segments/" + segment + "/members?limit=1000");
        assertEquals(200, page.status(), "node " + node + ": " + page.body());
        Set<String> members = new TreeSet<>();
        page.json().get("members").forEach(m -> members.add(m.asText()));
        assertEquals(buyers, members, "node " + node);
        List<String> segments = new ArrayList<>();
        api.get("/v1/customers/spread-7").json().get("segments").forEach(m -> segments.add(m.asText()));
        assertTrue(segments.contains(segment), "node " + node + ": " + segments);
      }
    });
  }

  @Test
  @Order(4)
  void theLargestRequestForOneCustomerCrossesNodes() {
    // One customer's share of a request travels to its node as one remoting message.
    String padding = "x".repeat(900);
    List<String> customers = new ArrayList<>();
    for (int c = 0; c < 6; c++) {
      String id = "big-" + c;
      customers.add(id);
      StringBuilder body = new StringBuilder("{\"batch\": [");
      for (int e = 0; e < 470; e++) {
        if (e > 0) body.append(',');
        body.append("{\"type\":\"track\",\"userId\":\"").append(id).append("\",\"event\":\"Product Viewed\",\"messageId\":\"")
            .append(id).append("-").append(e).append("\",\"timestamp\":\"").append(Instant.now().minusSeconds(30))
            .append("\",\"properties\":{\"note\":\"").append(padding).append("\"}}");
      }
      body.append("]}");
      assertTrue(body.length() > 450_000 && body.length() < 500_000, "request of " + body.length() + " bytes");
      ApiClient.Response response = cluster.api(1).post("/v1/batch", body.toString());
      assertEquals(200, response.status(), response.body());
    }
    int remote = 0;
    for (String id : customers) {
      String shard = Integer.toString(Math.abs(id.hashCode() % 1000));
      if (!cluster.shards(1, "Customer").containsKey(shard)) remote++;
      assertEquals(470, cluster.api(1).get("/v1/customers/" + id).json().get("eventCount").asInt());
    }
    assertTrue(remote > 0, "every big customer lives on node 1: the test proved nothing about crossing nodes");
  }

  @Test
  @Order(5)
  void aWindowEdgeThatPassesWhileItsNodeIsDeadIsStampedWithItsExactInstant() {
    // Customers whose entity and whose slice's waker live on the same node: that node is killed.
    Instant pinged = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    Map<String, Integer> hostOf = new TreeMap<>();
    StringBuilder pings = new StringBuilder("{\"batch\": [");
    for (int c = 0; c < 40; c++) {
      String id = "edge-" + c;
      if (c > 0) pings.append(',');
      pings.append("""
          {"type": "track", "userId": "%s", "event": "Ping", "messageId": "%s-ping", "timestamp": "%s"}""".formatted(id, id, pinged));
    }
    assertEquals(200, cluster.api(1).post("/v1/batch", pings.append("]}").toString()).status());
    Map<Integer, Map<String, Integer>> customerShards = new TreeMap<>();
    Map<Integer, Map<String, Integer>> wakerShards = new TreeMap<>();
    for (int node = 1; node <= 3; node++) {
      customerShards.put(node, cluster.shards(node, "Customer"));
      wakerShards.put(node, cluster.shards(node, "sharded-daemon-process-reevaluation-waker"));
    }
    for (int c = 0; c < 40; c++) {
      String id = "edge-" + c;
      String shard = Integer.toString(Math.abs(id.hashCode() % 1000));
      String slice = Integer.toString(Math.floorMod(id.hashCode(), 8));
      for (int node = 1; node <= 3; node++) {
        if (customerShards.get(node).containsKey(shard) && wakerShards.get(node).containsKey(slice)) hostOf.put(id, node);
      }
    }
    assertFalse(hostOf.isEmpty(), "no customer shares a node with its waker: " + customerShards + " " + wakerShards);
    String customer = hostOf.keySet().iterator().next();
    int victim = hostOf.get(customer);
    assertTrue(memberships(customer).contains("custom:just-pinged"));

    cluster.node(victim).kill();
    Instant edge = pinged.plus(EDGE_WINDOW);
    assertTrue(Instant.now().isBefore(edge), "the node died after the edge: the test proved nothing");
    Set<Integer> survivors = new HashSet<>(Set.of(1, 2, 3));
    survivors.remove(victim);
    cluster.awaitMembers(survivors);

    int other = survivors.iterator().next();
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      // The id is resolved by its entity (merges): unavailable until its shard has moved to a survivor.
      ApiClient.Response answer = cluster.api(other).get("/v1/customers/" + customer + "/history?order=recorded");
      assertEquals(200, answer.status(), answer.body());
      JsonNode history = answer.json();
      List<String> exits = new ArrayList<>();
      for (JsonNode t : history.get("transitions")) {
        if (t.get("segment").asText().equals("custom:just-pinged") && t.get("direction").asText().equals("exited")) {
          exits.add(t.get("at").asText() + " " + t.get("cause").get("trigger").asText());
        }
      }
      assertEquals(List.of(edge + " time"), exits);
    });
    cluster.startNode(victim);
    cluster.awaitMembers(Set.of(1, 2, 3));
  }

  @Test
  @Order(6)
  void noAcknowledgedEventIsLostWhileNodesJoinLeaveDieAndRestart() throws Exception {
    RetryingLoad load = new RetryingLoad(() -> cluster.liveNodes().stream().map(cluster::api).toList(), "load", 150, 4);
    ChangesFollower follower = new ChangesFollower("engagement:occasional");
    try {
      awaitProgress(load);
      // (a) scale out
      cluster.startNode(4);
      cluster.awaitMembers(Set.of(1, 2, 3, 4));
      awaitProgress(load);
      // (b) graceful leave
      cluster.leave(2);
      cluster.awaitMembers(Set.of(1, 3, 4));
      awaitProgress(load);
      // (c) kill -9, then the node comes back
      cluster.node(3).kill();
      cluster.awaitMembers(Set.of(1, 4));
      awaitProgress(load);
      cluster.startNode(3);
      cluster.awaitMembers(Set.of(1, 3, 4));
      awaitProgress(load);
      // (d) rolling restart of every node
      for (int node : List.of(1, 3, 4)) {
        cluster.node(node).stop();
        Set<Integer> others = new HashSet<>(Set.of(1, 3, 4));
        others.remove(node);
        cluster.awaitMembers(others);
        cluster.startNode(node);
        cluster.awaitMembers(Set.of(1, 3, 4));
        awaitProgress(load);
      }
    } finally {
      load.close();
    }
    assertEquals(java.util.Optional.empty(), load.failure(), "a load thread died");
    System.out.printf("cluster load: %d events acknowledged, %d retries, refusals by status %s%n",
        load.acknowledged(), load.retries(), load.refusals());

    Instant asOf = Instant.now().plusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
    try (JournalReader journal = new JournalReader(cassandra.contactPoint(), "it_cluster")) {
      for (int c = 0; c < load.customers(); c++) {
        String id = load.customer(c);
        List<String> ids = journal.messageIds(id);
        assertEquals(ids.size(), new HashSet<>(ids).size(), "an event of " + id + " is in the journal twice");
        assertEquals(load.acknowledged(id), new HashSet<>(ids), "the journal of " + id + " differs from what was acknowledged");
        assertSingleWriterAtATime(id, journal.writers(id));

        ApiClient api = cluster.api(List.of(1, 3, 4).get(c % 3));
        JsonNode live = api.get("/v1/customers/" + id + "?asOf=" + asOf).json();
        JsonNode folded = api.get("/v1/customers/" + id + "/segments?asOf=" + asOf).json();
        assertEquals(ids.size(), live.get("eventCount").asInt(), id);
        assertEquals(folded.get("segments"), live.get("segments"), "live entity and journal fold differ for " + id);
        assertEquals(folded.get("memberships"), live.get("memberships"), "the values behind the segments differ for " + id);
      }
    }
    Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
      JsonNode check = cluster.api(1).get("/v1/read-side/check").json();
      assertTrue(check.get("consistent").asBoolean(), check.toString());
    });

    // A follower of the changes stream, resuming on whichever node is alive while nodes wrote,
    // joined, left and died, got every transition of the segment exactly once.
    List<String> expected = new ArrayList<>();
    for (int c = 0; c < load.customers(); c++) {
      for (JsonNode t : cluster.api(1).get("/v1/customers/" + load.customer(c) + "/history?order=recorded").json().get("transitions")) {
        if (t.get("segment").asText().equals(follower.segment)) {
          expected.add(load.customer(c) + "/" + t.get("sequenceNr").asLong() + "/" + t.get("direction").asText());
        }
      }
    }
    // earlier tests' customers are in the segment too; this test's load is what it checks
    List<String> received = follower.drain(cluster.httpPort(1)).stream().filter(key -> key.startsWith("load-")).toList();
    System.out.printf("changes follower: %d transitions of %s over %d connections, %d of them received while following%n",
        received.size(), follower.segment, follower.connections(), follower.followed());
    assertTrue(expected.size() >= load.customers(), "the load moved too few customers through " + follower.segment + ": " + expected.size());
    // the check below must not rest on the final read alone: most arrived while following, over many connections
    assertTrue(follower.followed() >= expected.size() / 2, "only " + follower.followed() + " of " + expected.size() + " arrived while following");
    assertTrue(follower.connections() > 6, "the follower never had to resume: " + follower.connections() + " connections");
    assertEquals(received.size(), new HashSet<>(received).size(), "a transition was delivered twice");
    assertEquals(new java.util.TreeSet<>(expected), new java.util.TreeSet<>(received));
  }

  /** Follows one segment's changes on any live node, hanging up now and then and resuming with Last-Event-ID. */
  private final class ChangesFollower {
    final String segment;
    private final Object lock = new Object();
    private final List<String> received = new ArrayList<>();
    private String lastId;
    private boolean draining;
    private Throwable failure;
    private int connections;
    private int followed;

    ChangesFollower(String segment) {
      this.segment = segment;
      Thread thread = new Thread(this::follow, "changes-follower");
      thread.setDaemon(true);
      thread.start();
    }

    private void follow() {
      while (true) {
        String from;
        synchronized (lock) {
          if (draining) return;
          from = lastId;
          connections++;
        }
        List<Integer> live = cluster.liveNodes();
        if (live.isEmpty()) continue;
        int port = cluster.httpPort(live.get(connections % live.size()));
        try {
          io.segmentd.testing.ChangesStream.read(port, segment, from, true, event -> {
            synchronized (lock) {
              if (draining) return true;
              received.add(event.key());
              if (event.key().startsWith("load-")) followed++;
              lastId = event.id();
              return received.size() % 50 == 0;
            }
          });
        } catch (AssertionError | RuntimeException nodeWentAway) {
          // Only a lost connection or a node that cannot answer yet is expected; anything else (a
          // cursor other than its id, a refused cursor) is a failure of the stream.
          String message = String.valueOf(nodeWentAway.getMessage());
          if (!(nodeWentAway.getCause() instanceof java.io.IOException) && !message.startsWith("status 503")) {
            synchronized (lock) {
              if (failure == null) failure = nodeWentAway;
            }
            return;
          }
          // back off as a client does, then resume on another node
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            return;
          }
        }
      }
    }

    int followed() {
      synchronized (lock) {
        return followed;
      }
    }

    int connections() {
      synchronized (lock) {
        return connections;
      }
    }

    /** Stops following and reads the rest up to the current end. */
    List<String> drain(int port) {
      String from;
      synchronized (lock) {
        if (failure != null) throw new AssertionError("the changes stream failed", failure);
        draining = true;
        from = lastId;
      }
      List<String> all;
      synchronized (lock) {
        all = new ArrayList<>(received);
      }
      io.segmentd.testing.ChangesStream.read(port, segment, from, false, event -> {
        all.add(event.key());
        return false;
      });
      return all;
    }
  }

  /** Sequence numbers 1..n, and a writer that handed over never writes again. */
  private static void assertSingleWriterAtATime(String id, List<Object[]> rows) {
    List<String> runs = new ArrayList<>();
    long expected = 1;
    for (Object[] row : rows) {
      assertEquals(expected++, (long) row[0], "sequence numbers of " + id);
      String writer = (String) row[1];
      if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(writer)) runs.add(writer);
    }
    assertEquals(runs.size(), new HashSet<>(runs).size(), "two writers interleaved in the journal of " + id + ": " + runs);
  }

  private static void awaitProgress(RetryingLoad load) {
    long from = load.acknowledged();
    Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
        .until(() -> load.acknowledged() >= from + 500);
  }

  private List<String> memberships(String customer) {
    JsonNode profile = cluster.api(1).get("/v1/customers/" + customer).json();
    return StreamSupport.stream(profile.get("segments").spliterator(), false).map(JsonNode::asText).toList();
  }
}
