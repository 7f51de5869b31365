package io.segmentd.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;

/**
 * Wake-ups per ingested event, from the pure core: customers with 90 days of sessions (page and
 * product views, some checkouts, orders and email opens) are replayed as a live entity sees them,
 * each event arriving at its own time; between arrivals the customer is woken at every instant the
 * engine announces (as the schedule would), and after the last one until nothing is left to
 * announce. Beside it, what announcing every window exit (each family's earliest edge, the rule
 * before issue 8) would wake: every distinct exit of an event from a window, at the event's own
 * instant. No Cassandra is involved.
 */
final class WakeUpScenario implements Scenario {
  private static final String[] VIEWS = {"Product Viewed", "Product List Viewed", "Products Searched"};

  @Override
  public String name() {
    return "wakeups";
  }

  @Override
  public String description() {
    return "wake-ups per ingested event (pure core, 90-day histories), beside announcing every window exit";
  }

  @Override
  public void run(BenchContext ctx) {
    Config segmentd = ConfigFactory.load().getConfig("segmentd");
    SegmentEngine engine = SegmentEngine.fromConfig(segmentd.getConfig("segments"));
    ProfileSettings settings = ProfileSettings.fromConfig(segmentd.getConfig("profile"), engine);
    List<Duration> windows = List.of(
        segmentd.getDuration("segments.engagement.window"), segmentd.getDuration("segments.usage.window"),
        segmentd.getDuration("segments.benefit.window"), segmentd.getDuration("segments.occasion.window"));
    Random random = new Random(42);
    int customers = ctx.quick ? 200 : 1_000;
    long events = 0;
    long wakeUps = 0;
    long changing = 0;
    long everyExit = 0;
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    for (int c = 0; c < customers; c++) {
      List<BehaviorEvent> history = history(random, "c" + c, start);
      events += history.size();
      TreeSet<Instant> exits = new TreeSet<>();
      for (BehaviorEvent e : history) {
        if (e.type() == EventType.TRACK || e.type() == EventType.PAGE) windows.forEach(w -> exits.add(e.timestamp().plus(w)));
      }
      everyExit += exits.size();
      Profile profile = Profile.EMPTY;
      for (int i = 0; i < history.size(); i++) {
        BehaviorEvent event = history.get(i);
        profile = profile.plus(List.of(event), event.timestamp(), settings);
        Instant until = i + 1 < history.size() ? history.get(i + 1).timestamp() : Instant.MAX;
        Instant now = event.timestamp();
        var segments = engine.evaluate(profile, now).keySet();
        Optional<Instant> next = engine.nextChange(profile, now);
        while (next.isPresent() && next.get().isBefore(until)) {
          wakeUps++;
          now = next.get();
          var after = engine.evaluate(profile, now).keySet();
          if (!after.equals(segments)) changing++;
          segments = after;
          next = engine.nextChange(profile, now);
        }
      }
    }
    ctx.out.printf("  %,d customers, %,d events: %,d wake-ups (%,d of them changed a membership); every window exit: %,d%n",
        customers, events, wakeUps, changing, everyExit);
    ctx.table.add(name(), "wake-ups per 100 ingested events (90-day histories; raw: announcing every window exit)",
        100.0 * wakeUps / events, 100.0 * everyExit / events, "", "-");
    ctx.table.add(name(), "share of wake-ups that change a membership", (double) changing / Math.max(1, wakeUps), Double.NaN, "", "-");
  }

  /** About 45 events over 90 days: sessions of views, some checkouts and orders, email opens. */
  private static List<BehaviorEvent> history(Random random, String customer, Instant start) {
    List<BehaviorEvent> events = new ArrayList<>();
    int sessions = 3 + random.nextInt(10);
    int n = 0;
    for (int s = 0; s < sessions; s++) {
      Instant t = start.plusSeconds(random.nextInt(90 * 86_400));
      int views = 1 + random.nextInt(8);
      for (int v = 0; v < views; v++) {
        t = t.plusSeconds(20 + random.nextInt(300));
        events.add(new BehaviorEvent(customer + "-" + n++, EventType.TRACK, VIEWS[random.nextInt(VIEWS.length)], t, t,
            "Europe/London", Map.of("category", "garden")));
      }
      if (random.nextInt(4) == 0) {
        t = t.plusSeconds(60);
        events.add(new BehaviorEvent(customer + "-" + n++, EventType.TRACK, "Checkout Started", t, t, "Europe/London", Map.of()));
        if (random.nextBoolean()) {
          t = t.plusSeconds(120);
          events.add(new BehaviorEvent(customer + "-" + n++, EventType.TRACK, "Order Completed", t, t, "Europe/London",
              Map.of("order_id", customer + "-o" + s, "revenue", new BigDecimal("42.50"))));
        }
      }
      if (random.nextInt(3) == 0) {
        Instant open = t.plusSeconds(3_600L * (1 + random.nextInt(48)));
        events.add(new BehaviorEvent(customer + "-" + n++, EventType.TRACK, "Email Opened", open, open, "Europe/London", Map.of()));
      }
    }
    events.sort((a, b) -> a.timestamp().compareTo(b.timestamp()));
    return events;
  }
}
