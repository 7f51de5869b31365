package io.segmentd.query;

import io.segmentd.customer.Customer;
import io.segmentd.http.InvalidRequest;
import io.segmentd.replay.CustomerJournal;
import io.segmentd.http.ApiError;
import io.segmentd.http.Auth;
import io.segmentd.http.JsonSupport;
import io.segmentd.http.Parameters;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import io.segmentd.segmentation.Membership;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Which segments a customer is in, and why:
 * {@code GET /v1/customers/{id}[?asOf=T]} (the profile as of T: from state when every field is exact there, else a fold),
 * {@code GET /v1/customers/{id}/segments[?asOf=T]} (as the journal up to T says: from state when exact, else a fold),
 * {@code GET /v1/customers/{id}/history[?order=event|recorded&from=&to=&knownAt=]} (every transition with its cause and both times).
 */
public final class CustomerRoutes extends AllDirectives {
  private final ClusterSharding sharding;
  private final CustomerJournal journal;
  private final Auth auth;
  private final Duration timeout;
  private final Clock clock;
  private final SegmentDirectory directory;

  public CustomerRoutes(ClusterSharding sharding, CustomerJournal journal, Auth auth, Duration timeout, Clock clock, SegmentDirectory directory) {
    this.directory = directory;
    this.sharding = sharding;
    this.journal = journal;
    this.auth = auth;
    this.timeout = timeout;
    this.clock = clock;
  }

  public record SegmentsResponse(String customerId, Instant asOf, List<String> segments, List<ProfileResponse.MembershipJson> memberships) {}

  /** {@code order}: {@code event} (the timeline derived in event time) or {@code recorded} (the persisted transitions, journal order). */
  /** {@code events}: only when asked for ({@code events=true}, event order). */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record HistoryResponse(String customerId, String order, List<HistoryEntry> transitions, List<EventEntry> events) {}

  /** One recorded event: what and when, never its properties; a transition's cause names it by {@code messageId}. */
  public record EventEntry(String messageId, String type, String name, Instant at, Instant receivedAt) {}

  /** One change of membership with both its times; {@code sequenceNr} (its journal position) only in recorded order. */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record HistoryEntry(Long sequenceNr, String segment, String direction, Instant at, Instant recordedAt, Customer.Cause cause) {}

  /** A merge as a history entry: direction {@code merged}, the alias and its event count in the cause's values. */
  private static HistoryEntry merge(CustomerJournal.Merge m, boolean withSequenceNr) {
    return new HistoryEntry(withSequenceNr ? m.sequenceNr() : null, null, "merged", m.recordedAt(), m.recordedAt(),
        new Customer.Cause(Customer.Cause.MERGE, 0, m.values()));
  }

  public Route routes() {
    return pathPrefix("v1", () -> pathPrefix("customers", () -> pathPrefix(PathMatchers.segment(), requested ->
        get(() -> auth.withReadToken(() -> resolved(requested, this::customer))))));
  }

  private Route customer(Customer.Identity identity) {
    String customerId = identity.customerId();
    return concat(
        pathEnd(() -> parameterOptional("asOf", asOf -> profile(customerId, identity.aliases(), asOf.map(t -> Parameters.instant("asOf", t))))),
        path("segments", () -> parameterOptional("asOf", asOf ->
            segmentsAsOf(customerId, asOf.map(t -> Parameters.instant("asOf", t)).orElseGet(clock::instant)))),
        path("history", () -> parameterOptional("order", order -> parameterOptional("from", from ->
            parameterOptional("to", to -> parameterOptional("knownAt", knownAt -> parameterOptional("events", events ->
                history(customerId, order.orElse("event"), from.map(t -> Parameters.instant("from", t)), to.map(t -> Parameters.instant("to", t)),
                knownAt.map(t -> Parameters.instant("knownAt", t)), events.map(CustomerRoutes::flag).orElse(false)))))))));
  }

  /**
   * The customer that answers for {@code requested}: itself, or the customer its identity was
   * merged into (an anonymous id after an identify, a previous id after an alias).
   */
  private Route resolved(String requested, Function<Customer.Identity, Route> inner) {
    return onSuccess(sharding.entityRefFor(Customer.ENTITY_KEY, requested)
            .<Customer.Identity>askWithStatus(Customer.Resolve::new, timeout), inner::apply);
  }

  /**
   * From the entity when every field of its answer holds for the instant (segments exact, no fact
   * later: see CustomerView#exactInEveryField), else from a fold of the journal up to it.
   */
  private Route profile(String customerId, java.util.Set<String> aliases, Optional<Instant> asOf) {
    return onSuccess(
        sharding.entityRefFor(Customer.ENTITY_KEY, customerId)
            .<Customer.CustomerView>askWithStatus(replyTo -> new Customer.GetProfile(asOf.orElse(null), replyTo), timeout),
        view -> !view.exists() ? unknown(customerId)
            : view.exactInEveryField() ? ok(ProfileResponse.of(shown(view), aliases))
            : onSuccess(journal.viewAsOf(customerId, view.asOf()), found -> orUnknown(customerId, found, v -> ProfileResponse.of(shown(v), aliases))));
  }

  /** Stored segments under their plain ids, active versions only (a version being backfilled is not shown yet). */
  private Customer.CustomerView shown(Customer.CustomerView v) {
    return new Customer.CustomerView(v.customerId(), v.asOf(), v.eventCount(), v.firstSeenAt(), v.lastSeenAt(), v.purchasing(), v.rfm(),
        directory.shown(v.segments()), v.recorded(), v.exact());
  }

  /** From the entity's state when it answers that instant exactly (see Profile#exactAt), else from a fold of the journal. */
  private Route segmentsAsOf(String customerId, Instant asOf) {
    return onSuccess(
        sharding.entityRefFor(Customer.ENTITY_KEY, customerId)
            .<Customer.CustomerView>askWithStatus(replyTo -> new Customer.GetProfile(asOf, replyTo), timeout),
        view -> view.exact()
            ? (view.exists() ? ok(segmentsResponse(customerId, asOf, view.segments())) : unknown(customerId))
            : onSuccess(journal.asOf(customerId, asOf), found -> orUnknown(customerId, found,
                result -> segmentsResponse(customerId, asOf, result.segments()))));
  }

  private SegmentsResponse segmentsResponse(String customerId, Instant asOf, Map<String, Membership> all) {
    Map<String, Membership> segments = directory.shown(all);
    return new SegmentsResponse(customerId, asOf, List.copyOf(segments.keySet()),
        segments.values().stream().map(m -> new ProfileResponse.MembershipJson(m.segment(), m.values())).toList());
  }

  /**
   * {@code order=event}: the timeline derived from the journal's facts in event time, up to
   * {@code to} (else {@code knownAt} or now), {@code from}/{@code to} on {@code at}.
   * {@code order=recorded}: the persisted transitions in journal order, {@code from}/{@code to} on
   * {@code recordedAt}. {@code knownAt}: only what was recorded at or before it.
   */
  private static boolean flag(String text) {
    if (text.equals("true")) return true;
    if (text.equals("false")) return false;
    throw new InvalidRequest("invalid_parameter", "events '" + text + "' is neither true nor false");
  }

  private Route history(String customerId, String order, Optional<Instant> from, Optional<Instant> to, Optional<Instant> knownAt,
                        boolean withEvents) {
    if (order.equals("recorded")) {
      if (withEvents) throw new InvalidRequest("invalid_parameter", "events=true lists events in event order: not with order=recorded");
      return onSuccess(journal.history(customerId), found -> orUnknown(customerId, found, history -> new HistoryResponse(
          customerId, order, history.stream()
              .filter(t -> within(t.recordedAt(), from, to) && knownAt.map(k -> !t.recordedAt().isAfter(k)).orElse(true))
              .map(t -> t.merge() != null ? merge(t.merge(), true)
                  : new HistoryEntry(t.sequenceNr(), t.segment(), t.direction(), t.at(), t.recordedAt(), t.cause()))
              .toList(), null)));
    }
    if (!order.equals("event")) {
      throw new InvalidRequest("invalid_parameter", "order '" + order + "' is neither event nor recorded");
    }
    Instant now = clock.instant();
    Instant end = to.orElseGet(() -> knownAt.filter(k -> k.isBefore(now)).orElse(now));
    return onSuccess(journal.timeline(customerId, knownAt.orElse(null), end), found -> orUnknown(customerId, found,
        timeline -> new HistoryResponse(customerId, order, java.util.stream.Stream.concat(
                timeline.changes().stream().map(c -> new HistoryEntry(null, c.segment(), c.direction(), c.at(), c.recordedAt(), c.cause())),
                timeline.merges().stream().map(m -> merge(m, false)))
            .filter(e -> within(e.at(), from, to))
            // Merges at the instant they were recorded; stable, so changes keep their order.
            .sorted(java.util.Comparator.comparing(HistoryEntry::at))
            .toList(),
            !withEvents ? null : timeline.facts().stream().filter(f -> within(f.timestamp(), from, to))
                .sorted(java.util.Comparator.comparing(io.segmentd.segmentation.BehaviorEvent::timestamp))
                .map(f -> new EventEntry(f.messageId(), f.type().wireName(), f.name(), f.timestamp(), f.receivedAt())).toList())));
  }

  private static boolean within(Instant t, Optional<Instant> from, Optional<Instant> to) {
    return from.map(f -> !t.isBefore(f)).orElse(true) && to.map(u -> !t.isAfter(u)).orElse(true);
  }

  private <T, R> Route orUnknown(String customerId, Optional<T> found, Function<T, R> body) {
    return found.map(t -> ok(body.apply(t))).orElseGet(() -> unknown(customerId));
  }

  private Route ok(Object body) {
    return complete(StatusCodes.OK, body, JsonSupport.json());
  }

  private Route unknown(String customerId) {
    return complete(StatusCodes.NOT_FOUND, new ApiError("not_found", "no events recorded for customer '" + customerId + "'"),
        JsonSupport.json());
  }

}
