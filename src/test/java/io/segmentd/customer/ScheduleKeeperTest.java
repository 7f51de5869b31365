package io.segmentd.customer;

import static io.segmentd.testing.Events.page;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.segmentd.customer.Customer.Command;
import io.segmentd.customer.Customer.Recorded;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * How a running customer keeps its next instant in the schedule when writes fail or are slow:
 * each write's outcome is decided by the test.
 */
class ScheduleKeeperTest {
  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseResources("serialization.conf").withFallback(ConfigFactory.defaultReference()).resolve()));
  private static final Duration NOTHING_HAPPENS = Duration.ofMillis(300);

  private final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T10:00:00Z"));
  private final CustomerSettings settings = TestSettings.customer(Map.of(
      "segmentd.customer.schedule-retry.min-backoff", "10ms", "segmentd.customer.schedule-retry.max-backoff", "50ms"));
  private final ManualScheduler scheduler = new ManualScheduler();

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  /** Hands every write to the test, which completes it or fails it. */
  private static final class ManualScheduler implements ReevaluationScheduler {
    record Write(Instant due, CompletableFuture<Done> outcome) {
      void succeed() {
        outcome.complete(Done.getInstance());
      }

      void fail() {
        outcome.completeExceptionally(new IllegalStateException("injected schedule write failure"));
      }
    }

    final BlockingQueue<Write> writes = new LinkedBlockingQueue<>();
    final List<Instant> unscheduled = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<Done> schedule(String customerId, Instant due) {
      Write write = new Write(due, new CompletableFuture<>());
      writes.add(write);
      return write.outcome();
    }

    @Override
    public CompletionStage<Done> unschedule(String customerId, Instant due) {
      unscheduled.add(due);
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    Write next() throws InterruptedException {
      Write write = writes.poll(5, TimeUnit.SECONDS);
      assertNotNull(write, "the customer wrote its next instant");
      return write;
    }
  }

  private ActorRef<Command> spawn(String customerId) {
    return testKit.spawn(Customer.create(customerId, settings, clock, scheduler));
  }

  private static void record(ActorRef<Command> customer, String messageId, String at, TestProbe<StatusReply<Recorded>> probe) {
    customer.tell(new Customer.RecordEvents(List.of(page(messageId, at)), probe.ref()));
  }

  /** A page view on 03-01 09:00 whose first schedule row is confirmed, and the batch answered. */
  private ManualScheduler.Write recordFirstDurably(ActorRef<Command> customer, TestProbe<StatusReply<Recorded>> recorded)
      throws Exception {
    record(customer, "m1", "2024-03-01T09:00:00Z", recorded);
    ManualScheduler.Write first = scheduler.next();
    first.succeed();
    recorded.receiveMessage();
    return first;
  }

  private static void recordTrack(ActorRef<Command> customer, String messageId, String at, String event,
                                  TestProbe<StatusReply<Recorded>> probe) {
    customer.tell(new Customer.RecordEvents(List.of(io.segmentd.testing.Events.track(messageId, at, event)), probe.ref()));
  }

  /** The customer answers, so it is alive (and has handled everything sent before). */
  private static void assertAlive(ActorRef<Command> customer) {
    TestProbe<StatusReply<Customer.CustomerView>> probe = testKit.createTestProbe();
    customer.tell(new Customer.GetProfile(null, probe.ref()));
    assertTrue(probe.receiveMessage().isSuccess());
  }

  @Test
  void aBatchIsAnsweredOnlyOnceItsNextInstantIsDurableAndFailedWritesAreRetried() throws Exception {
    ActorRef<Command> customer = spawn("keeper-retry");
    TestProbe<StatusReply<Recorded>> recorded = testKit.createTestProbe();
    record(customer, "m1", "2024-03-01T09:00:00Z", recorded);

    ManualScheduler.Write first = scheduler.next();
    assertEquals(Instant.parse("2024-03-29T09:00:00Z"), first.due());
    first.fail();
    ManualScheduler.Write second = scheduler.next();
    assertEquals(first.due(), second.due(), "the same instant, again");
    second.fail();
    ManualScheduler.Write third = scheduler.next();
    assertAlive(customer);
    recorded.expectNoMessage(NOTHING_HAPPENS);

    third.succeed();
    assertEquals(new Recorded(1, 0), recorded.receiveMessage().getValue());
  }

  @Test
  void aCustomerWhoseInstantIsNotDurableDoesNotPassivateUntilItIs() throws Exception {
    ActorRef<Command> customer = spawn("keeper-passivate");
    TestProbe<StatusReply<Recorded>> recorded = testKit.createTestProbe();
    TestProbe<Object> watcher = testKit.createTestProbe();
    record(customer, "m1", "2024-03-01T09:00:00Z", recorded);
    ManualScheduler.Write first = scheduler.next();

    customer.tell(Customer.Passivate.INSTANCE);
    assertAlive(customer);
    first.fail();
    ManualScheduler.Write retry = scheduler.next();
    assertAlive(customer);

    retry.succeed();
    watcher.expectTerminated(customer);
    assertTrue(recorded.receiveMessage().isSuccess(), "the batch was answered before the customer stopped");
  }

  @Test
  void aSupersededRowIsDeletedOnceItsSuccessorIsDurable() throws Exception {
    ActorRef<Command> customer = spawn("keeper-supersede");
    TestProbe<StatusReply<Recorded>> recorded = testKit.createTestProbe();
    ManualScheduler.Write first = recordFirstDurably(customer, recorded);

    // A late checkout: the abandoned cart it makes expires (30 days on) before the row written so far.
    clock.set(Instant.parse("2024-03-01T11:00:00Z"));
    recordTrack(customer, "m2", "2024-02-25T10:30:00Z", "Checkout Started", recorded);
    ManualScheduler.Write second = scheduler.next();
    assertEquals(Instant.parse("2024-03-26T10:30:00Z"), second.due());
    assertAlive(customer);
    recorded.expectNoMessage(NOTHING_HAPPENS);
    assertEquals(List.of(), scheduler.unscheduled, "the earlier row stays while the new one is not durable");

    second.succeed();
    assertTrue(recorded.receiveMessage().isSuccess());
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertEquals(List.of(first.due()), scheduler.unscheduled));
  }

  @Test
  void aLaterInstantIsNotWrittenWhileADurableEarlierRowCoversItItsWakeUpWritesIt() throws Exception {
    ActorRef<Command> customer = spawn("keeper-cover");
    TestProbe<StatusReply<Recorded>> recorded = testKit.createTestProbe();
    ManualScheduler.Write first = recordFirstDurably(customer, recorded);

    // An event just after the first instant passed, before any waker came: the next one is later
    // (04-26, when usage falls to inactive as this one leaves its 28-day window, counted from the end
    // of its 15-minute step), and the durable row at 03-29 wakes the customer before it: nothing is written.
    clock.set(Instant.parse("2024-03-29T09:00:01Z"));
    record(customer, "m2", "2024-03-29T09:00:00.500Z", recorded);
    assertTrue(recorded.receiveMessage().isSuccess());
    assertAlive(customer);
    assertNull(scheduler.writes.poll(NOTHING_HAPPENS.toMillis(), TimeUnit.MILLISECONDS), "no schedule write");
    assertEquals(List.of(), scheduler.unscheduled);

    // The wake-up of that row finds nothing to do and writes the instant wanted now.
    TestProbe<StatusReply<Done>> woken = testKit.createTestProbe();
    customer.tell(new Customer.Reevaluate(first.due(), woken.ref()));
    ManualScheduler.Write second = scheduler.next();
    assertEquals(Instant.parse("2024-04-26T09:15:00Z"), second.due());
    woken.expectNoMessage(NOTHING_HAPPENS);
    second.succeed();
    assertTrue(woken.receiveMessage().isSuccess());
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertEquals(List.of(first.due()), scheduler.unscheduled));
    assertNull(scheduler.writes.poll(NOTHING_HAPPENS.toMillis(), TimeUnit.MILLISECONDS), "nothing else written");
  }

  @Test
  void duringAWakeUpTheRowItConsumesCoversNoNewInstant() throws Exception {
    ActorRef<Command> customer = spawn("keeper-consumed");
    TestProbe<StatusReply<Recorded>> recorded = testKit.createTestProbe();
    ManualScheduler.Write first = recordFirstDurably(customer, recorded);

    clock.set(Instant.parse("2024-03-29T09:00:01Z"));
    TestProbe<StatusReply<Done>> woken = testKit.createTestProbe();
    customer.tell(new Customer.Reevaluate(first.due(), woken.ref()));
    ManualScheduler.Write successor = scheduler.next();
    assertEquals(Instant.parse("2024-03-31T09:00:00Z"), successor.due());

    // A late event moves the instant to 03-30 while the successor is in flight. The row at 03-29 is
    // the one the waker deletes once answered, so 03-30 is written too, and the wake-up waits for it.
    record(customer, "m2", "2024-03-02T09:00:00Z", recorded);
    assertTrue(recorded.receiveMessage().isSuccess(), "covered by the row at 03-29 until the waker has its answer");
    successor.succeed();
    ManualScheduler.Write late = scheduler.next();
    assertEquals(Instant.parse("2024-03-30T09:00:00Z"), late.due());
    woken.expectNoMessage(NOTHING_HAPPENS);
    late.succeed();
    assertTrue(woken.receiveMessage().isSuccess());
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertEquals(java.util.Set.of(first.due(), successor.due()), java.util.Set.copyOf(scheduler.unscheduled)));
    assertEquals(2, scheduler.unscheduled.size());
  }

  @Test
  void aWakeUpIsAnsweredOnlyOnceTheNextInstantIsDurable() throws Exception {
    ActorRef<Command> customer = spawn("keeper-wake");
    TestProbe<StatusReply<Recorded>> recorded = testKit.createTestProbe();
    ManualScheduler.Write first = recordFirstDurably(customer, recorded);

    clock.set(Instant.parse("2024-03-29T09:00:01Z"));
    TestProbe<StatusReply<Done>> woken = testKit.createTestProbe();
    customer.tell(new Customer.Reevaluate(first.due(), woken.ref()));
    ManualScheduler.Write next = scheduler.next();
    assertEquals(Instant.parse("2024-03-31T09:00:00Z"), next.due(), "the engagement window (30 days) passes next");
    next.fail();
    ManualScheduler.Write retry = scheduler.next();
    assertAlive(customer);
    // Until the waker hears back, it keeps the row it woke the customer for.
    woken.expectNoMessage(NOTHING_HAPPENS);

    retry.succeed();
    assertTrue(woken.receiveMessage().isSuccess());
  }

  @Test
  void anInstantThatPassedWhileItsWriteWasFailingIsWrittenAsNow() throws Exception {
    ActorRef<Command> customer = spawn("keeper-overdue");
    TestProbe<StatusReply<Recorded>> recorded = testKit.createTestProbe();
    clock.set(Instant.parse("2024-03-29T08:59:59Z"));
    record(customer, "m1", "2024-03-01T09:00:00Z", recorded);
    ManualScheduler.Write first = scheduler.next();
    assertEquals(Instant.parse("2024-03-29T09:00:00Z"), first.due());

    clock.set(Instant.parse("2024-03-29T09:05:00Z"));
    first.fail();
    // Written as due now, so a waker whose watermark has moved past 09:00 still reads it.
    assertEquals(Instant.parse("2024-03-29T09:05:00Z"), scheduler.next().due());
  }
}
