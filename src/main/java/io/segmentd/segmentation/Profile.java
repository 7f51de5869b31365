package io.segmentd.segmentation;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A customer's event-time aggregates: everything segment rules read, folded from the events.
 *
 * <p>Immutable: {@link #plus} returns a new profile, so a snapshot being serialized is never
 * mutated under it. Orders and refunds are kept whole; other facts within
 * {@code interaction-retention} of the newest event. Everything carries its event time, so any
 * window is evaluated exactly as of any instant, and arrival order never changes the result.
 */
public record Profile(
    long eventCount,
    Instant firstSeenAt,
    Instant lastSeenAt,
    List<Order> orders,
    List<Refund> refunds,
    List<Fact> facts,
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
    List<Fact> newFacts = new ArrayList<>(facts);
    Map<String, Instant> occurrences = new HashMap<>(firstOccurrences);

    for (BehaviorEvent event : events) {
      count++;
      Instant at = event.timestamp();
      first = first == null || at.isBefore(first) ? at : first;
      last = last == null || at.isAfter(last) ? at : last;
      newFacts.add(Fact.of(event));
      if (event.type() == EventType.TRACK) occurrences.merge(event.name(), at, Profile::earlier);
      if (event.isTrack(settings.orderEvent())) {
        BigDecimal amount = event.amount();
        Order order = new Order(event.orderKey(), at, amount == null ? BigDecimal.ZERO : amount, event.messageId(),
            settings.isDiscounted(event.properties()));
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
    newFacts.sort(Fact.ORDER);
    Instant horizon = last.minus(settings.interactionRetention());
    int keepFrom = 0;
    while (keepFrom < newFacts.size() && newFacts.get(keepFrom).at().isBefore(horizon)) keepFrom++;
    // The newest maxFacts of all facts: the same whatever order they arrived in.
    keepFrom = Math.max(keepFrom, newFacts.size() - settings.maxFacts());
    return new Profile(
        count,
        first,
        last,
        List.copyOf(newOrders),
        List.copyOf(newRefunds),
        List.copyOf(newFacts.subList(keepFrom, newFacts.size())),
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

  /** Orders at or before {@code asOf}, oldest first. */
  public List<Order> ordersAsOf(Instant asOf) {
    int end = 0;
    while (end < orders.size() && !orders.get(end).at().isAfter(asOf)) end++;
    return orders.subList(0, end);
  }

  /** Order times at or before {@code asOf}, oldest first. */
  public List<Instant> orderTimesAsOf(Instant asOf) {
    return ordersAsOf(asOf).stream().map(Order::at).toList();
  }

  /** Facts in the half-open window {@code (from, to]}, oldest first. */
  public List<Fact> factsBetween(Instant from, Instant to) {
    if (to.isBefore(from)) return List.of();
    return facts.subList(firstIndexAfter(from), firstIndexAfter(to));
  }

  /** Facts in the rolling window {@code (asOf - window, asOf]} that match. */
  public List<Fact> factsInWindow(Instant asOf, Duration window, Predicate<Fact> filter) {
    return factsBetween(asOf.minus(window), asOf).stream().filter(filter).toList();
  }

  /** Interactions (track, page, screen) in the half-open window {@code (from, to]}. */
  public int interactionsBetween(Instant from, Instant to) {
    return (int) factsBetween(from, to).stream().filter(Fact::isInteraction).count();
  }

  /** The latest interaction or order at or before {@code asOf}. */
  public Optional<Instant> lastActivityAsOf(Instant asOf) {
    Instant latest = null;
    List<Fact> upTo = facts.subList(0, firstIndexAfter(asOf));
    for (int i = upTo.size() - 1; i >= 0; i--) {
      if (upTo.get(i).isInteraction()) {
        latest = upTo.get(i).at();
        break;
      }
    }
    for (Order order : ordersAsOf(asOf)) {
      if (latest == null || order.at().isAfter(latest)) latest = order.at();
    }
    return Optional.ofNullable(latest);
  }

  /** The zone of the latest fact at or before {@code asOf} that named one. */
  public ZoneId knownZoneAsOf(Instant asOf) {
    List<Fact> upTo = facts.subList(0, firstIndexAfter(asOf));
    for (int i = upTo.size() - 1; i >= 0; i--) {
      if (upTo.get(i).timezone() != null) return ZoneId.of(upTo.get(i).timezone());
    }
    return null;
  }

  /** The event time of the first fact after {@code t} (an event stamped ahead of the clock), if any. */
  public Optional<Instant> firstFactAfter(Instant t) {
    int index = firstIndexAfter(t);
    return index < facts.size() ? Optional.of(facts.get(index).at()) : Optional.empty();
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
    int hi = facts.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (facts.get(mid).at().isAfter(t)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Purchasing totals as of an instant; revenue is net of refunds. */
  public record Purchasing(int orders, BigDecimal revenue, BigDecimal refunded, Instant firstOrderAt, Instant lastOrderAt) {}
}
