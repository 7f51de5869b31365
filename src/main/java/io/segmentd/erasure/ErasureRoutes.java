package io.segmentd.erasure;

import io.segmentd.http.Auth;
import io.segmentd.http.JsonSupport;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code DELETE /v1/customers/{id}} (admin token): erases the customer, the customers merged into it, and everything derived. */
public final class ErasureRoutes extends AllDirectives {
  private final CustomerErasure erasure;
  private final Auth auth;

  public ErasureRoutes(CustomerErasure erasure, Auth auth) {
    this.erasure = erasure;
    this.auth = auth;
  }

  public Route routes() {
    return pathPrefix("v1", () -> pathPrefix("customers", () -> path(PathMatchers.segment(), customerId ->
        delete(() -> auth.withAdminToken(() -> onSuccess(erasure.erase(customerId),
            result -> complete(StatusCodes.OK, result, JsonSupport.json())))))));
  }
}
