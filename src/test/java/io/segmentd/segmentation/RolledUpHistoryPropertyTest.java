package io.segmentd.segmentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
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
import org.junit.jupiter.api.Test;

/**
 * A profile that grouped its events as they arrived (late, early, in any order, in batches with
 * their own arrival instants) evaluates as of any instant it calls exact exactly as the full
 * history does: every event up to that instant kept on its own.
 */
class RolledUpHistoryPropertyTest {
  private static final String[] ZONES = {null, "Europe/London", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Asia/Tokyo"};
  private static final String[] NAMES = {"Product Viewed", "Coupon Applied", "Product Reviewed", "Checkout Started",
      "Signed Up", "Feature Used", "Promotion Clicked"};

  private static final SegmentEngine ENGINE = SegmentEngine.fromConfig(ConfigFactory.parseString("""
      benefit.rules = [
        { benefit = price, event = "Coupon Applied", weight = 2 }
        { benefit = price, event = "Promotion Clicked", weight = 0.1 }
        { benefit = quality, event = "Product Reviewed", weight = 0.3 }
        { benefit = eco, category = "refill" }
        { benefit = automation, event = "Feature Used", feature = "scheduler", weight = 1.5 }
      ]
      custom = [
        {"id": "custom:views-7d", "version": 1, "rule":
          {"count": {"event": "Product Viewed", "within": "7d"}, "gte": 6}},
        {"id": "custom:spend-30d", "version": 1, "rule":
          {"sum": {"event": "Order Completed", "property": "revenue", "within": "30d"}, "gte": 300}},
        {"id": "custom:cheap-view", "version": 1, "rule":
          {"min": {"event": "Product Viewed", "property": "price", "within": "14d"}, "lt": 20}},
        {"id": "custom:eur-views", "version": 1, "rule":
          {"count": {"event": "Product Viewed", "where": {"property": "currency", "equals": "EUR"}}, "gte": 3}},
        {"id": "custom:spring-browser", "version": 1, "rule":
          {"count": {"event": "Product Viewed", "between": ["2024-03-01T10:07:00Z", "2024-04-01T00:00:00Z"]}, "gte": 4}},
        {"id": "custom:recent-checkout", "version": 1, "rule":
          {"lastOccurrence": {"event": "Checkout Started"}, "within": "2d"}}
      ]""").withFallback(TestSettings.segmentd(Map.of()).getConfig("segments")));

  private static final ProfileSettings ROLLED = new ProfileSettings("Order Completed", "Order Refunded",
      Duration.ofDays(400), ENGINE.factShape(Duration.ofMinutes(15)));
  /** The full history: nothing archived, every event its own. */
  private static final ProfileSettings FULL = new ProfileSettings("Order Completed", "Order Refunded",
      Duration.ofDays(100_000), ROLLED.shape());

  @Test
  void rolledUpHistoryEvaluatesAsTheFullHistoryAtEveryExactInstant() {
    Random random = new Random(7);
    int compared = 0;
    for (int history = 0; history < 40; history++) {
      List<BehaviorEvent> events = randomHistory(random, 150 + random.nextInt(250));
      Profile rolled = arriveInBatches(events, random);
      Instant first = events.stream().map(BehaviorEvent::timestamp).min(Instant::compareTo).orElseThrow();
      Instant last = events.stream().map(BehaviorEvent::timestamp).max(Instant::compareTo).orElseThrow();
      List<Instant> instants = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        Instant t = first.plusSeconds((long) (random.nextDouble() * Duration.between(first, last.plus(Duration.ofDays(60))).toSeconds()));
        instants.add(t);
        instants.add(ROLLED.shape().stepEnd(t)); // a step's end: never straddled
        instants.add(events.get(random.nextInt(events.size())).timestamp()); // inside a burst: often straddled
      }
      instants.add(rolled.recordedUpTo());
      for (Instant asOf : instants) {
        if (!rolled.exactAt(asOf, ROLLED)) continue;
        List<BehaviorEvent> upTo = events.stream().filter(e -> !e.timestamp().isAfter(asOf)).toList();
        Profile full = Profile.EMPTY.plus(upTo, Instant.MIN, FULL);
        assertEquals(ENGINE.evaluate(full, asOf), ENGINE.evaluate(rolled, asOf), "history " + history + " as of " + asOf);
        compared++;
      }
      // Step ends and the latest arrival are always exact.
      assertTrue(rolled.exactAt(rolled.recordedUpTo(), ROLLED));
      assertTrue(rolled.exactAt(ROLLED.shape().stepEnd(last.minus(Duration.ofDays(3))), ROLLED));
    }
    assertTrue(compared > 1000, "compared " + compared + " instants");
  }

  @Test
  void theRolledUpStateDoesNotDependOnArrivalOrder() {
    Random random = new Random(11);
    for (int history = 0; history < 30; history++) {
      List<BehaviorEvent> events = randomHistory(random, 200);
      Instant arrival = events.stream().map(BehaviorEvent::timestamp).max(Instant::compareTo).orElseThrow();
      Profile inOrder = Profile.EMPTY;
      for (BehaviorEvent e : events) inOrder = inOrder.plus(List.of(e), arrival, ROLLED);
      List<BehaviorEvent> shuffled = new ArrayList<>(events);
      Collections.shuffle(shuffled, random);
      Profile shuffledArrival = Profile.EMPTY;
      for (int i = 0; i < shuffled.size(); i += 13) {
        shuffledArrival = shuffledArrival.plus(shuffled.subList(i, Math.min(shuffled.size(), i + 13)), arrival, ROLLED);
      }
      assertEquals(inOrder, shuffledArrival, "history " + history);
    }
  }

  @Test
  void foldingAJournalsBatchesAtOnceEqualsFoldingThemOneByOne() {
    // What lets a replay fold a customer's whole journal in one pass instead of one per batch; it
    // also found groups of one key kept twice when an early event was passed by a later arrival.
    Random random = new Random(23);
    for (int history = 0; history < 40; history++) {
      List<BehaviorEvent> events = randomHistory(random, 300);
      Profile oneByOne = Profile.EMPTY;
      List<BehaviorEvent> all = new ArrayList<>();
      Instant lastArrival = null;
      int i = 0;
      while (i < events.size()) {
        List<BehaviorEvent> batch = events.subList(i, Math.min(events.size(), i + 1 + random.nextInt(40)));
        Instant newest = batch.stream().map(BehaviorEvent::timestamp).max(Instant::compareTo).orElseThrow();
        // Sometimes before the batch's newest event (an early stamp), sometimes long after it.
        Instant arrival = random.nextInt(4) == 0 ? newest.minus(Duration.ofMinutes(random.nextInt(30)))
            : newest.plus(Duration.ofMinutes(random.nextInt(24 * 60)));
        oneByOne = oneByOne.plus(batch, arrival, ROLLED);
        all.addAll(batch);
        lastArrival = lastArrival == null || arrival.isAfter(lastArrival) ? arrival : lastArrival;
        i += batch.size();
      }
      assertEquals(oneByOne, Profile.EMPTY.plus(all, lastArrival, ROLLED), "history " + history);
    }
  }

  /** Batches arrive at their own instants, some events late and some stamped ahead of their arrival. */
  private static Profile arriveInBatches(List<BehaviorEvent> events, Random random) {
    Map<BehaviorEvent, Instant> delivered = new HashMap<>();
    for (BehaviorEvent e : events) delivered.put(e, e.timestamp().plus(Duration.ofHours(random.nextInt(24 * 20))));
    List<BehaviorEvent> arrivalOrder = new ArrayList<>(events);
    arrivalOrder.sort(java.util.Comparator.comparing(delivered::get));
    Profile profile = Profile.EMPTY;
    int i = 0;
    while (i < arrivalOrder.size()) {
      int size = 1 + random.nextInt(40);
      List<BehaviorEvent> batch = arrivalOrder.subList(i, Math.min(arrivalOrder.size(), i + size));
      Instant newest = batch.stream().map(BehaviorEvent::timestamp).max(Instant::compareTo).orElseThrow();
      // Mostly after the newest event of the batch; sometimes a few minutes before it (an early stamp).
      Instant arrival = random.nextInt(5) == 0 ? newest.minus(Duration.ofMinutes(random.nextInt(5)))
          : newest.plus(Duration.ofMinutes(random.nextInt(120)));
      profile = profile.plus(batch, arrival, ROLLED);
      i += size;
    }
    return profile;
  }

  private static List<BehaviorEvent> randomHistory(Random random, int count) {
    List<BehaviorEvent> events = new ArrayList<>();
    Instant t = Instant.parse("2024-01-01T00:00:00Z").plusSeconds(random.nextInt(86_400 * 30));
    for (int i = 0; i < count; i++) {
      // Bursts (seconds apart, many per step) between quiet spells (days).
      t = t.plusSeconds(random.nextInt(10) == 0 ? random.nextInt(86_400 * 6) : random.nextInt(400));
      t = t.plusNanos(random.nextInt(1_000_000_000));
      String id = "e" + i;
      String zone = ZONES[random.nextInt(ZONES.length)];
      Map<String, Object> props = new HashMap<>();
      BehaviorEvent event = switch (random.nextInt(8)) {
        case 0 -> {
          props.put("order_id", "o" + random.nextInt(count));
          props.put("revenue", new BigDecimal(random.nextInt(40000)).movePointLeft(2));
          if (random.nextBoolean()) props.put("coupon", "SAVE");
          yield new BehaviorEvent(id, EventType.TRACK, "Order Completed", t, t, zone, props);
        }
        case 1 -> new BehaviorEvent(id, EventType.PAGE, "Home", t, t, zone, Map.of());
        case 2 -> new BehaviorEvent(id, EventType.IDENTIFY, "", t, t, zone, Map.of("plan", "pro"));
        case 3, 4 -> {
          props.put("price", random.nextInt(5) == 0 ? "12.5" : new BigDecimal(random.nextInt(10000)).movePointLeft(2));
          props.put("currency", random.nextBoolean() ? "EUR" : "USD");
          if (random.nextBoolean()) props.put("category", random.nextBoolean() ? "refill" : "bottle");
          yield new BehaviorEvent(id, EventType.TRACK, "Product Viewed", t, t, zone, props);
        }
        case 5 -> new BehaviorEvent(id, EventType.TRACK, "Feature Used", t, t, zone,
            Map.of("feature", random.nextBoolean() ? "scheduler" : "export"));
        default -> new BehaviorEvent(id, EventType.TRACK, NAMES[random.nextInt(NAMES.length)], t, t, zone, Map.of());
      };
      events.add(event);
    }
    return events;
  }
}
