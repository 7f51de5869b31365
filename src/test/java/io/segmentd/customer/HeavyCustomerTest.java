package io.segmentd.customer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.segmentd.customer.Customer.Command;
import io.segmentd.customer.Customer.CustomerView;
import io.segmentd.customer.Customer.Event;
import io.segmentd.customer.Customer.Recorded;
import io.segmentd.customer.Customer.State;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import io.segmentd.segmentation.Membership;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestSettings;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A customer with far more events in its windows than any former cap (the profile kept the newest
 * 20,000 facts, and the last 1,000 message ids): every count stays exact, a retry is still known,
 * and the state stays bounded by time, not by volume.
 */
class HeavyCustomerTest {
  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseResources("serialization.conf").withFallback(ConfigFactory.defaultReference()).resolve()));

  private static final Instant START = Instant.parse("2024-06-03T00:00:00Z"); // a Monday
  private static final int EVENTS = 60_480; // one every 10 seconds for 7 days: one unbroken session

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void countsStayExactAndStateBoundedWithSixtyThousandEventsInTheWindows() {
    var settings = TestSettings.customer("""
        segmentd.segments.custom = [
          {"id": "custom:viewer-30d", "version": 1, "rule":
            {"count": {"event": "Product Viewed", "within": "30d"}, "gte": 30000}},
          {"id": "custom:browsed-value", "version": 1, "rule":
            {"sum": {"event": "Product Viewed", "property": "price", "within": "30d"}, "gte": 1}}
        ]""");
    MutableClock clock = new MutableClock(START);
    var kit = EventSourcedBehaviorTestKit.<Command, Event, State>create(testKit.system(),
        Customer.create("heavy", settings, clock, ReevaluationScheduler.NONE),
        EventSourcedBehaviorTestKit.disabledSerializationSettings());

    List<BehaviorEvent> batch = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      Instant at = START.plusSeconds(10L * i);
      // 3 of 4 are product views (price 1.25), 1 of 4 a coupon applied.
      batch.add(i % 4 == 3
          ? new BehaviorEvent("m" + i, EventType.TRACK, "Coupon Applied", at, at, null, Map.of())
          : new BehaviorEvent("m" + i, EventType.TRACK, "Product Viewed", at, at, null,
              Map.of("product_id", "sku-" + (i % 977), "price", new BigDecimal("1.25"))));
      if (batch.size() == 1000 || i == EVENTS - 1) {
        clock.set(at);
        List<BehaviorEvent> events = List.copyOf(batch);
        assertEquals(new Recorded(events.size(), 0),
            kit.<StatusReply<Recorded>>runCommand(replyTo -> new Customer.RecordEvents(events, replyTo)).reply().getValue());
        batch.clear();
      }
    }
    Instant last = START.plusSeconds(10L * (EVENTS - 1));
    clock.set(last.plusSeconds(5));

    CustomerView view = kit.<StatusReply<CustomerView>>runCommand(r -> new Customer.GetProfile(null, r)).reply().getValue();
    Map<String, Membership> segments = view.segments();
    int views = EVENTS / 4 * 3;
    int coupons = EVENTS / 4;
    assertEquals(EVENTS, view.eventCount());
    assertEquals(Map.of("interactions", "60480", "windowDays", "30"), segments.get("engagement:high").values());
    // 7 days in one session of 10 s gaps: 604,790 s = 10,079 whole minutes, on 7 UTC days.
    assertEquals(Map.of("activeDays", "7", "sessionMinutes", "10079", "windowDays", "28"), segments.get("usage:heavy").values());
    assertEquals(Map.of("evidence", Double.toString(2.0 * coupons), "scores", "{price=" + 2.0 * coupons + "}"),
        segments.get("benefit:price").values());
    // Saturday and Sunday: 2 of the 7 days (17,280 events); no part of the day holds half.
    assertEquals(null, segments.get("occasion:weekend"));
    assertEquals(Map.of("rule.count", Integer.toString(views)), segments.get("custom:viewer-30d").values());
    assertEquals(Map.of("rule.sum", new BigDecimal("1.25").multiply(BigDecimal.valueOf(views)).toPlainString()),
        segments.get("custom:browsed-value").values());

    // A retry 8,000 events (22 hours) later is known; one recorded 7 days ago is beyond the 24-hour window.
    int retried = EVENTS - 8_000;
    Instant retriedAt = START.plusSeconds(10L * retried);
    BehaviorEvent retry = new BehaviorEvent("m" + retried, EventType.TRACK, "Product Viewed", retriedAt, retriedAt, null,
        Map.of("product_id", "sku-0", "price", new BigDecimal("1.25")));
    assertEquals(new Recorded(0, 1),
        kit.<StatusReply<Recorded>>runCommand(r -> new Customer.RecordEvents(List.of(retry), r)).reply().getValue());

    // Bounded by time: one group per kind of event per 15-minute step: 7 days x 96 steps of each kind,
    // and for views one more, the step (23:45, 00:00] that the first event (at 00:00) closes.
    State state = kit.getState();
    assertEquals(7 * 96 * 2 + 1, state.getProfile().facts().size());
    int bytes = SerializationExtension.get(Adapter.toClassic(testKit.system())).serialize(state.forSnapshot()).get().length;
    assertTrue(bytes < 1_000_000, "the snapshot is " + bytes + " bytes");
  }

  @Test
  void anIdIsRememberedForTheRetryWindowAndThenForgotten() {
    RecentMessages recent = new RecentMessages();
    Duration day = Duration.ofHours(24);
    recent.record(List.of("a"), START, day, 100_000);
    for (int i = 0; i < 50; i++) recent.record(List.of("n" + i), START.plus(Duration.ofHours(i % 23)), day, 100_000);
    assertTrue(recent.seen("a"), "23 hours and 50 batches later");
    recent.record(List.of("b"), START.plus(Duration.ofHours(30)), day, 100_000);
    assertTrue(recent.seen("a"), "remembered at least one window");
    recent.record(List.of("c"), START.plus(Duration.ofHours(55)), day, 100_000);
    assertEquals(false, recent.seen("a"), "forgotten within two windows");
    assertTrue(recent.seen("b"));
    assertTrue(recent.seen("c"));
  }
}
