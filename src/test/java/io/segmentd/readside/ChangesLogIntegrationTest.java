package io.segmentd.readside;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.datastax.oss.driver.api.core.uuid.Uuids;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.segmentd.customer.Customer;
import io.segmentd.server.SegmentdNode;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.ChangesStream;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.TestNodes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.persistence.query.TimeBasedUUID;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The changes log against the ways the events-by-tag projection really delivers: a transition
 * late with an older offset than one already logged, and groups delivered again after a crash.
 * The handler is driven directly with such envelopes, on a real Cassandra, while a client
 * follows the changes stream through the HTTP API.
 */
@ExtendWith(CassandraExtension.class)
class ChangesLogIntegrationTest {
  private static final String KEYSPACE = "it_changes_log";
  private static final int SLICES = 8;
  private static final Clock clock = Clock.systemUTC();
  private static SegmentdNode node;
  private static SegmentStore store;

  @BeforeAll
  static void startNode(LocalCassandra cassandra) {
    node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), KEYSPACE, LocalCassandra.freePort(), Map.of(
        "segmentd.read-side.changes-poll-interval", "50ms",
        // the machine is shared with other builds: a slow answer is not what this test is about
        "datastax-java-driver.basic.request.timeout", "10s")), clock);
    store = new SegmentStore(CassandraSessionRegistry.get(node.system()).sessionFor("pekko.persistence.cassandra"), node.system(), KEYSPACE, 64);
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void aTransitionDeliveredLateWithAnOlderOffsetStillReachesAFollowerThatIsPastIt() throws Exception {
    String segment = "purchasing:champions";
    int slice = 3;
    List<String> customers = customersOf(slice, "late", 4);
    long t0 = clock.millis() - 60_000;
    SegmentMembersProjection.TransitionHandler handler = handler(slice);
    handler.start().toCompletableFuture().get(10, TimeUnit.SECONDS);

    List<String> received = new CopyOnWriteArrayList<>();
    String lastKey = customers.get(3) + "/1/entered";
    CompletableFuture<String> follower = CompletableFuture.supplyAsync(() ->
        ChangesStream.read(node.httpPort(), segment, null, true, event -> received.add(event.key()) && event.key().equals(lastKey)));

    process(handler, entered(customers.get(0), 1, segment, t0 + 10_000), entered(customers.get(1), 1, segment, t0 + 20_000));
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> received.size() == 2);
    // The follower is past offset t0+20s; this one, written by another node, shows up only now.
    process(handler, entered(customers.get(2), 1, segment, t0 + 15_000));
    process(handler, entered(customers.get(3), 1, segment, t0 + 30_000));
    follower.get(20, TimeUnit.SECONDS);

    assertEquals(List.of(customers.get(0) + "/1/entered", customers.get(1) + "/1/entered", customers.get(2) + "/1/entered", lastKey),
        received, "every transition once, in the order the slice logged them");
  }

  @Test
  void groupsDeliveredAgainAfterACrashAreNotLoggedTwice() throws Exception {
    String segment = "purchasing:cannot-lose";
    int slice = 5;
    List<String> c = customersOf(slice, "again", 4);
    long t0 = clock.millis() - 60_000;
    var a1 = entered(c.get(0), 1, segment, t0 + 1_000);
    var b1 = entered(c.get(1), 1, segment, t0 + 2_000);
    var c1 = entered(c.get(2), 1, segment, t0 + 3_000);
    var a2 = exited(c.get(0), 2, segment, t0 + 4_000);
    var d1 = entered(c.get(3), 1, segment, t0 + 5_000);

    SegmentMembersProjection.TransitionHandler first = handler(slice);
    first.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    process(first, a1, b1);
    process(first, c1, a2);
    // Crash after both commits, before the projection saved an offset past the first group: a new
    // run gets both groups again, grouped otherwise, then one of them once more (its committed
    // offset had gone back to a late event's), among new ones.
    SegmentMembersProjection.TransitionHandler second = handler(slice);
    second.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    process(second, a1, b1, c1);
    process(second, a2, d1);
    process(second, b1, c1, a2);

    assertEquals(List.of(c.get(0) + "/1/entered", c.get(1) + "/1/entered", c.get(2) + "/1/entered", c.get(0) + "/2/exited",
        c.get(3) + "/1/entered"), readAll(segment));
    assertEquals(5L, store.changeHeads(slice).toCompletableFuture().get().heads().get(segment));
  }

  @Test
  void rowsOfAnAttemptThatCrashedBeforeItsCommitAreNotReadNorTakenForLogged() throws Exception {
    String segment = "purchasing:at-risk";
    int slice = 6;
    List<String> c = customersOf(slice, "crashed", 4);
    long t0 = clock.millis() - 60_000;
    SegmentMembersProjection.TransitionHandler first = handler(slice);
    first.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    process(first, entered(c.get(0), 1, segment, t0 + 1_000));
    // An attempt wrote b and c at positions 2 and 3, with their key rows, and crashed before its commit.
    logWithoutCommit(segment, slice, 2, c.get(1), t0 + 2_000);
    logWithoutCommit(segment, slice, 3, c.get(2), t0 + 3_000);
    assertEquals(List.of(c.get(0) + "/1/entered"), readAll(segment), "only committed rows are read");

    SegmentMembersProjection.TransitionHandler second = handler(slice);
    second.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    process(second, entered(c.get(2), 1, segment, t0 + 3_000)); // takes position 2, where b's key row points
    process(second, entered(c.get(3), 1, segment, t0 + 4_000));
    process(second, entered(c.get(1), 1, segment, t0 + 2_000)); // its key row points at c's committed row
    process(second, entered(c.get(2), 1, segment, t0 + 3_000)); // delivered again

    assertEquals(List.of(c.get(0) + "/1/entered", c.get(2) + "/1/entered", c.get(3) + "/1/entered", c.get(1) + "/1/entered"), readAll(segment));
  }

  @Test
  void aMemberWhoLeavesAndComesBackWithinOneGroupIsListedSinceTheLatestEntryAndCountedOnce() throws Exception {
    String segment = "purchasing:at-risk";
    int slice = 5;
    String customer = customersOf(slice, "again-", 1).get(0);
    long t0 = System.currentTimeMillis() - 60_000;
    SegmentMembersProjection.TransitionHandler handler = handler(slice);
    handler.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    process(handler, entered(customer, 1, segment, t0));
    process(handler, exited(customer, 2, segment, t0 + 1_000), entered(customer, 3, segment, t0 + 2_000));

    int bucket = store.bucketOf(customer);
    var session = CassandraSessionRegistry.get(node.system()).sessionFor("pekko.persistence.cassandra");
    var row = session.selectOne("SELECT since FROM " + KEYSPACE + ".segment_members WHERE segment = ? AND bucket = ? AND customer_id = ?",
        segment, bucket, customer).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(Instant.ofEpochMilli(t0 + 2_000), row.orElseThrow().getInstant("since"));
    assertEquals(1L, store.bucketCount(segment, bucket).toCompletableFuture().get(10, TimeUnit.SECONDS));
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static SegmentMembersProjection.TransitionHandler handler(int slice) {
    var session = CassandraSessionRegistry.get(node.system()).sessionFor("pekko.persistence.cassandra");
    ReadSideLease lease = new ReadSideLease(io.segmentd.common.Stages.on(session.underlying(), node.system().executionContext()), KEYSPACE,
        clock, java.time.Duration.ofSeconds(1));
    return new SegmentMembersProjection.TransitionHandler(store, lease, new ProjectionLag(clock, new SimpleMeterRegistry()), slice, clock);
  }

  @SafeVarargs
  private static void process(SegmentMembersProjection.TransitionHandler handler, EventEnvelope<Customer.Event>... group) throws Exception {
    handler.process(List.of(group)).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** The whole log of a segment, read through the API from the start. */
  private static List<String> readAll(String segment) {
    List<String> received = new ArrayList<>();
    ChangesStream.read(node.httpPort(), segment, null, false, event -> !received.add(event.key()));
    return received;
  }

  /** What an attempt that crashed between its row writes and its commit leaves behind. */
  private static void logWithoutCommit(String segment, int slice, long position, String customerId, long writtenAt) throws Exception {
    store.logChange(new SegmentChange(segment, slice, position, customerId, 1, "entered", Instant.ofEpochMilli(writtenAt), Instant.ofEpochMilli(writtenAt), "m-" + customerId, 1,
        Map.of()), store.bucketOf(customerId), (int) Math.floorDiv(writtenAt, 86_400_000L)).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Customer ids whose transitions are tagged with {@code slice}. */
  private static List<String> customersOf(int slice, String prefix, int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; ids.size() < n; i++) {
      String id = prefix + "-" + i;
      if (Math.floorMod(id.hashCode(), SLICES) == slice) ids.add(id);
    }
    return ids;
  }

  /** A SegmentEntered as events-by-tag delivers it: its offset is the time of its journal write. */
  private static EventEnvelope<Customer.Event> entered(String customerId, long sequenceNr, String segment, long writtenAt) {
    return envelope(customerId, sequenceNr, writtenAt,
        new Customer.SegmentEntered(segment, Instant.ofEpochMilli(writtenAt), new Customer.Cause("m-" + customerId, 1, Map.of()),
            Instant.ofEpochMilli(writtenAt)));
  }

  private static EventEnvelope<Customer.Event> exited(String customerId, long sequenceNr, String segment, long writtenAt) {
    return envelope(customerId, sequenceNr, writtenAt,
        new Customer.SegmentExited(segment, Instant.ofEpochMilli(writtenAt), new Customer.Cause(Customer.Cause.TIME, 1, Map.of()),
            Instant.ofEpochMilli(writtenAt)));
  }

  private static EventEnvelope<Customer.Event> envelope(String customerId, long sequenceNr, long writtenAt, Customer.Event event) {
    return EventEnvelope.create(new TimeBasedUUID(Uuids.startOf(writtenAt)), Customer.ENTITY_KEY.name() + "|" + customerId, sequenceNr,
        event, writtenAt);
  }
}
