package io.segmentd.insights;

import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a propensity model knows of a customer as of an instant, and what it is asked to predict.
 * Both see only what they are given; {@link #asOf} and {@link #entered} take the facts cut at the
 * instant that bounds them, so nothing later can leak in (the backtest depends on it).
 *
 * <p>Features: recency of activity and of orders, orders, revenue, average order value, tenure,
 * activity in the last 30 and 90 days, orders in the last 90 and 365 days, active days in the last
 * 90 (counts as log(1 + x)), and one feature per segment the customer is in ({@code segment:...}).
 */
public final class PropensityFeatures {
  private static final double NEVER_DAYS = 3650;

  private PropensityFeatures() {}

  /** A customer's features as of {@code t} and whether it entered the target within the horizon after it (null: not asked). */
  public record Example(String customerId, Map<String, Double> features, Boolean label) {}

  /** The facts at or before {@code t}, in event-time order. */
  public static List<BehaviorEvent> upTo(List<BehaviorEvent> facts, Instant t) {
    List<BehaviorEvent> cut = new ArrayList<>();
    for (BehaviorEvent e : facts) if (!e.timestamp().isAfter(t)) cut.add(e);
    cut.sort(Comparator.comparing(BehaviorEvent::timestamp));
    return cut;
  }

  /** The features of a customer whose facts are {@code known} (all at or before {@code t}). */
  public static Map<String, Double> asOf(List<BehaviorEvent> known, Instant t, SegmentEngine engine, ProfileSettings settings, String target) {
    for (BehaviorEvent e : known) {
      if (e.timestamp().isAfter(t)) throw new IllegalArgumentException("a fact after " + t + " reached the features: " + e.messageId());
    }
    Profile profile = Profile.EMPTY.plus(known, settings);
    Map<String, Double> f = new LinkedHashMap<>();
    Instant last = known.isEmpty() ? null : known.get(known.size() - 1).timestamp();
    Instant first = known.isEmpty() ? null : known.get(0).timestamp();
    Profile.Purchasing purchasing = profile.purchasingAsOf(t);
    f.put("recencyDays", log1p(last == null ? NEVER_DAYS : days(last, t)));
    f.put("orderRecencyDays", log1p(purchasing.lastOrderAt() == null ? NEVER_DAYS : days(purchasing.lastOrderAt(), t)));
    f.put("orders", log1p(purchasing.orders()));
    double revenue = Math.max(0, purchasing.revenue().doubleValue());
    f.put("revenue", log1p(revenue));
    f.put("avgOrderValue", log1p(purchasing.orders() == 0 ? 0 : revenue / purchasing.orders()));
    f.put("tenureDays", log1p(first == null ? 0 : days(first, t)));
    f.put("events30", log1p(count(known, t, Duration.ofDays(30))));
    f.put("events90", log1p(count(known, t, Duration.ofDays(90))));
    List<Instant> orderTimes = profile.orderTimesAsOf(t);
    f.put("orders90", log1p(orderTimes.stream().filter(o -> days(o, t) <= 90).count()));
    f.put("orders365", log1p(orderTimes.stream().filter(o -> days(o, t) <= 365).count()));
    Set<LocalDate> activeDays = new HashSet<>();
    for (BehaviorEvent e : known) if (days(e.timestamp(), t) <= 90) activeDays.add(e.timestamp().atZone(ZoneOffset.UTC).toLocalDate());
    f.put("activeDays90", log1p(activeDays.size()));
    if (!profile.isEmpty()) {
      for (Membership m : engine.evaluate(profile, t).values()) {
        if (!m.segment().equals(target)) f.put("segment:" + m.segment(), 1.0);
      }
    }
    return f;
  }

  /** Whether the customer is in {@code target} as of {@code t}, from the facts at or before it. */
  public static boolean isIn(List<BehaviorEvent> known, Instant t, SegmentEngine engine, ProfileSettings settings, String target) {
    if (known.isEmpty()) return false;
    return engine.evaluate(Profile.EMPTY.plus(known, settings), t).containsKey(target);
  }

  /**
   * Whether the customer is in {@code target} at some instant of {@code (t, t + horizon]}: at each
   * instant of a fact in it and at its end, the facts up to that instant folded in. {@code facts}
   * must hold nothing after {@code t + horizon}.
   */
  public static boolean entered(List<BehaviorEvent> facts, Instant t, Duration horizon, SegmentEngine engine, ProfileSettings settings,
                                String target) {
    Instant end = t.plus(horizon);
    List<BehaviorEvent> sorted = new ArrayList<>(facts);
    sorted.sort(Comparator.comparing(BehaviorEvent::timestamp));
    List<BehaviorEvent> before = new ArrayList<>();
    List<BehaviorEvent> window = new ArrayList<>();
    for (BehaviorEvent e : sorted) {
      if (e.timestamp().isAfter(end)) throw new IllegalArgumentException("a fact after " + end + " reached the label: " + e.messageId());
      (e.timestamp().isAfter(t) ? window : before).add(e);
    }
    Profile profile = Profile.EMPTY.plus(before, settings);
    int i = 0;
    while (i < window.size()) {
      Instant at = window.get(i).timestamp();
      List<BehaviorEvent> group = new ArrayList<>();
      while (i < window.size() && window.get(i).timestamp().equals(at)) group.add(window.get(i++));
      profile = profile.plus(group, settings);
      if (engine.evaluate(profile, at).containsKey(target)) return true;
    }
    return !profile.isEmpty() && engine.evaluate(profile, end).containsKey(target);
  }

  private static long count(List<BehaviorEvent> known, Instant t, Duration window) {
    Instant from = t.minus(window);
    return known.stream().filter(e -> e.timestamp().isAfter(from)).count();
  }

  private static double days(Instant from, Instant to) {
    return Math.max(0, Duration.between(from, to).toMillis() / 86_400_000.0);
  }

  private static double log1p(double x) {
    return Math.log1p(x);
  }
}
