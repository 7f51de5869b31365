package io.segmentd.bench.jmh;

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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The pure domain core: {@code SegmentEngine.evaluate(profile, asOf)} for a typical profile (about
 * 50 events over 90 days: page and product views, cart, checkouts, 4 orders, a refund, email
 * opens) with all seven built-in families and ten custom segments. Uses only the public API that
 * stays through the rework of the core: {@code Profile.plus(List, ProfileSettings)},
 * {@code SegmentEngine.fromConfig(config.getConfig("segmentd.segments"))}, {@code evaluate}.
 *
 * <p>Run: {@code java -cp target/segmentd.jar org.openjdk.jmh.Main SegmentEngineBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SegmentEngineBenchmark {
  /** Ten custom segments in the rule language, exercising count, sum, occurrence and segment conditions. */
  static final String CUSTOM = """
      segmentd.segments.custom = [
        {"id": "custom:viewers", "version": 1, "rule": {"count": {"event": "Product Viewed", "within": "30d"}, "gte": 5}}
        {"id": "custom:big-spenders", "version": 1, "rule": {"sum": {"event": "Order Completed", "property": "revenue", "within": "365d"}, "gte": 300}}
        {"id": "custom:eur-buyers", "version": 1, "rule": {"sum": {"event": "Order Completed", "property": "revenue", "within": "90d", "where": {"property": "currency", "equals": "EUR"}}, "gt": 0}}
        {"id": "custom:recent-buyer", "version": 1, "rule": {"lastOccurrence": {"event": "Order Completed"}, "within": "14d"}}
        {"id": "custom:quiet-buyer", "version": 1, "rule": {"lastOccurrence": {"event": "Order Completed"}, "moreThan": "30d"}}
        {"id": "custom:email-engaged", "version": 1, "rule": {"count": {"event": "Email Opened", "within": "60d"}, "gte": 2}}
        {"id": "custom:new-signup", "version": 1, "rule": {"firstOccurrence": {"event": "Product Viewed"}, "within": "120d"}}
        {"id": "custom:cart-heavy", "version": 1, "rule": {"all": [{"count": {"event": "Product Added", "within": "30d"}, "gte": 2}, {"not": {"segment": "purchasing:champions"}}]}}
        {"id": "custom:max-order", "version": 1, "rule": {"max": {"event": "Order Completed", "property": "revenue"}, "gte": 100}}
        {"id": "custom:vip", "version": 1, "rule": {"any": [{"segment": "loyalty:loyal"}, {"segment": "custom:big-spenders"}, {"segment": "journey:repeat"}]}}
      ]
      """;

  private SegmentEngine engine;
  private Profile profile;
  private Instant asOf;

  @Setup
  public void setUp() {
    Config config = ConfigFactory.parseString(CUSTOM).withFallback(ConfigFactory.load()).resolve();
    engine = SegmentEngine.fromConfig(config.getConfig("segmentd.segments"));
    ProfileSettings settings = ProfileSettings.fromConfig(config.getConfig("segmentd.profile"), engine);
    asOf = Instant.parse("2026-11-29T12:00:00Z");
    profile = Profile.EMPTY.plus(typicalHistory(asOf), settings);
  }

  /** About 50 events of one customer over 90 days. */
  static List<BehaviorEvent> typicalHistory(Instant asOf) {
    SplittableRandom random = new SplittableRandom(42);
    List<BehaviorEvent> events = new ArrayList<>();
    int n = 0;
    for (int session = 0; session < 12; session++) {
      Instant at = asOf.minus(Duration.ofDays(random.nextInt(90))).minusSeconds(random.nextInt(86_400));
      events.add(new BehaviorEvent("m" + n++, EventType.PAGE, "Home", at, at, "Europe/Berlin", Map.of()));
      for (int i = 0; i < 2; i++) {
        at = at.plusSeconds(30);
        events.add(new BehaviorEvent("m" + n++, EventType.TRACK, "Product Viewed", at, at, "Europe/Berlin",
            Map.of("product_id", "p-" + random.nextInt(100), "category", "shoes", "price", new BigDecimal("49.90"))));
      }
      if (session % 3 == 0) {
        at = at.plusSeconds(60);
        events.add(new BehaviorEvent("m" + n++, EventType.TRACK, "Product Added", at, at, "Europe/Berlin", Map.of("product_id", "p-1")));
        at = at.plusSeconds(60);
        events.add(new BehaviorEvent("m" + n++, EventType.TRACK, "Checkout Started", at, at, "Europe/Berlin", Map.of()));
        at = at.plusSeconds(60);
        events.add(new BehaviorEvent("m" + n++, EventType.TRACK, "Order Completed", at, at, "Europe/Berlin",
            Map.of("order_id", "o-" + session, "revenue", new BigDecimal("89.50"), "currency", "EUR")));
      }
      if (session % 4 == 0) {
        events.add(new BehaviorEvent("m" + n++, EventType.TRACK, "Email Opened", at.minusSeconds(600), at, "Europe/Berlin", Map.of()));
      }
    }
    Instant refundAt = asOf.minus(Duration.ofDays(2));
    events.add(new BehaviorEvent("m" + n, EventType.TRACK, "Order Refunded", refundAt, refundAt, "Europe/Berlin",
        Map.of("order_id", "o-0", "revenue", new BigDecimal("20.00"))));
    return events;
  }

  @Benchmark
  public Object evaluate() { // Object: the result type may change in the rework; JMH consumes it either way
    return engine.evaluate(profile, asOf);
  }

  /** What every command also computes: the instant a membership next changes by time alone (the wake-up). */
  @Benchmark
  public Object nextChange() {
    return engine.nextChange(profile, asOf);
  }
}
