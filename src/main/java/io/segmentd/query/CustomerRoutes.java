package io.segmentd.query;

import io.segmentd.customer.Customer;
import io.segmentd.ingest.InvalidRequest;
import io.segmentd.server.Auth;
import io.segmentd.server.JsonSupport;
import io.segmentd.server.ApiError;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /v1/customers/{id}[?asOf=T]}: which segments a customer is in, and why. */
public final class CustomerRoutes extends AllDirectives {
  private final ClusterSharding sharding;
  private final Auth auth;
  private final Duration timeout;

  public CustomerRoutes(ClusterSharding sharding, Auth auth, Duration timeout) {
    this.sharding = sharding;
    this.auth = auth;
    this.timeout = timeout;
  }

  public Route routes() {
    return pathPrefix("v1", () ->
        path(PathMatchers.segment("customers").slash(PathMatchers.segment()), customerId ->
            get(() -> auth.withReadToken(() ->
                parameterOptional("asOf", asOf -> profile(customerId, asOf.map(CustomerRoutes::instant)))))));
  }

  private Route profile(String customerId, Optional<Instant> asOf) {
    return onSuccess(
        sharding.entityRefFor(Customer.ENTITY_KEY, customerId)
            .<Customer.CustomerView>askWithStatus(replyTo -> new Customer.GetProfile(asOf.orElse(null), replyTo), timeout),
        view -> view.exists()
            ? complete(StatusCodes.OK, ProfileResponse.of(view), JsonSupport.json())
            : complete(StatusCodes.NOT_FOUND, new ApiError("not_found", "no events recorded for customer '" + customerId + "'"),
                JsonSupport.json()));
  }

  private static Instant instant(String text) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeException e) {
      throw new InvalidRequest("invalid_parameter", "asOf '" + text + "' is not an ISO-8601 date-time with an offset, such as 2011-06-30T00:00:00Z");
    }
  }
}
