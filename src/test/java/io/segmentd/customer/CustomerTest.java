package io.segmentd.customer;

import static io.segmentd.testing.Events.order;
import static io.segmentd.testing.Events.page;
import static io.segmentd.testing.Events.refund;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.segmentd.customer.Customer.Command;
import io.segmentd.customer.Customer.Event;
import io.segmentd.customer.Customer.Recorded;
import io.segmentd.customer.Customer.State;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.testing.FlakyScheduler;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestSettings;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Customer entity on the in-memory persistence test kit, which also round-trips every
 * command, event and state through the configured serializer.
 */
class CustomerTest {
  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseResources("serialization.conf").withFallback(ConfigFactory.defaultReference()).resolve()));

  private final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
  private final FlakyScheduler scheduled = new FlakyScheduler(ReevaluationScheduler.NONE, 0);
  private EventSourcedBehaviorTestKit<Command, Event, State> kit;

  @BeforeEach
  void setUp() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        Customer.create("c-1", TestSettings.customer(Map.of("segmentd.customer.snapshot-every", 3)), clock, scheduled));
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  private List<Instant> scheduledAt() {
    return scheduled.attempts().stream().map(FlakyScheduler.Call::due).toList();
  }

  private EventSourcedBehaviorTestKit.CommandResultWithReply<Command, Event, State, StatusReply<Recorded>> record(BehaviorEvent... events) {
    return kit.runCommand(replyTo -> new Customer.RecordEvents(List.of(events), replyTo));
  }

  private static BehaviorEvent checkout(String messageId, String at) {
    return new BehaviorEvent(messageId, io.segmentd.segmentation.EventType.TRACK, "Checkout Started", Instant.parse(at),
        Instant.parse(at), null, Map.of());
  }

  @Test
  void commandsWaitUntilTheStoredDefinitionsAreRead() {
    java.util.concurrent.atomic.AtomicBoolean read = new java.util.concurrent.atomic.AtomicBoolean(false);
    CustomerSettings configured = TestSettings.customer(Map.of());
    CustomerSettings settings = configured.withEngines(new EngineSource() {
      @Override
      public io.segmentd.segmentation.SegmentEngine current() {
        return configured.engine();
      }

      @Override
      public boolean ready() {
        return read.get();
      }
    });
    var customer = testKit.spawn(Customer.create("held-1", settings, clock, ReevaluationScheduler.NONE));
    var probe = testKit.<StatusReply<Recorded>>createTestProbe();
    customer.tell(new Customer.RecordEvents(List.of(page("h1", "2024-02-21T10:00:00Z")), probe.getRef()));
    probe.expectNoMessage(java.time.Duration.ofMillis(600));
    read.set(true);
    assertEquals(new Recorded(1, 0), probe.receiveMessage(java.time.Duration.ofSeconds(5)).getValue());
  }

  @Test
  void recordPersistsTheBatchThenReplies() {
    var result = record(order("m1", "2024-02-20T10:00:00Z", "o1", "19.99"), page("m2", "2024-02-21T10:00:00Z"));

    assertEquals(new Recorded(2, 0), result.reply().getValue());
    Event first = result.events().get(0);
    assertEquals(new Customer.EventsRecorded(List.of(
        order("m1", "2024-02-20T10:00:00Z", "o1", "19.99"), page("m2", "2024-02-21T10:00:00Z")), clock.instant()), first);
    var profile = result.state().getProfile();
    assertEquals(2, profile.eventCount());
    assertEquals(1, profile.purchasingAsOf(clock.instant()).orders());
    assertEquals(new BigDecimal("19.99"), profile.purchasingAsOf(clock.instant()).revenue());
  }

  @Test
  void duplicateMessageIdIsCountedOnce() {
    record(order("m1", "2024-02-20T10:00:00Z", "o1", "10.00"));
    var retry = record(order("m1", "2024-02-20T10:00:00Z", "o1", "10.00"));
    var repeatedInBatch = record(page("m2", "2024-02-21T10:00:00Z"), page("m2", "2024-02-21T10:00:00Z"));

    assertEquals(new Recorded(0, 1), retry.reply().getValue());
    assertTrue(retry.events().isEmpty(), "a retry persists nothing");
    assertEquals(new Recorded(1, 1), repeatedInBatch.reply().getValue());
    assertEquals(2, kit.getState().getProfile().eventCount());
    assertEquals(new BigDecimal("10.00"), kit.getState().getProfile().purchasingAsOf(clock.instant()).revenue());
  }

  @Test
  void transitionsArePersistedWithTheirCauseAtTheirEventTime() {
    clock.set(Instant.parse("2024-02-29T11:00:00Z"));
    var result = record(order("m1", "2024-02-20T10:00:00Z", "o1", "10.00"), page("m2", "2024-02-29T10:00:00Z"));

    List<Event> transitions = result.events().subList(1, result.events().size());
    assertEquals(List.of("+engagement:occasional@2024-02-20T10:00:00Z/m1", "+journey:customer@2024-02-20T10:00:00Z/m1",
            "+loyalty:one-time@2024-02-20T10:00:00Z/m1", "+purchasing:new@2024-02-20T10:00:00Z/m1", "+usage:light@2024-02-20T10:00:00Z/m1"),
        transitions.stream().map(CustomerTest::segmentOf).toList());
    // the order holds from its own time; segmentd learned it at the clock's instant
    assertEquals(new Customer.SegmentEntered("loyalty:one-time", Instant.parse("2024-02-20T10:00:00Z"),
            new Customer.Cause("m1", 1, Map.of("orders", "1", "daysSinceLastOrder", "0")), clock.instant()), transitions.get(2));
    assertEquals(List.of("engagement:occasional", "journey:customer", "loyalty:one-time", "purchasing:new", "usage:light"),
        List.copyOf(result.state().getSegments().keySet()));

    clock.set(Instant.parse("2024-02-29T12:00:00Z"));
    Instant at = clock.instant();
    var second = record(order("m3", "2024-02-29T12:00:00Z", "o2", "5.00"));
    assertEquals(List.of(
        new Customer.SegmentExited("journey:customer", at,
            new Customer.Cause("m3", 1, Map.of("stage", "repeat", "orders", "2")), at),
        new Customer.SegmentExited("loyalty:one-time", at,
            new Customer.Cause("m3", 1, Map.of("orders", "2", "daysSinceLastOrder", "0", "medianGapDays", "9")), at),
        new Customer.SegmentExited("purchasing:new", at,
            new Customer.Cause("m3", 1, Map.of("r", "5", "f", "2", "m", "1", "recencyDays", "0", "frequency", "2", "monetary", "15.00")), at),
        new Customer.SegmentEntered("journey:repeat", at,
            new Customer.Cause("m3", 1, Map.of("stage", "repeat", "orders", "2")), at),
        new Customer.SegmentEntered("loyalty:repeat", at,
            new Customer.Cause("m3", 1, Map.of("orders", "2", "daysSinceLastOrder", "0", "medianGapDays", "9")), at),
        // two of three interactions before noon
        new Customer.SegmentEntered("occasion:morning", at,
            new Customer.Cause("m3", 1, Map.of("interactions", "2", "of", "3")), at),
        new Customer.SegmentEntered("purchasing:potential-loyalist", at,
            new Customer.Cause("m3", 1, Map.of("r", "5", "f", "2", "m", "1", "recencyDays", "0", "frequency", "2", "monetary", "15.00")), at)),
        second.events().subList(1, second.events().size()));
  }

  @Test
  void anExitCarriesTheValuesOfTheSegmentItLeft() {
    clock.set(Instant.parse("2024-02-03T00:00:00Z"));
    // an RFM cell and an abandoned cart at once: both purchasing, with different values
    record(order("m1", "2024-02-01T10:00:00Z", "o1", "10.00"), checkout("m2", "2024-02-02T10:00:00Z"));
    clock.set(Instant.parse("2024-02-04T10:00:00Z"));
    var second = record(order("m3", "2024-02-04T10:00:00Z", "o2", "5.00"));
    Map<String, Map<String, String>> exits = new java.util.TreeMap<>();
    for (Event e : second.events()) {
      if (e instanceof Customer.SegmentExited ex && ex.segment().startsWith("purchasing:")) exits.put(ex.segment(), ex.cause().values());
    }
    assertEquals(Map.of(
        "purchasing:cart-abandoner", Map.of("checkoutStartedAt", "2024-02-02T10:00:00Z"),
        "purchasing:new", Map.of("r", "5", "f", "2", "m", "1", "recencyDays", "0", "frequency", "2", "monetary", "15.00")), exits);
  }

  @Test
  void onlyTransitionsAreTagged() {
    Customer customer = new Customer("c-1", TestSettings.customer(Map.of()), clock, ReevaluationScheduler.NONE, null, null);
    assertTrue(customer.tagsFor(new Customer.EventsRecorded(List.of(), clock.instant())).isEmpty());
    assertEquals(java.util.Set.of(Customer.tagFor("c-1", 8)),
        customer.tagsFor(new Customer.SegmentEntered("engagement:high", clock.instant(), new Customer.Cause("m", 1, Map.of()), clock.instant())));
  }

  @Test
  void recoversFromTheSnapshotWithoutReplayingOlderEvents() {
    record(order("m1", "2024-02-01T10:00:00Z", "o1", "30.00"));
    record(order("m2", "2024-02-10T10:00:00Z", "o2", "20.00"), refund("m3", "2024-02-11T10:00:00Z", "o2", "5.00"));
    State before = kit.getState();
    var snapshots = kit.snapshotTestKit().orElseThrow().persistedInStorage(Customer.persistenceId("c-1").id());
    assertFalse(snapshots.isEmpty(), "a snapshot was written");
    long snapshotSeqNr = snapshots.get(snapshots.size() - 1).first().sequenceNr();
    long lastSeqNr = kit.persistenceTestKit().persistedInStorage(Customer.persistenceId("c-1").id()).size();
    assertEquals(lastSeqNr, snapshotSeqNr, "the last write was snapshotted");

    // Without the events, recovery can only come from the snapshot.
    kit.persistenceTestKit().clearByIdPreservingSeqNumbers(Customer.persistenceId("c-1").id());
    State after = kit.restart().state();

    assertEquals(before.getProfile(), after.getProfile());
    assertEquals(before.getSegments(), after.getSegments());
    assertEquals(java.util.Arrays.stream(before.getRecentMessages().getCurrent()).sorted().boxed().toList(),
        java.util.Arrays.stream(after.getRecentMessages().getCurrent()).sorted().boxed().toList());
    assertEquals(new Recorded(0, 1), record(order("m2", "2024-02-10T10:00:00Z", "o2", "20.00")).reply().getValue());
  }

  @Test
  void recoveryReplaysTheJournalToTheSameState() {
    record(order("m1", "2024-02-01T10:00:00Z", "o1", "30.00"), page("m2", "2024-02-02T10:00:00Z"));
    State before = kit.getState();
    State after = kit.restart().state();
    assertEquals(before.getProfile(), after.getProfile());
    assertEquals(before.getSegments(), after.getSegments());
  }

  @Test
  void profileIsEvaluatedAsOfTheRequestedInstant() {
    record(order("m1", "2024-01-01T10:00:00Z", "o1", "30.00"), order("m2", "2024-02-01T10:00:00Z", "o2", "10.00"));
    var view = kit.<StatusReply<Customer.CustomerView>>runCommand(
        replyTo -> new Customer.GetProfile(Instant.parse("2024-01-15T00:00:00Z"), replyTo)).reply().getValue();
    assertEquals(List.of("engagement:occasional", "journey:customer", "loyalty:one-time", "purchasing:new", "usage:light"),
        List.copyOf(view.segments().keySet()));
    assertEquals(new BigDecimal("30.00"), view.purchasing().revenue());
    assertEquals(1, view.purchasing().orders());
  }

  private static String segmentOf(Event e) {
    return e instanceof Customer.SegmentEntered en ? "+" + en.segment() + "@" + en.at() + "/" + en.cause().trigger()
        : e instanceof Customer.SegmentExited ex ? "-" + ex.segment() + "@" + ex.at() + "/" + ex.cause().trigger() : "facts";
  }

  @Test
  void windowEdgesArePersistedAtTheirExactInstantsWithTimeAsCause() {
    clock.set(Instant.parse("2024-03-01T10:00:00Z"));
    record(page("m1", "2024-03-01T09:00:00Z"));
    assertEquals(List.of(Instant.parse("2024-03-29T09:00:00Z")), scheduledAt(), "the usage window (28 days) passes first");

    clock.set(Instant.parse("2024-04-02T00:00:00Z"));
    var woken = kit.<StatusReply<org.apache.pekko.Done>>runCommand(replyTo -> new Customer.Reevaluate(Instant.parse("2024-03-29T09:00:00Z"), replyTo));

    assertTrue(woken.reply().isSuccess());
    assertEquals(List.of(
        "-usage:light@2024-03-29T09:00:00Z/time", "+usage:inactive@2024-03-29T09:00:00Z/time",
        "-engagement:occasional@2024-03-31T09:00:00Z/time", "+engagement:dormant@2024-03-31T09:00:00Z/time"),
        woken.events().stream().map(CustomerTest::segmentOf).toList());
    // the lapse is strictly after 90 days (09:00:00.000000001); its row is kept at the next millisecond
    assertEquals(Instant.parse("2024-05-30T09:00:00.001Z"), scheduledAt().get(scheduledAt().size() - 1), "then lapsing after 90 days");
  }

  @Test
  void transitionsTimeCausedComeBeforeThoseOfALateArrivingEvent() {
    clock.set(Instant.parse("2024-03-01T10:00:00Z"));
    record(page("m1", "2024-03-01T09:00:00Z"));
    clock.set(Instant.parse("2024-04-02T00:00:00Z"));
    var result = record(page("m2", "2024-04-01T23:00:00Z"));
    assertEquals(List.of("facts",
        "-usage:light@2024-03-29T09:00:00Z/time", "+usage:inactive@2024-03-29T09:00:00Z/time",
        "-engagement:occasional@2024-03-31T09:00:00Z/time", "+engagement:dormant@2024-03-31T09:00:00Z/time",
        "-engagement:dormant@2024-04-01T23:00:00Z/m2", "-usage:inactive@2024-04-01T23:00:00Z/m2",
        "+engagement:occasional@2024-04-01T23:00:00Z/m2", "+usage:light@2024-04-01T23:00:00Z/m2"),
        result.events().stream().map(CustomerTest::segmentOf).toList());
  }

  @Test
  void reevaluatingBeforeAnythingIsDueChangesNothingButReschedules() {
    clock.set(Instant.parse("2024-03-01T10:00:00Z"));
    record(page("m1", "2024-03-01T09:00:00Z"));
    var woken = kit.<StatusReply<org.apache.pekko.Done>>runCommand(replyTo -> new Customer.Reevaluate(Instant.parse("2024-03-01T10:00:00Z"), replyTo));
    assertTrue(woken.events().isEmpty());
    assertEquals(List.of(Instant.parse("2024-03-29T09:00:00Z"), Instant.parse("2024-03-29T09:00:00Z")), scheduledAt());
  }

  @Test
  void aWakeUpTrustsItsDueInstantOverASlowClock() {
    clock.set(Instant.parse("2024-03-01T10:00:00Z"));
    record(page("m1", "2024-03-01T09:00:00Z"));
    // The waker's clock said 2024-03-29T09:00 had come; ours still says March 1st.
    var woken = kit.<StatusReply<org.apache.pekko.Done>>runCommand(replyTo -> new Customer.Reevaluate(Instant.parse("2024-03-29T09:00:00Z"), replyTo));
    assertEquals(List.of("-usage:light@2024-03-29T09:00:00Z/time", "+usage:inactive@2024-03-29T09:00:00Z/time"),
        woken.events().stream().map(CustomerTest::segmentOf).toList());
  }

  @Test
  void anEventStampedAheadOfTheClockIsScheduledForItsOwnTime() {
    clock.set(Instant.parse("2024-03-01T10:00:00Z"));
    var result = record(page("m1", "2024-03-01T10:00:30Z"));
    assertEquals(List.of("facts"), result.events().stream().map(CustomerTest::segmentOf).toList(), "not seen yet at 10:00:00");
    assertEquals(List.of(Instant.parse("2024-03-01T10:00:30Z")), scheduledAt());
    clock.set(Instant.parse("2024-03-01T10:00:31Z"));
    var woken = kit.<StatusReply<org.apache.pekko.Done>>runCommand(replyTo -> new Customer.Reevaluate(Instant.parse("2024-03-01T10:00:30Z"), replyTo));
    assertTrue(woken.events().stream().map(CustomerTest::segmentOf).toList().contains("+engagement:occasional@2024-03-01T10:00:30Z/time"));
  }

  @Test
  void aBatchInOrderIsWalkedInEventTimeWithTheChangesTimeCausesInBetween() {
    clock.set(Instant.parse("2024-02-15T12:00:00Z"));
    var result = record(page("m2", "2024-02-15T10:00:00Z"), page("m1", "2024-01-01T10:00:00Z"));
    assertEquals(List.of("facts",
        "+engagement:occasional@2024-01-01T10:00:00Z/m1", "+journey:awareness@2024-01-01T10:00:00Z/m1", "+usage:light@2024-01-01T10:00:00Z/m1",
        // the page leaves the usage (28 days) and engagement (30 days) windows in between
        "-usage:light@2024-01-29T10:00:00Z/time", "+usage:inactive@2024-01-29T10:00:00Z/time",
        "-engagement:occasional@2024-01-31T10:00:00Z/time", "+engagement:dormant@2024-01-31T10:00:00Z/time",
        "-engagement:dormant@2024-02-15T10:00:00Z/m2", "-usage:inactive@2024-02-15T10:00:00Z/m2",
        "+engagement:occasional@2024-02-15T10:00:00Z/m2", "+usage:light@2024-02-15T10:00:00Z/m2"),
        result.events().stream().map(CustomerTest::segmentOf).toList());
    for (Event e : result.events().subList(1, result.events().size())) {
      assertEquals(clock.instant(), e instanceof Customer.SegmentEntered en ? en.recordedAt() : ((Customer.SegmentExited) e).recordedAt());
    }
  }

  @Test
  void aLateEventGivesOnlyTheNetTransitionsAtTheEventTimesTheyHoldFrom() {
    clock.set(Instant.parse("2024-02-15T12:00:00Z"));
    record(page("m1", "2024-01-01T10:00:00Z"), page("m2", "2024-02-15T10:00:00Z"));
    var late = record(order("late", "2024-01-05T10:00:00Z", "o1", "10.00"));
    assertEquals(List.of("facts",
        "-journey:awareness@2024-01-05T10:00:00Z/late",
        "+journey:customer@2024-01-05T10:00:00Z/late", "+loyalty:one-time@2024-01-05T10:00:00Z/late",
        // three morning interactions from the second page on
        "+occasion:morning@2024-02-15T10:00:00Z/late",
        // new at the order, promising once it is more than 30 days old: only the final run is news
        "+purchasing:promising@2024-02-04T10:00:00.000000001Z/late"),
        late.events().stream().map(CustomerTest::segmentOf).toList());
  }

  @Test
  void oldTransitionsWithoutARecordedTimeReadTheirEventTime() {
    Instant at = Instant.parse("2024-01-01T10:00:00Z");
    assertEquals(at, new Customer.SegmentEntered("engagement:high", at, new Customer.Cause("m", 1, Map.of()), null).recordedAt());
    assertEquals(at, new Customer.SegmentExited("engagement:high", at, new Customer.Cause("m", 1, Map.of()), null).recordedAt());
  }
}
