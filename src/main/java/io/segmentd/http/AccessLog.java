package io.segmentd.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per answered request (logger {@code io.segmentd.access}): method, route template, status,
 * latency and, for a refusal, its error code; and the {@code http.server.requests} meter. The route
 * is the API's template ({@code /v1/customers/{id}}), never the path: ids are personal data that an
 * erasure must not leave behind in logs, and a bounded set of values keeps the meter small. No
 * bodies, no headers, no query strings (nothing secret or personal is logged).
 */
public final class AccessLog extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger("io.segmentd.access");

  /** What is logged: every request, only refusals and failures (status 400 and above), or nothing. */
  public enum Level { ALL, REFUSALS, OFF }

  private final RouteTemplates templates;
  private final Metrics metrics;
  private final Level level;

  public AccessLog(RouteTemplates templates, Metrics metrics, Level level) {
    this.templates = templates;
    this.metrics = metrics;
    this.level = level;
  }

  public static Level level(String configured) {
    try {
      return Level.valueOf(configured.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("segmentd.http.access-log must be all, refusals or off, not '" + configured + "'");
    }
  }

  public Route logged(Route inner) {
    return extractRequest(request -> {
      long started = System.nanoTime();
      String method = request.method().name();
      String route = templates.of(request.getUri().path());
      return mapResponse(response -> {
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        int status = response.status().intValue();
        metrics.answered(method, route, status, took);
        if (level == Level.ALL || (level == Level.REFUSALS && status >= 400)) write(method, route, status, took, response);
        return response;
      }, () -> inner);
    });
  }

  private static void write(String method, String route, int status, Duration took, HttpResponse response) {
    double millis = took.toNanos() / 1e6;
    String reason = status >= 400 ? errorCode(response).orElse("") : "";
    var line = log.atInfo().addKeyValue("method", method).addKeyValue("route", route).addKeyValue("status", status)
        .addKeyValue("millis", Math.round(millis * 10) / 10.0);
    if (!reason.isEmpty()) line = line.addKeyValue("reason", reason);
    line.log(String.format(Locale.ROOT, "%s %s %d %.1f ms%s", method, route, status, millis, reason.isEmpty() ? "" : " " + reason));
  }

  /** The {@code error} code of an {@link ApiError} body (always small and already in memory). */
  private static Optional<String> errorCode(HttpResponse response) {
    HttpEntity entity = response.entity();
    if (!(entity instanceof HttpEntity.Strict strict) || !entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
      return Optional.empty();
    }
    try {
      JsonNode error = JsonSupport.MAPPER.readTree(strict.getData().toArray()).get("error");
      return error != null && error.isTextual() ? Optional.of(error.asText()) : Optional.empty();
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
  }
}
