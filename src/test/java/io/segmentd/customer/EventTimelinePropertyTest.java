package io.segmentd.customer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.segmentd.replay.EventTimeline;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestSettings;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * For random histories: the transitions an entity persists when the history is sent live and in
 * order (its clock at each event's time) == the event-time timeline derived from its journal ==
 * the timeline derived from the journal of the same history imported late, shuffled, in batches.
 */
class EventTimelinePropertyTest {
  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseResources("serialization.conf").withFallback(ConfigFactory.defaultReference()).resolve()));
  private static final String[] NAMES = {"Product Viewed", "Checkout Started", "Product Reviewed", "Coupon Applied",
      "Promotion Clicked", "Referral Sent", "Signed Up", "Express Checkout Used"};

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  /** What both timelines must agree on. */
  private record Change(String segment, String direction, Instant at, Customer.Cause cause) {}

  @Test
  void liveInOrderEqualsTheTimelineDerivedFromTheJournalOfALateShuffledImport() {
    Random random = new Random(20261130);
    CustomerSettings settings = TestSettings.customer("""
        segmentd.customer.snapshot-every = 7
        segmentd.segments.custom = [
          {"id": "custom:spender", "version": 1, "rule": {"sum": {"event": "Order Completed", "property": "revenue", "within": "45d"}, "gte": 600}}
        ]""");
    for (int history = 0; history < 25; history++) {
      Instant start = Instant.parse("2023-01-01T00:00:00Z").plus(Duration.ofMinutes(random.nextInt(60 * 24 * 30)));
      List<BehaviorEvent> events = randomEvents(random, start, 10 + random.nextInt(40));
      Instant last = events.get(events.size() - 1).timestamp();

      MutableClock liveClock = new MutableClock(start);
      var live = EventSourcedBehaviorTestKit.<Customer.Command, Customer.Event, Customer.State>create(testKit.system(),
          Customer.create("live-" + history, settings, liveClock, ReevaluationScheduler.NONE));
      for (BehaviorEvent event : events) {
        liveClock.set(event.timestamp());
        live.<StatusReply<Customer.Recorded>>runCommand(r -> new Customer.RecordEvents(List.of(event), r));
        if (random.nextInt(6) == 0) live.restart();
      }
      List<Object> liveJournal = live.persistenceTestKit().persistedInStorage(Customer.persistenceId("live-" + history).id());
      List<Change> persisted = new ArrayList<>();
      for (Object e : liveJournal) {
        if (e instanceof Customer.SegmentEntered en) persisted.add(new Change(en.segment(), "entered", en.at(), en.cause()));
        if (e instanceof Customer.SegmentExited ex) persisted.add(new Change(ex.segment(), "exited", ex.at(), ex.cause()));
      }
      assertEquals(persisted, derived(liveJournal, settings, last), "history " + history + ": live vs derived from its journal");

      // The same history imported a year later, shuffled, in batches.
      MutableClock lateClock = new MutableClock(last.plus(Duration.ofDays(365)));
      var late = EventSourcedBehaviorTestKit.<Customer.Command, Customer.Event, Customer.State>create(testKit.system(),
          Customer.create("late-" + history, settings, lateClock, ReevaluationScheduler.NONE));
      List<BehaviorEvent> shuffled = new ArrayList<>(events);
      Collections.shuffle(shuffled, random);
      for (int i = 0; i < shuffled.size(); ) {
        int size = 1 + random.nextInt(15);
        List<BehaviorEvent> batch = List.copyOf(shuffled.subList(i, Math.min(shuffled.size(), i + size)));
        late.<StatusReply<Customer.Recorded>>runCommand(r -> new Customer.RecordEvents(batch, r));
        lateClock.advance(Duration.ofMinutes(random.nextInt(30)));
        i += size;
      }
      List<Object> lateJournal = late.persistenceTestKit().persistedInStorage(Customer.persistenceId("late-" + history).id());
      assertEquals(persisted, derived(lateJournal, settings, last), "history " + history + ": live vs derived from the late import");
    }
  }

  private static List<Change> derived(List<Object> journal, CustomerSettings settings, Instant to) {
    return EventTimeline.derive(journal, settings.engine(), settings.profile(), null, to).stream()
        .map(c -> new Change(c.segment(), c.direction(), c.at(), c.cause())).toList();
  }

  /** Distinct instants: events at one instant would have to travel in one batch for the live trigger to be the derived one. */
  private static List<BehaviorEvent> randomEvents(Random random, Instant start, int count) {
    List<BehaviorEvent> events = new ArrayList<>();
    Instant t = start;
    for (int i = 0; i < count; i++) {
      t = t.plus(Duration.ofMinutes(1 + random.nextInt(60 * 24 * 12)));
      String id = "e" + i;
      BehaviorEvent event = switch (random.nextInt(5)) {
        case 0, 1 -> {
          Map<String, Object> props = new HashMap<>();
          props.put("order_id", "o" + random.nextInt(count));
          props.put("revenue", new BigDecimal(random.nextInt(80000)).movePointLeft(2));
          if (random.nextBoolean()) props.put("coupon", "SAVE");
          yield new BehaviorEvent(id, EventType.TRACK, "Order Completed", t, t, null, props);
        }
        case 2 -> new BehaviorEvent(id, EventType.TRACK, "Order Refunded", t, t, null, Map.of("order_id", "o" + random.nextInt(count)));
        case 3 -> new BehaviorEvent(id, EventType.PAGE, "Home", t, t, random.nextBoolean() ? "Europe/London" : null, Map.of());
        default -> new BehaviorEvent(id, EventType.TRACK, NAMES[random.nextInt(NAMES.length)], t, t, null, Map.of());
      };
      events.add(event);
    }
    return events;
  }
}
