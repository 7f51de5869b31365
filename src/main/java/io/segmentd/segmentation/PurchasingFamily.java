package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code purchasing:*}: the RFM cell of the customer (R, F, M scores 1..5 from configured
 * breakpoints, FM = round-half-up of (F + M) / 2, the first matching cell of the map wins), plus
 * {@code purchasing:cart-abandoner} and {@code purchasing:discount-seeker}.
 */
public record PurchasingFamily(
    List<Duration> recencyBreakpoints,
    List<Integer> frequencyBreakpoints,
    List<BigDecimal> monetaryBreakpoints,
    List<Cell> cells,
    String checkoutEvent,
    Duration abandonedAfter,
    Duration abandonmentExpiresAfter,
    int discountMinOrders,
    double discountMinShare)
    implements SegmentFamily {

  /** An RFM map cell: R score and FM score ranges, inclusive. */
  public record Cell(String name, int rMin, int rMax, int fmMin, int fmMax) {
    boolean contains(int r, int fm) {
      return r >= rMin && r <= rMax && fm >= fmMin && fm <= fmMax;
    }
  }

  /** The scores and the raw values behind them. */
  public record Rfm(int r, int f, int m, long recencyDays, int frequency, BigDecimal monetary) {}

  public static PurchasingFamily fromConfig(Config config) {
    Config rfm = config.getConfig("rfm");
    List<Cell> cells = new ArrayList<>();
    for (Config cell : rfm.getConfigList("map")) {
      List<Integer> r = cell.getIntList("r");
      List<Integer> fm = cell.getIntList("fm");
      cells.add(new Cell(cell.getString("name"), r.get(0), r.get(1), fm.get(0), fm.get(1)));
    }
    return new PurchasingFamily(
        List.copyOf(rfm.getDurationList("recency-breakpoints")),
        List.copyOf(rfm.getIntList("frequency-breakpoints")),
        rfm.getStringList("monetary-breakpoints").stream().map(BigDecimal::new).toList(),
        List.copyOf(cells),
        config.getString("cart-abandoner.checkout-event"),
        config.getDuration("cart-abandoner.abandoned-after"),
        config.getDuration("cart-abandoner.expires-after"),
        config.getInt("discount-seeker.min-orders"),
        config.getDouble("discount-seeker.min-share"));
  }

  @Override
  public String name() {
    return "purchasing";
  }

  /** RFM as of an instant; empty without orders. */
  public Optional<Rfm> rfm(Profile profile, Instant asOf) {
    Profile.Purchasing p = profile.purchasingAsOf(asOf);
    if (p.orders() == 0) return Optional.empty();
    Duration recency = Duration.between(p.lastOrderAt(), asOf);
    // Recency: the shorter the silence, the higher the score (within the 1st breakpoint: 5).
    int r = 5;
    for (Duration breakpoint : recencyBreakpoints) {
      if (recency.compareTo(breakpoint) > 0) r--;
    }
    int f = 1;
    for (int breakpoint : frequencyBreakpoints) {
      if (p.orders() >= breakpoint) f++;
    }
    int m = 1;
    for (BigDecimal breakpoint : monetaryBreakpoints) {
      if (p.revenue().compareTo(breakpoint) >= 0) m++;
    }
    return Optional.of(new Rfm(Math.max(r, 1), Math.min(f, 5), Math.min(m, 5), recency.toDays(), p.orders(), p.revenue()));
  }

  @Override
  public List<Membership> evaluate(Profile profile, Instant asOf) {
    List<Membership> memberships = new ArrayList<>();
    rfm(profile, asOf).ifPresent(rfm -> {
      int fm = (rfm.f() + rfm.m() + 1) / 2;
      cells.stream().filter(c -> c.contains(rfm.r(), fm)).findFirst().ifPresent(cell ->
          memberships.add(new Membership(SegmentId.of(name(), cell.name()), rfmValues(rfm))));
    });
    abandonedCheckout(profile, asOf).ifPresent(checkout -> memberships.add(new Membership(
        SegmentId.of(name(), "cart-abandoner"), Map.of("checkoutStartedAt", checkout.toString()))));
    List<Order> orders = profile.ordersAsOf(asOf);
    if (orders.size() >= discountMinOrders && discounted(orders) >= discountMinShare * orders.size()) {
      memberships.add(new Membership(SegmentId.of(name(), "discount-seeker"), discountValues(orders)));
    }
    return memberships;
  }

  /** The family holds three measures: an RFM cell is explained by the scores, the others by their own values. */
  @Override
  public Map<String, String> explain(String segment, Profile profile, Instant asOf, List<Membership> evaluated) {
    if (segment.equals(SegmentId.of(name(), "cart-abandoner"))) {
      return latestCheckout(profile, asOf).map(c -> Map.of("checkoutStartedAt", c.toString())).orElse(Map.of());
    }
    if (segment.equals(SegmentId.of(name(), "discount-seeker"))) return discountValues(profile.ordersAsOf(asOf));
    return rfm(profile, asOf).map(PurchasingFamily::rfmValues).orElse(Map.of());
  }

  private static Map<String, String> rfmValues(Rfm rfm) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("r", Integer.toString(rfm.r()));
    values.put("f", Integer.toString(rfm.f()));
    values.put("m", Integer.toString(rfm.m()));
    values.put("recencyDays", Long.toString(rfm.recencyDays()));
    values.put("frequency", Integer.toString(rfm.frequency()));
    values.put("monetary", rfm.monetary().toPlainString());
    return Map.copyOf(values);
  }

  private static long discounted(List<Order> orders) {
    return orders.stream().filter(Order::discounted).count();
  }

  private static Map<String, String> discountValues(List<Order> orders) {
    return Map.of("discountedOrders", Long.toString(discounted(orders)), "orders", Integer.toString(orders.size()));
  }

  /** The latest checkout start at or before asOf, if no order followed it and it is old enough but not expired. */
  private Optional<Instant> abandonedCheckout(Profile profile, Instant asOf) {
    Optional<Instant> checkout = latestCheckout(profile, asOf);
    if (checkout.isEmpty()) return Optional.empty();
    Instant started = checkout.get();
    boolean ordered = profile.ordersAsOf(asOf).stream().anyMatch(o -> !o.at().isBefore(started));
    Duration age = Duration.between(started, asOf);
    if (ordered || age.compareTo(abandonedAfter) < 0 || age.compareTo(abandonmentExpiresAfter) >= 0) return Optional.empty();
    return checkout;
  }

  private Optional<Instant> latestCheckout(Profile profile, Instant asOf) {
    return profile.lastTrackAsOf(checkoutEvent, asOf);
  }

  @Override
  public List<Instant> changeCandidates(Profile profile, Instant asOf) {
    List<Instant> candidates = new ArrayList<>();
    Instant lastOrder = profile.purchasingAsOf(asOf).lastOrderAt();
    if (lastOrder != null) {
      for (Duration breakpoint : recencyBreakpoints) candidates.add(lastOrder.plus(breakpoint).plus(NextChange.TICK));
    }
    latestCheckout(profile, asOf).ifPresent(started -> {
      candidates.add(started.plus(abandonedAfter));
      candidates.add(started.plus(abandonmentExpiresAfter));
    });
    return candidates;
  }
}
