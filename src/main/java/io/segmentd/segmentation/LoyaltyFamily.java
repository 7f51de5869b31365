package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code loyalty:churned|churn-risk|advocate|loyal|repeat|one-time}, first match wins:
 * churned after {@code churnedAfter} without an order; churn-risk when the silence since the last
 * order exceeds {@code churnRiskGapMultiple} times the customer's own median gap between orders
 * (and at least {@code churnRiskMinSilence}); advocate when loyal and an advocacy event occurred.
 */
public record LoyaltyFamily(
    int repeatMinOrders,
    int loyalMinOrders,
    List<String> advocacyEvents,
    double churnRiskGapMultiple,
    Duration churnRiskMinSilence,
    Duration churnedAfter)
    implements SegmentFamily {

  public static LoyaltyFamily fromConfig(Config config) {
    return new LoyaltyFamily(
        config.getInt("repeat-min-orders"),
        config.getInt("loyal-min-orders"),
        List.copyOf(config.getStringList("advocacy-events")),
        config.getDouble("churn-risk-gap-multiple"),
        config.getDuration("churn-risk-min-silence"),
        config.getDuration("churned-after"));
  }

  @Override
  public String name() {
    return "loyalty";
  }

  @Override
  public List<Membership> evaluate(Profile profile, Instant asOf) {
    List<Instant> orders = profile.orderTimesAsOf(asOf);
    if (orders.isEmpty()) return List.of();
    Duration silence = Duration.between(orders.get(orders.size() - 1), asOf);
    Map<String, String> values = new LinkedHashMap<>();
    values.put("orders", Integer.toString(orders.size()));
    values.put("daysSinceLastOrder", Long.toString(silence.toDays()));
    Optional<Duration> medianGap = medianGap(orders);
    medianGap.ifPresent(gap -> values.put("medianGapDays", Long.toString(gap.toDays())));

    String level;
    if (silence.compareTo(churnedAfter) > 0) {
      level = "churned";
    } else if (medianGap.isPresent() && silence.compareTo(churnRiskAfter(medianGap.get())) > 0) {
      level = "churn-risk";
    } else if (orders.size() >= loyalMinOrders) {
      level = advocacyEvents.stream().anyMatch(e -> profile.occurredBy(e, asOf)) ? "advocate" : "loyal";
    } else if (orders.size() >= repeatMinOrders) {
      level = "repeat";
    } else {
      level = "one-time";
    }
    return List.of(new Membership(SegmentId.of(name(), level), Map.copyOf(values)));
  }

  @Override
  public List<Instant> changeCandidates(Profile profile, Instant asOf) {
    List<Instant> orders = profile.orderTimesAsOf(asOf);
    if (orders.isEmpty()) return List.of();
    Instant last = orders.get(orders.size() - 1);
    List<Instant> candidates = new ArrayList<>();
    candidates.add(last.plus(churnedAfter).plus(NextChange.TICK));
    medianGap(orders).ifPresent(gap -> candidates.add(last.plus(churnRiskAfter(gap)).plus(NextChange.TICK)));
    return candidates;
  }

  /** Silence longer than this is a churn risk: the multiple of the customer's own gap, at least the minimum. */
  private Duration churnRiskAfter(Duration medianGap) {
    Duration multiple = Duration.ofMillis((long) Math.floor(churnRiskGapMultiple * medianGap.toMillis()));
    return multiple.compareTo(churnRiskMinSilence) > 0 ? multiple : churnRiskMinSilence;
  }

  static Optional<Duration> medianGap(List<Instant> orderTimes) {
    if (orderTimes.size() < 2) return Optional.empty();
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < orderTimes.size(); i++) {
      gaps.add(Duration.between(orderTimes.get(i - 1), orderTimes.get(i)).toMillis());
    }
    Collections.sort(gaps);
    int n = gaps.size();
    long median = n % 2 == 1 ? gaps.get(n / 2) : (gaps.get(n / 2 - 1) + gaps.get(n / 2)) / 2;
    return Optional.of(Duration.ofMillis(median));
  }
}
