package io.segmentd.query;

import io.segmentd.readside.SegmentStore;
import io.segmentd.readside.SegmentChange;
import io.segmentd.readside.SegmentChangesFeed;
import io.segmentd.readside.SegmentChangesFeed.ChangesCursor;
import io.segmentd.readside.ProjectionLag;
import io.segmentd.readside.ReadSideCheck;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import io.segmentd.http.InvalidRequest;
import io.segmentd.segmentation.SegmentCatalog;
import io.segmentd.segmentation.SegmentEngine;
import io.segmentd.segmentation.SegmentId;
import io.segmentd.segmentation.custom.CustomDefinition;
import io.segmentd.http.ApiError;
import io.segmentd.http.Auth;
import io.segmentd.http.JsonSupport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Who is in a segment, how many, and what changed:
 * {@code GET /v1/segments}, {@code /v1/segments/{id}}, {@code /v1/segments/{id}/members},
 * {@code /v1/segments/{id}/changes}; and the read side's own state under {@code /v1/read-side}.
 */
public final class SegmentRoutes extends AllDirectives {
  private final org.apache.pekko.actor.typed.ActorSystem<?> system;
  private final SegmentStore store;
  private final SegmentEngine engine;
  private final Config segmentsConfig;
  private final ProjectionLag lag;
  private final ReadSideCheck check;
  private final Auth auth;
  private final SegmentChangesFeed feed;
  private final int maxPageSize;

  public SegmentRoutes(org.apache.pekko.actor.typed.ActorSystem<?> system, SegmentStore store, SegmentEngine engine, Config segmentsConfig, ProjectionLag lag, ReadSideCheck check,
                       Auth auth, SegmentChangesFeed feed, int maxPageSize) {
    this.system = system;
    this.store = store;
    this.engine = engine;
    this.segmentsConfig = segmentsConfig;
    this.lag = lag;
    this.check = check;
    this.auth = auth;
    this.feed = feed;
    this.maxPageSize = maxPageSize;
  }

  public record SegmentSummary(String id, String family, long count, int definitionVersion) {}

  public record SegmentList(List<SegmentSummary> segments) {}

  public record SegmentDetail(String id, String family, int definitionVersion, JsonNode definition, long count, Instant updatedAt) {}

  public record MembersPage(List<String> members, String nextCursor) {}

  /** {@code at}: the event time from which the change holds; {@code recordedAt}: when the customer wrote it. */
  public record ChangeJson(String customerId, long sequenceNr, String segment, String direction, Instant at, Instant recordedAt,
                           Map<String, Object> cause, String cursor) {}

  public Route routes() {
    return pathPrefix("v1", () -> concat(
        pathPrefix("segments", () -> get(() -> auth.withReadToken(this::segments))),
        pathPrefix("read-side", this::readSide)));
  }

  private Route segments() {
    return concat(
        pathEnd(this::list),
        pathPrefix(PathMatchers.segment(), id -> known(id, () -> concat(
            pathEnd(() -> detail(id)),
            path("members", () -> parameterOptional("limit", limit -> parameterOptional("cursor", cursor ->
                members(id, limit.map(this::limit).orElse(1000), cursor)))),
            path("changes", () -> parameterOptional("since", since -> optionalHeaderValueByName("Last-Event-ID", lastId ->
                parameterOptional("follow", follow -> changes(id, lastId.or(() -> since), !follow.equals(Optional.of("false")))))))))));
  }

  private Route readSide() {
    return concat(
        path("status", () -> get(() -> auth.withReadToken(() -> ok(Map.of("slices", lag.snapshot().values()))))),
        path("check", () -> get(() -> auth.withReadToken(() -> onSuccess(check.check(), this::ok)))),
        path("rebuild", () -> post(() -> auth.withAdminToken(() -> onSuccess(check.rebuild(),
            done -> complete(StatusCodes.ACCEPTED, Map.of("rebuilding", true), JsonSupport.json()))))));
  }

  private List<String> catalog() {
    List<String> ids = new ArrayList<>(SegmentCatalog.builtInSegments(segmentsConfig));
    engine.custom().definitions().forEach(d -> ids.add(d.id()));
    return ids;
  }

  private Route known(String id, java.util.function.Supplier<Route> inner) {
    if (catalog().contains(id)) return inner.get();
    return complete(StatusCodes.NOT_FOUND, new ApiError("not_found", "no segment '" + id + "'; GET /v1/segments lists them"), JsonSupport.json());
  }

  private Route list() {
    return onSuccess(store.counts(), counts -> ok(new SegmentList(catalog().stream().map(id -> new SegmentSummary(id, SegmentId.family(id),
        Optional.ofNullable(counts.get(id)).map(SegmentStore.Count::members).orElse(0L), engine.versionOf(id))).toList())));
  }

  private Route detail(String id) {
    return onSuccess(store.counts(), counts -> {
      Optional<SegmentStore.Count> count = Optional.ofNullable(counts.get(id));
      return ok(new SegmentDetail(id, SegmentId.family(id), engine.versionOf(id), definition(id),
          count.map(SegmentStore.Count::members).orElse(0L), count.map(SegmentStore.Count::updatedAt).orElse(null)));
    });
  }

  /** A custom segment's JSON as written; a built-in one's family settings. */
  private JsonNode definition(String id) {
    try {
      Optional<CustomDefinition> custom = engine.custom().definition(id);
      String json = custom.isPresent() ? custom.get().source()
          : segmentsConfig.getConfig(SegmentId.family(id)).root().render(ConfigRenderOptions.concise());
      return JsonSupport.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private int limit(String text) {
    try {
      int limit = Integer.parseInt(text);
      if (limit >= 1 && limit <= maxPageSize) return limit;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new InvalidRequest("invalid_parameter", "limit must be a number from 1 to " + maxPageSize + " (segmentd.read-side.max-page-size)");
  }

  private Route members(String id, int limit, Optional<String> cursor) {
    return onSuccess(store.members(id, cursor, limit), page -> ok(new MembersPage(page.members(), page.nextCursor().orElse(null))));
  }

  // ---- changes ------------------------------------------------------------------------------

  private Route changes(String id, Optional<String> since, boolean follow) {
    return onSuccess(feed.start(id, since.filter(s -> !s.isBlank())), start -> {
      Source<ServerSentEvent, NotUsed> events = feed.changes(id, start, follow)
          .scan(new Object[] {start, null}, (state, change) -> new Object[] {((ChangesCursor) state[0]).with(change.slice(), change.position()), change})
          .filter(state -> state[1] != null)
          .map(state -> {
            SegmentChange c = (SegmentChange) state[1];
            String cursor = ((ChangesCursor) state[0]).render();
            Map<String, Object> cause = new LinkedHashMap<>();
            cause.put("trigger", c.trigger());
            cause.put("ruleVersion", c.ruleVersion());
            cause.put("values", c.values());
            String data = JsonSupport.MAPPER.writeValueAsString(new ChangeJson(c.customerId(), c.sequenceNr(), c.segment(), c.direction(), c.at(), c.recordedAt(), cause, cursor));
            return ServerSentEvent.create(data, c.direction(), cursor);
          });
      Source<ServerSentEvent, NotUsed> withKeepAlive = follow ? events.keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat) : events;
      return completeOK(withKeepAlive, EventStreamMarshalling.toEventStream());
    });
  }

  private Route ok(Object body) {
    return complete(StatusCodes.OK, body, JsonSupport.json());
  }
}
