package io.segmentd.http;

import io.segmentd.http.InvalidRequest;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.AuthenticationFailedRejection;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.List;

/** Maps every failure and rejection of the API to a status and an {@link ApiError} body, in one place. */
public final class ErrorHandling extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(ErrorHandling.class);

  public Route handled(Route inner) {
    return withRequestTimeoutResponse(ErrorHandling::timedOut,
        () -> handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> inner)));
  }

  /** pekko.http.server.request-timeout passed: in practice a body trickled too slowly (a slow journal is a 503 before). */
  private static org.apache.pekko.http.javadsl.model.HttpResponse timedOut(org.apache.pekko.http.javadsl.model.HttpRequest request) {
    byte[] body;
    try {
      body = JsonSupport.MAPPER.writeValueAsBytes(new ApiError("request_timeout",
          "the request was not complete within pekko.http.server.request-timeout; nothing of it was recorded"));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return org.apache.pekko.http.javadsl.model.HttpResponse.create().withStatus(StatusCodes.REQUEST_TIMEOUT)
        .withEntity(org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_JSON, body);
  }

  private Route error(StatusCode status, String error, String detail, HttpHeader... headers) {
    return respondWithHeaders(List.of(headers),
        () -> complete(status, new ApiError(error, detail), JsonSupport.json()));
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(InvalidRequest.class, this::invalid)
        .match(EntityStreamSizeException.class, this::tooLarge)
        .match(CompletionException.class, e -> unwrapped(e.getCause()))
        .matchAny(this::unwrapped)
        .build();
  }

  private Route unwrapped(Throwable e) {
    if (e instanceof InvalidRequest invalid) return invalid(invalid);
    if (e instanceof EntityStreamSizeException tooLarge) return tooLarge(tooLarge);
    if (e instanceof BodyTimeout slow) return error(StatusCodes.REQUEST_TIMEOUT, "request_timeout", slow.getMessage());
    if (e instanceof org.apache.pekko.http.scaladsl.model.IllegalRequestException illegal) {
      return error(StatusCodes.BAD_REQUEST, "invalid_body", "the request could not be read: " + illegal.info().summary());
    }
    if (e instanceof org.apache.pekko.http.scaladsl.model.EntityStreamException
        || e instanceof java.util.zip.ZipException || e instanceof java.util.zip.DataFormatException) {
      // e.g. a body announced as gzip that is not
      return error(StatusCodes.BAD_REQUEST, "invalid_body", "the request body could not be read: " + e.getMessage());
    }
    if (e instanceof Overloaded overloaded) {
      // The clients send more than the node takes in: they should slow down (429), not treat it as down (503).
      return error(StatusCodes.TOO_MANY_REQUESTS, "overloaded",
          "the node is overloaded (" + overloaded.getMessage() + "); nothing was acknowledged, retry with the same messageIds",
          RetryAfter.create(1L));
    }
    if (e instanceof Unavailable unavailable) {
      return error(StatusCodes.SERVICE_UNAVAILABLE, unavailable.error(), unavailable.getMessage(), RetryAfter.create(5L));
    }
    if (e instanceof TimeoutException || e instanceof org.apache.pekko.pattern.AskTimeoutException
        || e instanceof org.apache.pekko.pattern.CircuitBreakerOpenException) {
      return error(StatusCodes.SERVICE_UNAVAILABLE, "unavailable",
          "the journal did not confirm in time; nothing was acknowledged, retry with the same messageIds",
          RetryAfter.create(1L));
    }
    // Not transient: no Retry-After, so clients do not retry a request that cannot succeed.
    log.error("request failed", e);
    return error(StatusCodes.INTERNAL_SERVER_ERROR, "internal_error",
        "the request could not be completed (" + e.getClass().getSimpleName() + "); nothing of it was acknowledged");
  }

  private Route invalid(InvalidRequest e) {
    return complete(StatusCodes.BAD_REQUEST, new ApiError(e.error(), e.detail(), e.rejected()), JsonSupport.json());
  }

  private Route tooLarge(EntityStreamSizeException e) {
    return error(StatusCodes.PAYLOAD_TOO_LARGE, "request_too_large",
        "the request body exceeds the limit of " + e.limit() + " bytes (segmentd.ingest.max-request-bytes)");
  }

  private RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        // One answer whether credentials were missing, of the wrong kind or wrong: nothing that helps a guesser.
        .handle(AuthenticationFailedRejection.class, r -> error(StatusCodes.UNAUTHORIZED, "unauthorized",
            "valid credentials for this endpoint are required", WWWAuthenticate.create(r.challenge())))
        .handle(MalformedRequestContentRejection.class, r -> r.getCause() instanceof EntityStreamSizeException tooLarge
            ? tooLarge(tooLarge)
            : error(StatusCodes.BAD_REQUEST, "invalid_body", r.message()))
        .handle(org.apache.pekko.http.javadsl.server.UnsupportedRequestEncodingRejection.class, r -> error(
            StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding", "the request body's Content-Encoding is not one of gzip, deflate, identity"))
        .handle(MalformedQueryParamRejection.class, r -> error(StatusCodes.BAD_REQUEST, "invalid_parameter",
            "query parameter '" + r.parameterName() + "': " + r.errorMsg()))
        .handleAll(MethodRejection.class, rs -> error(StatusCodes.METHOD_NOT_ALLOWED, "method_not_allowed",
            "allowed: " + rs.stream().map(r -> r.supported().name()).distinct().toList()))
        .handle(org.apache.pekko.http.javadsl.server.Rejection.class, r -> error(StatusCodes.BAD_REQUEST,
            "bad_request", r.toString()))
        .handleNotFound(error(StatusCodes.NOT_FOUND, "not_found", "no such resource"))
        .build();
  }

  static HttpChallenge basicChallenge() {
    return HttpChallenge.createBasic("segmentd");
  }
}
