package io.segmentd.admin;

import io.segmentd.definitions.DefinitionStore;
import io.segmentd.definitions.LiveDefinitions;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.http.ApiError;
import io.segmentd.http.Auth;
import io.segmentd.http.InvalidRequest;
import io.segmentd.http.JsonSupport;
import io.segmentd.segmentation.custom.CustomDefinition;
import io.segmentd.segmentation.custom.InvalidDefinition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * Custom segments managed at run time (admin token to change, read token to look):
 * {@code PUT /v1/segments/{id}} (create, or a new version, backfilled before it answers),
 * {@code DELETE /v1/segments/{id}}, {@code GET /v1/segments/{id}/versions},
 * {@code POST /v1/segments/{id}/preview} (who would enter and leave, from the journals) and
 * {@code GET /v1/segments/{id}/backfill} (progress and ETA).
 */
public final class DefinitionRoutes extends AllDirectives {
  private final DefinitionStore store;
  private final LiveDefinitions live;
  private final Preview preview;
  private final Auth auth;
  private final Clock clock;
  private final Executor blocking;

  DefinitionRoutes(DefinitionStore store, LiveDefinitions live, Preview preview, Auth auth, Clock clock, Executor blocking) {
    this.store = store;
    this.live = live;
    this.preview = preview;
    this.auth = auth;
    this.clock = clock;
    this.blocking = blocking;
  }

  public record Accepted(String id, int version, String state, String backfill) {}

  public record VersionJson(int version, String state, Instant createdAt, JsonNode definition) {}

  public record Versions(String id, List<VersionJson> versions) {}

  public record BackfillJson(String id, Integer activeVersion, Integer pendingVersion, String state, long customers, long done,
                             Instant startedAt, Instant finishedAt, Double etaSeconds) {}

  public record PreviewJson(String id, Instant at, Integer activeVersion, long customers, long before, long after, long entering, long leaving,
                            List<String> enteringSample, List<String> leavingSample) {}

  public Route routes() {
    return pathPrefix("v1", () -> pathPrefix("segments", () -> pathPrefix(PathMatchers.segment(), id -> concat(
        pathEnd(() -> concat(
            put(() -> auth.withAdminToken(() -> entity(Unmarshaller.entityToString(), body -> put(id, body)))),
            delete(() -> auth.withAdminToken(() -> delete(id))))),
        path("versions", () -> get(() -> auth.withReadToken(() -> versions(id)))),
        path("backfill", () -> get(() -> auth.withReadToken(() -> backfill(id)))),
        path("preview", () -> post(() -> auth.withAdminToken(() -> parameterOptional("at", at ->
            entity(Unmarshaller.entityToString(), body -> preview(id, body, at.map(DefinitionRoutes::instant)))))))))));
  }

  private Route put(String id, String body) {
    JsonNode json = parse(body);
    validated(id, 1, json);
    return onSuccess(store.addVersion(id, json.toString(), clock.instant()).handle((v, e) -> v != null ? (Object) v
        : e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e), outcome -> {
      if (outcome instanceof DefinitionStore.Conflict conflict) return error(StatusCodes.CONFLICT, "backfill_in_progress", conflict.getMessage());
      if (outcome instanceof Throwable failure) throw new java.util.concurrent.CompletionException(failure);
      int version = (Integer) outcome;
      return onSuccess(live.refresh(), s -> complete(StatusCodes.ACCEPTED,
          new Accepted(id, version, "backfilling", "/v1/segments/" + id + "/backfill"), JsonSupport.json()));
    });
  }

  private Route delete(String id) {
    if (live.isConfigured(id)) return error(StatusCodes.CONFLICT, "configured_segment", id + " is defined in the configuration, not through the API");
    return onSuccess(store.delete(id, clock.instant()), deleted -> {
      if (!deleted) return notFound(id);
      return onSuccess(live.refresh(), s -> complete(StatusCodes.OK, java.util.Map.of("id", id, "deleted", true), JsonSupport.json()));
    });
  }

  private Route versions(String id) {
    return onSuccess(store.head(id).thenCombine(store.versions(id), (head, versions) -> head.map(h -> {
      List<VersionJson> out = new ArrayList<>();
      for (DefinitionStore.Version v : versions) {
        String state = h.active().equals(Optional.of(v.version())) ? "active"
            : h.pending().equals(Optional.of(v.version())) ? "backfilling" : h.deleted() && v.version() == versions.get(0).version() ? "deleted" : "retired";
        out.add(new VersionJson(v.version(), state, v.createdAt(), parse(v.definition())));
      }
      return new Versions(id, out);
    })), found -> found.map(this::ok).orElseGet(() -> notFound(id)));
  }

  private Route backfill(String id) {
    return onSuccess(store.head(id), head -> head.map(h -> {
      DefinitionStore.Backfill b = h.backfill();
      Double eta = null;
      if (b.startedAt() != null && b.finishedAt() == null && b.done() > 0 && b.total() >= b.done()) {
        double elapsed = Duration.between(b.startedAt(), clock.instant()).toMillis() / 1000.0;
        eta = elapsed / b.done() * (b.total() - b.done());
      }
      return ok(new BackfillJson(id, h.active().orElse(null), h.pending().orElse(null), b.state(), b.total(), b.done(), b.startedAt(),
          b.finishedAt(), eta));
    }).orElseGet(() -> notFound(id)));
  }

  private Route preview(String id, String body, Optional<Instant> at) {
    CustomDefinition proposed = validated(id, 1, parse(body));
    Instant when = at.orElseGet(clock::instant);
    CompletionStage<Preview.Result> result = CompletableFuture.supplyAsync(() -> {
      try {
        return preview.run(id, live.current(), live.queryKey(id).filter(k -> !live.isConfigured(id)), proposed, when);
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, blocking);
    return onSuccess(result, r -> ok(new PreviewJson(id, r.at(), r.activeVersion().orElse(null), r.customers(), r.diff().before(),
        r.diff().after(), r.diff().entering(), r.diff().leaving(), r.diff().enteringSample(), r.diff().leavingSample())));
  }

  private CustomDefinition validated(String id, int version, JsonNode body) {
    try {
      return live.parse(id, version, body);
    } catch (InvalidDefinition e) {
      throw new InvalidRequest("invalid_definition", e.getMessage());
    }
  }

  private static JsonNode parse(String body) {
    try {
      return JsonSupport.MAPPER.readTree(body);
    } catch (Exception e) {
      throw new InvalidRequest("invalid_json", "the body is not JSON: " + e.getMessage());
    }
  }

  private static Instant instant(String text) {
    try {
      return Instant.parse(text);
    } catch (Exception e) {
      throw new InvalidRequest("invalid_parameter", "at '" + text + "' is not an ISO-8601 instant such as 2011-11-25T00:00:00Z");
    }
  }

  private Route notFound(String id) {
    return error(StatusCodes.NOT_FOUND, "not_found", "no stored segment '" + id + "'");
  }

  private Route error(org.apache.pekko.http.javadsl.model.StatusCode status, String error, String detail) {
    return complete(status, new ApiError(error, detail), JsonSupport.json());
  }

  private Route ok(Object body) {
    return complete(StatusCodes.OK, body, JsonSupport.json());
  }
}
