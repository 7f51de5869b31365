package io.segmentd.segmentation;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A customer's event-time aggregates: everything segment rules read, folded from the events.
 *
 * <p>Immutable: {@link #plus} returns a new profile, so a snapshot being serialized is never
 * mutated under it. Orders, refunds and interactions are kept with their event times so that any
 * window can be evaluated exactly as of any instant, and so that arrival order never matters.
 */
public record Profile(
    long eventCount,
    Instant firstSeenAt,
    Instant lastSeenAt,
    List<Order> orders,
    List<Refund> refunds,
    List<Instant> interactions,
    Map<String, Instant> firstOccurrences) {

  public static final Profile EMPTY =
      new Profile(0, null, null, List.of(), List.of(), List.of(), Map.of());

  private static final Comparator<Order> BY_TIME = Order.PRECEDENCE.thenComparing(Order::key);

  public boolean isEmpty() {
    return eventCount == 0;
  }

  /** Folds a batch of events in; the result does not depend on the order of the batch. */
  public Profile plus(List<BehaviorEvent> events, ProfileSettings settings) {
    if (events.isEmpty()) return this;
    long count = eventCount;
    Instant first = firstSeenAt;
    Instant last = lastSeenAt;
    Map<String, Order> byKey = new HashMap<>();
    for (Order order : orders) byKey.put(order.key(), order);
    List<Refund> newRefunds = new ArrayList<>(refunds);
    List<Instant> newInteractions = new ArrayList<>(interactions);
    Map<String, Instant> occurrences = new HashMap<>(firstOccurrences);

    for (BehaviorEvent event : events) {
      count++;
      Instant at = event.timestamp();
      first = first == null || at.isBefore(first) ? at : first;
      last = last == null || at.isAfter(last) ? at : last;
      if (event.type().isInteraction()) newInteractions.add(at);
      if (event.type() == EventType.TRACK) occurrences.merge(event.name(), at, Profile::earlier);
      if (event.isTrack(settings.orderEvent())) {
        BigDecimal amount = event.amount();
        Order order = new Order(event.orderKey(), at, amount == null ? BigDecimal.ZERO : amount, event.messageId());
        byKey.merge(order.key(), order, (a, b) -> Order.PRECEDENCE.compare(a, b) <= 0 ? a : b);
      }
      if (event.isTrack(settings.refundEvent())) {
        BigDecimal amount = event.amount();
        newRefunds.add(new Refund(event.orderKey(), at, amount == null ? null : amount.abs(), event.messageId()));
      }
    }
    List<Order> newOrders = new ArrayList<>(byKey.values());
    newOrders.sort(BY_TIME);
    newRefunds.sort(Comparator.comparing(Refund::at).thenComparing(Refund::messageId));
    Collections.sort(newInteractions);
    Instant horizon = last.minus(settings.interactionRetention());
    int keepFrom = 0;
    while (keepFrom < newInteractions.size() && newInteractions.get(keepFrom).isBefore(horizon)) keepFrom++;
    return new Profile(
        count,
        first,
        last,
        List.copyOf(newOrders),
        List.copyOf(newRefunds),
        List.copyOf(newInteractions.subList(keepFrom, newInteractions.size())),
        Map.copyOf(occurrences));
  }

  private BigDecimal amountOf(Refund refund) {
    if (refund.amount() != null) return refund.amount();
    return orders.stream().filter(o -> o.key().equals(refund.orderKey())).map(Order::amount).findFirst().orElse(BigDecimal.ZERO);
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** Purchasing aggregates counting only what happened at or before {@code asOf}. */
  public Purchasing purchasingAsOf(Instant asOf) {
    int count = 0;
    BigDecimal revenue = BigDecimal.ZERO;
    Instant firstOrder = null;
    Instant lastOrder = null;
    for (Order order : orders) {
      if (order.at().isAfter(asOf)) break;
      count++;
      revenue = revenue.add(order.amount());
      if (firstOrder == null) firstOrder = order.at();
      lastOrder = order.at();
    }
    BigDecimal refunded = BigDecimal.ZERO;
    for (Refund refund : refunds) {
      if (refund.at().isAfter(asOf)) break;
      refunded = refunded.add(amountOf(refund));
    }
    return new Purchasing(count, revenue.subtract(refunded), refunded, firstOrder, lastOrder);
  }

  /** Order times at or before {@code asOf}, oldest first. */
  public List<Instant> orderTimesAsOf(Instant asOf) {
    List<Instant> times = new ArrayList<>();
    for (Order order : orders) {
      if (order.at().isAfter(asOf)) break;
      times.add(order.at());
    }
    return times;
  }

  /** Interactions in the half-open window {@code (from, to]}. */
  public int interactionsBetween(Instant from, Instant to) {
    int lo = firstIndexAfter(from);
    int hi = firstIndexAfter(to);
    return Math.max(0, hi - lo);
  }

  /** The latest interaction or order at or before {@code asOf}. */
  public Optional<Instant> lastActivityAsOf(Instant asOf) {
    int idx = firstIndexAfter(asOf) - 1;
    Instant latest = idx >= 0 ? interactions.get(idx) : null;
    for (Order order : orders) {
      if (order.at().isAfter(asOf)) break;
      if (latest == null || order.at().isAfter(latest)) latest = order.at();
    }
    return Optional.ofNullable(latest);
  }

  public boolean seenBy(Instant asOf) {
    return firstSeenAt != null && !firstSeenAt.isAfter(asOf);
  }

  public boolean occurredBy(String eventName, Instant asOf) {
    Instant first = firstOccurrences.get(eventName);
    return first != null && !first.isAfter(asOf);
  }

  private int firstIndexAfter(Instant t) {
    int lo = 0;
    int hi = interactions.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (interactions.get(mid).isAfter(t)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Purchasing totals as of an instant; revenue is net of refunds. */
  public record Purchasing(int orders, BigDecimal revenue, BigDecimal refunded, Instant firstOrderAt, Instant lastOrderAt) {}
}
