package io.segmentd.query;

import io.segmentd.customer.Customer;
import io.segmentd.http.InvalidRequest;
import io.segmentd.replay.CustomerJournal;
import io.segmentd.http.ApiError;
import io.segmentd.http.Auth;
import io.segmentd.http.JsonSupport;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
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
 * {@code GET /v1/customers/{id}[?asOf=T]} (live profile),
 * {@code GET /v1/customers/{id}/segments[?asOf=T]} (as the journal up to T says: from state when exact, else a fold),
 * {@code GET /v1/customers/{id}/history} (every transition with its cause).
 */
public final class CustomerRoutes extends AllDirectives {
  private final ClusterSharding sharding;
  private final CustomerJournal journal;
  private final Auth auth;
  private final Duration timeout;
  private final Clock clock;

  public CustomerRoutes(ClusterSharding sharding, CustomerJournal journal, Auth auth, Duration timeout, Clock clock) {
    this.sharding = sharding;
    this.journal = journal;
    this.auth = auth;
    this.timeout = timeout;
    this.clock = clock;
  }

  public record SegmentsResponse(String customerId, Instant asOf, List<String> segments, List<ProfileResponse.MembershipJson> memberships) {}

  public record HistoryResponse(String customerId, List<CustomerJournal.Transition> transitions) {}

  public Route routes() {
    return pathPrefix("v1", () -> pathPrefix("customers", () -> pathPrefix(PathMatchers.segment(), customerId ->
        get(() -> auth.withReadToken(() -> concat(
            pathEnd(() -> parameterOptional("asOf", asOf -> profile(customerId, asOf.map(CustomerRoutes::instant)))),
            path("segments", () -> parameterOptional("asOf", asOf ->
                segmentsAsOf(customerId, asOf.map(CustomerRoutes::instant).orElseGet(clock::instant)))),
            path("history", () -> history(customerId))))))));
  }

  private Route profile(String customerId, Optional<Instant> asOf) {
    return onSuccess(
        sharding.entityRefFor(Customer.ENTITY_KEY, customerId)
            .<Customer.CustomerView>askWithStatus(replyTo -> new Customer.GetProfile(asOf.orElse(null), replyTo), timeout),
        view -> view.exists() ? ok(ProfileResponse.of(view)) : unknown(customerId));
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

  private static SegmentsResponse segmentsResponse(String customerId, Instant asOf, Map<String, Membership> segments) {
    return new SegmentsResponse(customerId, asOf, List.copyOf(segments.keySet()),
        segments.values().stream().map(m -> new ProfileResponse.MembershipJson(m.segment(), m.values())).toList());
  }

  private Route history(String customerId) {
    return onSuccess(journal.history(customerId), found -> orUnknown(customerId, found,
        transitions -> new HistoryResponse(customerId, transitions)));
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

  private static Instant instant(String text) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeException e) {
      throw new InvalidRequest("invalid_parameter", "asOf '" + text + "' is not an ISO-8601 date-time with an offset, such as 2011-06-30T00:00:00Z");
    }
  }
}
