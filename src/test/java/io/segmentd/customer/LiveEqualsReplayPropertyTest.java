package io.segmentd.customer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.segmentd.replay.CustomerJournal;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.SegmentEngine;
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
 * For random histories sent in random batches and arrival orders, with the clock moving on in
 * between: the live entity's segments == a fresh fold of its journal == the pure core on the same
 * events in any order.
 */
class LiveEqualsReplayPropertyTest {
  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseResources("serialization.conf").withFallback(ConfigFactory.defaultReference()).resolve()));
  private static final String[] NAMES = {"Product Viewed", "Checkout Started", "Product Reviewed", "Coupon Applied",
      "Promotion Clicked", "Referral Sent", "Signed Up", "Express Checkout Used"};
  private static final String[] ZONES = {null, null, "Europe/London", "Asia/Tokyo", "America/Los_Angeles"};

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void liveSegmentsEqualAFreshFoldOfTheJournalAndThePureCoreInAnyArrivalOrder() {
    Random random = new Random(20261129);
    CustomerSettings settings = TestSettings.customer("""
        segmentd.customer.snapshot-every = 7
        segmentd.segments.custom = [
          {"id": "custom:spender", "version": 1, "rule": {"sum": {"event": "Order Completed", "property": "revenue", "within": "45d"}, "gte": 600}},
          {"id": "custom:lapsed-reviewer", "version": 1, "rule": {"all": [
            {"lastOccurrence": {"event": "Product Reviewed"}, "moreThan": "20d"},
            {"not": {"segment": "engagement:high"}}]}}
        ]""");
    SegmentEngine engine = settings.engine();
    for (int history = 0; history < 40; history++) {
      String customerId = "p-" + history;
      Instant start = Instant.parse("2023-01-01T00:00:00Z").plus(Duration.ofMinutes(random.nextInt(60 * 24 * 30)));
      List<BehaviorEvent> events = randomEvents(random, start, 10 + random.nextInt(50));
      MutableClock clock = new MutableClock(start);
      var kit = EventSourcedBehaviorTestKit.<Customer.Command, Customer.Event, Customer.State>create(testKit.system(),
          Customer.create(customerId, settings, clock, ReevaluationScheduler.NONE));

      List<BehaviorEvent> arrival = new ArrayList<>(events);
      Collections.shuffle(arrival, random);
      // Late arrivals are bounded: an event reaches the entity at most 60 days after it happened.
      arrival.sort(java.util.Comparator.comparing(e -> e.timestamp().plus(Duration.ofDays(random.nextInt(60)))));
      int i = 0;
      while (i < arrival.size()) {
        int size = 1 + random.nextInt(6);
        List<BehaviorEvent> batch = arrival.subList(i, Math.min(arrival.size(), i + size));
        Instant latest = batch.stream().map(BehaviorEvent::timestamp).max(Instant::compareTo).orElseThrow();
        if (latest.isAfter(clock.instant())) clock.set(latest.plus(Duration.ofMinutes(random.nextInt(600))));
        if (random.nextInt(4) == 0) {
          kit.<StatusReply<org.apache.pekko.Done>>runCommand(r -> new Customer.Reevaluate(clock.instant(), r));
        }
        kit.<StatusReply<Customer.Recorded>>runCommand(r -> new Customer.RecordEvents(List.copyOf(batch), r));
        if (random.nextInt(5) == 0) kit.restart();
        i += size;
      }
      clock.advance(Duration.ofDays(random.nextInt(400)));
      kit.<StatusReply<org.apache.pekko.Done>>runCommand(r -> new Customer.Reevaluate(clock.instant(), r));
      Instant now = clock.instant();

      var live = kit.getState().getSegments().keySet();
      List<Object> journal = kit.persistenceTestKit().persistedInStorage(Customer.persistenceId(customerId).id());
      Profile folded = CustomerJournal.fold(journal, now, settings.profile());
      List<BehaviorEvent> anyOrder = new ArrayList<>(events);
      Collections.shuffle(anyOrder, random);
      Profile core = Profile.EMPTY.plus(anyOrder, settings.profile());

      assertEquals(engine.evaluate(core, now).keySet(), live, "history " + history + ": live vs core");
      assertEquals(engine.evaluate(core, now).keySet(), engine.evaluate(folded, now).keySet(), "history " + history + ": journal vs core");
      Profile beforeRestart = kit.getState().getProfile();
      Profile recovered = kit.restart().state().getProfile();
      assertEquals(beforeRestart, recovered, "history " + history + ": recovered profile vs live");
      assertEquals(engine.evaluate(core, now), engine.evaluate(recovered, now), "history " + history + ": recovered vs core, with values");
      // ...and replaying the journal's transitions gives the same memberships as the live state.
      Map<String, Boolean> replayed = new HashMap<>();
      for (Object e : journal) {
        if (e instanceof Customer.SegmentEntered en) replayed.put(en.segment(), true);
        if (e instanceof Customer.SegmentExited ex) replayed.remove(ex.segment());
      }
      assertEquals(live, replayed.keySet(), "history " + history + ": transitions vs live");
    }
  }

  private static List<BehaviorEvent> randomEvents(Random random, Instant start, int count) {
    List<BehaviorEvent> events = new ArrayList<>();
    Instant t = start;
    for (int i = 0; i < count; i++) {
      t = t.plus(Duration.ofMinutes(random.nextInt(60 * 24 * 12)));
      String id = "e" + i;
      String zone = ZONES[random.nextInt(ZONES.length)];
      BehaviorEvent event = switch (random.nextInt(6)) {
        case 0, 1 -> {
          Map<String, Object> props = new HashMap<>();
          props.put("order_id", "o" + random.nextInt(count));
          props.put("revenue", new BigDecimal(random.nextInt(80000)).movePointLeft(2));
          if (random.nextBoolean()) props.put("coupon", "SAVE");
          yield new BehaviorEvent(id, EventType.TRACK, "Order Completed", t, t, zone, props);
        }
        case 2 -> new BehaviorEvent(id, EventType.TRACK, "Order Refunded", t, t, zone,
            random.nextBoolean() ? Map.of("order_id", "o" + random.nextInt(count))
                : Map.of("order_id", "o" + random.nextInt(count), "revenue", new BigDecimal(random.nextInt(5000)).movePointLeft(2)));
        case 3 -> new BehaviorEvent(id, EventType.PAGE, "Home", t, t, zone, Map.of());
        case 4 -> new BehaviorEvent(id, EventType.IDENTIFY, "", t, t, zone, Map.of("plan", "pro"));
        default -> new BehaviorEvent(id, EventType.TRACK, NAMES[random.nextInt(NAMES.length)], t, t, zone, Map.of());
      };
      events.add(event);
    }
    return events;
  }
}
