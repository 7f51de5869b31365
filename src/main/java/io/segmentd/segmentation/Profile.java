package io.segmentd.segmentation;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A customer's event-time aggregates: everything segment rules read, folded from the events.
 *
 * <p>State is bounded by time, not by volume: events are kept as {@link Fact groups} of like
 * events per step of event time ({@code segmentd.profile.resolution}), each with its count, first
 * and last instant and the sums rules read; steps further behind the newest event than the
 * retention are merged into an archive. Orders and refunds are kept whole. A rolling window of
 * length W counts an event until W has passed since the end of its step, so windows are exact at
 * any volume. Evaluation is exact from this state at any instant at or after {@link
 * #recordedUpTo} (the latest arrival: live evaluation always is), and at any earlier instant no
 * group straddles (every step's end); {@link #exactAt} says so, and callers fold the journal
 * otherwise. Events stamped after the latest arrival are kept one by one until an arrival passes
 * them.
 *
 * <p>Immutable: {@link #plus} returns a new profile, so a snapshot being serialized is never
 * mutated under it. The result of folding never depends on the order events arrive in.
 */
public record Profile(
    long eventCount,
    Instant firstSeenAt,
    Instant lastSeenAt,
    Instant recordedUpTo,
    List<Order> orders,
    List<Refund> refunds,
    List<Fact> facts,
    Map<String, Instant> firstOccurrences) {

  public static final Profile EMPTY =
      new Profile(0, null, null, null, List.of(), List.of(), List.of(), Map.of());

  private static final Comparator<Order> BY_TIME = Order.PRECEDENCE.thenComparing(Order::key);

  public boolean isEmpty() {
    return eventCount == 0;
  }

  /** Folds a batch in as if it arrived when its newest event happened (replays, tests). */
  public Profile plus(List<BehaviorEvent> events, ProfileSettings settings) {
    return plus(events, null, settings);
  }

  /**
   * Folds a batch of events that arrived at {@code recordedAt} in; the result does not depend on
   * the order of the batch, nor on the order batches arrive in.
   */
  public Profile plus(List<BehaviorEvent> events, Instant recordedAt, ProfileSettings settings) {
    if (events.isEmpty()) return this;
    long count = eventCount;
    Instant first = firstSeenAt;
    Instant last = lastSeenAt;
    Map<String, Instant> occurrences = null;
    List<Order> newOrders = null;
    List<Refund> newRefunds = null;
    for (BehaviorEvent event : events) {
      count++;
      Instant at = event.timestamp();
      first = first == null || at.isBefore(first) ? at : first;
      last = last == null || at.isAfter(last) ? at : last;
      if (event.type() == EventType.TRACK) {
        Instant known = (occurrences != null ? occurrences : firstOccurrences).get(event.name());
        if (known == null || at.isBefore(known)) {
          if (occurrences == null) occurrences = new HashMap<>(firstOccurrences);
          occurrences.put(event.name(), at);
        }
      }
      if (event.isTrack(settings.orderEvent())) {
        BigDecimal amount = event.amount();
        if (newOrders == null) newOrders = new ArrayList<>(orders);
        newOrders.add(new Order(event.orderKey(), at, amount == null ? BigDecimal.ZERO : amount, event.messageId(),
            settings.isDiscounted(event.properties())));
      }
      if (event.isTrack(settings.refundEvent())) {
        BigDecimal amount = event.amount();
        if (newRefunds == null) newRefunds = new ArrayList<>(refunds);
        newRefunds.add(new Refund(event.orderKey(), at, amount == null ? null : amount.abs(), event.messageId()));
      }
    }
    Instant batchNewest = events.stream().map(BehaviorEvent::timestamp).max(Comparator.naturalOrder()).orElseThrow();
    Instant upTo = later(recordedUpTo, recordedAt != null ? recordedAt : batchNewest);
    return new Profile(
        count,
        first,
        last,
        upTo,
        newOrders == null ? orders : List.copyOf(orderedOnce(newOrders)),
        newRefunds == null ? refunds : List.copyOf(sortedRefunds(newRefunds)),
        List.copyOf(grouped(events, upTo, last.minus(settings.interactionRetention()), settings.shape())),
        occurrences == null ? firstOccurrences : Map.copyOf(occurrences));
  }

  /** The groups after adding {@code events}; only groups that change are touched, the rest stay in order. */
  private List<Fact> grouped(List<BehaviorEvent> events, Instant upTo, Instant archiveUpTo, FactShape shape) {
    Map<Fact.Key, Fact> touched = new HashMap<>();
    Set<Instant> touchedSteps = new HashSet<>();
    for (BehaviorEvent event : events) {
      Fact fact = placed(Fact.of(event, shape, event.timestamp().isAfter(upTo)), upTo, archiveUpTo, shape);
      touched.merge(fact.key(), fact, Fact::plus);
      touchedSteps.add(stepOf(fact));
    }
    // Groups that move (an early event passed by an arrival, an old step archived) first: a group
    // they join may come before them in the list, and must be merged with them, not kept beside.
    boolean[] moved = new boolean[facts.size()];
    for (int i = 0; i < facts.size(); i++) {
      Fact fact = facts.get(i);
      Fact placed = placed(fact, upTo, archiveUpTo, shape);
      if (placed != fact) {
        moved[i] = true;
        touched.merge(placed.key(), placed, Fact::plus);
        touchedSteps.add(stepOf(placed));
      }
    }
    List<Fact> kept = new ArrayList<>(facts.size());
    for (int i = 0; i < facts.size(); i++) {
      if (moved[i]) continue;
      Fact fact = facts.get(i);
      if (touchedSteps.contains(stepOf(fact)) && touched.containsKey(fact.key())) touched.merge(fact.key(), fact, Fact::plus);
      else kept.add(fact);
    }
    List<Fact> changed = new ArrayList<>(touched.values());
    changed.sort(Fact.ORDER);
    return merge(kept, changed);
  }

  private static final Instant ARCHIVE_STEP = Instant.MIN;

  private static Instant stepOf(Fact fact) {
    return fact.stepEnd() == null ? ARCHIVE_STEP : fact.stepEnd();
  }

  /** Where a group belongs now: an early event passed by an arrival joins its group; an old step joins the archive. */
  private static Fact placed(Fact fact, Instant upTo, Instant archiveUpTo, FactShape shape) {
    Fact placed = fact;
    if (placed.detail() && !placed.at().isAfter(upTo)) placed = placed.regrouped(placed.stepEnd());
    if (placed.stepEnd() != null && !placed.stepEnd().isAfter(archiveUpTo)) placed = placed.regrouped(null);
    return placed;
  }

  private static List<Fact> merge(List<Fact> a, List<Fact> b) {
    if (b.isEmpty()) return a;
    List<Fact> out = new ArrayList<>(a.size() + b.size());
    int i = 0;
    int j = 0;
    while (i < a.size() && j < b.size()) {
      out.add(Fact.ORDER.compare(a.get(i), b.get(j)) <= 0 ? a.get(i++) : b.get(j++));
    }
    while (i < a.size()) out.add(a.get(i++));
    while (j < b.size()) out.add(b.get(j++));
    return out;
  }

  /** One order per order id: the earliest (then lowest message id) wins, whatever the arrival order. */
  private static List<Order> orderedOnce(List<Order> all) {
    Map<String, Order> byKey = new HashMap<>();
    for (Order order : all) byKey.merge(order.key(), order, (a, b) -> Order.PRECEDENCE.compare(a, b) <= 0 ? a : b);
    List<Order> sorted = new ArrayList<>(byKey.values());
    sorted.sort(BY_TIME);
    return sorted;
  }

  private static List<Refund> sortedRefunds(List<Refund> all) {
    all.sort(Comparator.comparing(Refund::at).thenComparing(Refund::messageId));
    return all;
  }

  private BigDecimal amountOf(Refund refund) {
    if (refund.amount() != null) return refund.amount();
    return orders.stream().filter(o -> o.key().equals(refund.orderKey())).map(Order::amount).findFirst().orElse(BigDecimal.ZERO);
  }

  private static Instant later(Instant a, Instant b) {
    if (a == null) return b;
    if (b == null) return a;
    return a.isAfter(b) ? a : b;
  }

  /**
   * Whether evaluating as of {@code asOf} from this state gives exactly what folding the journal
   * up to it gives: no group holds events on both sides of it, and no rolling window reaches into
   * the archive.
   */
  public boolean exactAt(Instant asOf, ProfileSettings settings) {
    if (lastSeenAt == null) return true;
    Instant archiveUpTo = lastSeenAt.minus(settings.interactionRetention());
    boolean archived = !facts.isEmpty() && facts.get(0).stepEnd() == null;
    if (archived && asOf.minus(settings.shape().longestWindow()).isBefore(archiveUpTo)) return false;
    if (recordedUpTo != null && !asOf.isBefore(recordedUpTo)) return true;
    for (Fact fact : factsUpTo(asOf)) {
      if (fact.straddles(asOf)) return false;
    }
    return true;
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

  /** Groups with events at or before {@code asOf}, archive first, oldest first. */
  public List<Fact> factsUpTo(Instant asOf) {
    return facts.subList(0, firstIndexAfter(asOf));
  }

  /**
   * Groups in the rolling window of length {@code window} as of {@code asOf}: with events at or
   * before it, in a step that ended less than {@code window} before it. Oldest first, so their
   * exits ({@code stepEnd + window}) come in order.
   */
  public List<Fact> window(Instant asOf, Duration window) {
    int end = firstIndexAfter(asOf);
    Instant edge = asOf.minus(window);
    int lo = 0;
    int hi = end;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      Instant stepEnd = facts.get(mid).stepEnd();
      if (stepEnd == null || !stepEnd.isAfter(edge)) lo = mid + 1;
      else hi = mid;
    }
    return facts.subList(lo, end);
  }

  /** How many interactions (track, page, screen) the rolling window holds as of {@code asOf}. */
  public long interactions(Instant asOf, Duration window) {
    long n = 0;
    for (Fact fact : window(asOf, window)) {
      if (fact.isInteraction()) n += fact.count();
    }
    return n;
  }

  /** The latest interaction or order at or before {@code asOf}. */
  public Optional<Instant> lastActivityAsOf(Instant asOf) {
    Instant latest = latestOf(asOf, Fact::isInteraction).map(Fact::lastAt).orElse(null);
    List<Order> upTo = ordersAsOf(asOf);
    if (!upTo.isEmpty()) latest = later(latest, upTo.get(upTo.size() - 1).at());
    return Optional.ofNullable(latest);
  }

  /** The last track event of this name at or before {@code asOf}. */
  public Optional<Instant> lastTrackAsOf(String eventName, Instant asOf) {
    return latestOf(asOf, f -> f.isTrack(eventName)).map(Fact::lastAt);
  }

  /** The zone of the latest event at or before {@code asOf} that named one. */
  public ZoneId knownZoneAsOf(Instant asOf) {
    return latestOf(asOf, f -> f.timezone() != null).map(f -> Fact.zone(f.timezone())).orElse(null);
  }

  /** The group holding the latest matching event at or before {@code asOf} (ties: the highest message key). */
  private Optional<Fact> latestOf(Instant asOf, java.util.function.Predicate<Fact> filter) {
    List<Fact> upTo = factsUpTo(asOf);
    Fact best = null;
    for (int i = upTo.size() - 1; i >= 0; i--) {
      Fact fact = upTo.get(i);
      // Groups are in order of their first event: once a whole step lies before the best, none after can beat it.
      if (best != null && fact.stepEnd() != null && fact.stepEnd().isBefore(best.lastAt())) break;
      if (!filter.test(fact)) continue;
      if (best == null || fact.lastAt().isAfter(best.lastAt())
          || fact.lastAt().equals(best.lastAt()) && fact.lastKey() > best.lastKey()) {
        best = fact;
      }
    }
    return Optional.ofNullable(best);
  }

  /** The event time of the first event after {@code t} (an event stamped ahead of the clock), if any. */
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
