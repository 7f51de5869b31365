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
import io.segmentd.segmentation.SegmentId;
import io.segmentd.http.ApiError;
import io.segmentd.http.Auth;
import io.segmentd.http.JsonSupport;
import java.time.Duration;
import java.time.Instant;
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
  private final SegmentDirectory directory;
  private final Config segmentsConfig;
  private final ProjectionLag lag;
  private final ReadSideCheck check;
  private final Auth auth;
  private final SegmentChangesFeed feed;
  private final int maxPageSize;

  public SegmentRoutes(org.apache.pekko.actor.typed.ActorSystem<?> system, SegmentStore store, SegmentDirectory directory, Config segmentsConfig, ProjectionLag lag, ReadSideCheck check,
                       Auth auth, SegmentChangesFeed feed, int maxPageSize) {
    this.system = system;
    this.store = store;
    this.directory = directory;
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
        pathPrefix(PathMatchers.segment(), id -> known(id, key -> concat(
            pathEnd(() -> detail(id, key)),
            path("members", () -> parameterOptional("limit", limit -> parameterOptional("cursor", cursor ->
                members(key, limit.map(this::limit).orElse(1000), cursor)))),
            path("changes", () -> parameterOptional("since", since -> optionalHeaderValueByName("Last-Event-ID", lastId ->
                parameterOptional("follow", follow -> changes(key, lastId.or(() -> since), !follow.equals(Optional.of("false")))))))))));
  }

  private Route readSide() {
    return concat(
        path("status", () -> get(() -> auth.withReadToken(() -> ok(Map.of("slices", lag.snapshot().values()))))),
        path("check", () -> get(() -> auth.withReadToken(() -> onSuccess(check.check(), this::ok)))),
        path("rebuild", () -> post(() -> auth.withAdminToken(() -> onSuccess(check.rebuild(),
            done -> complete(StatusCodes.ACCEPTED, Map.of("rebuilding", true), JsonSupport.json()))))));
  }

  /**
   * Resolves a segment to the read-side key its answers come from, once per request: a request
   * answers from one version of a stored segment even if its switch happens meanwhile.
   */
  private Route known(String id, java.util.function.Function<String, Route> inner) {
    Optional<String> key = directory.readSideKey(id);
    if (key.isPresent()) return inner.apply(key.get());
    return complete(StatusCodes.NOT_FOUND, new ApiError("not_found", "no segment '" + id + "'; GET /v1/segments lists them"), JsonSupport.json());
  }

  private Route list() {
    return onSuccess(store.counts(), counts -> ok(new SegmentList(directory.ids().stream().map(id -> new SegmentSummary(id, SegmentId.family(id),
        directory.readSideKey(id).map(counts::get).map(SegmentStore.Count::members).orElse(0L), directory.version(id))).toList())));
  }

  private Route detail(String id, String key) {
    return onSuccess(store.counts(), counts -> {
      Optional<SegmentStore.Count> count = Optional.ofNullable(counts.get(key));
      return ok(new SegmentDetail(id, SegmentId.family(id), directory.version(id), definition(id),
          count.map(SegmentStore.Count::members).orElse(0L), count.map(SegmentStore.Count::updatedAt).orElse(null)));
    });
  }

  /** A custom segment's JSON as written; a built-in one's family settings. */
  private JsonNode definition(String id) {
    try {
      Optional<String> custom = directory.customDefinition(id);
      String json = custom.isPresent() ? custom.get()
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

  /**
   * A stored segment's cursor names the version it walks ({@code <version>~<cursor>}): a walk never
   * continues into another version's rows after a switch; it is refused, to start again.
   */
  private Route members(String key, int limit, Optional<String> cursor) {
    int at = key.indexOf('@');
    if (at < 0) return onSuccess(store.members(key, cursor, limit), page -> ok(new MembersPage(page.members(), page.nextCursor().orElse(null))));
    String version = key.substring(at + 1);
    Optional<String> inner = cursor.map(c -> {
      int tilde = c.indexOf('~');
      if (tilde < 0 || !c.substring(0, tilde).equals(version)) {
        throw new InvalidRequest("invalid_parameter", "cursor '" + c + "' does not walk version " + version
            + " of the segment (it switched versions meanwhile, or the cursor is not one this API returned): start again without a cursor");
      }
      return c.substring(tilde + 1);
    });
    return onSuccess(store.members(key, inner, limit), page -> ok(new MembersPage(page.members(),
        page.nextCursor().map(c -> version + "~" + c).orElse(null))));
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
