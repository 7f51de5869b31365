package io.segmentd.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import io.segmentd.ingest.InvalidRequest;
import io.segmentd.segmentation.SegmentCatalog;
import io.segmentd.segmentation.SegmentEngine;
import io.segmentd.segmentation.SegmentId;
import io.segmentd.segmentation.custom.CustomDefinition;
import io.segmentd.server.ApiError;
import io.segmentd.server.Auth;
import io.segmentd.server.JsonSupport;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
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
  private final int slices;
  private final int maxPageSize;
  private final Duration pollInterval;
  private final int firstDay;

  public SegmentRoutes(org.apache.pekko.actor.typed.ActorSystem<?> system, SegmentStore store, SegmentEngine engine, Config segmentsConfig, ProjectionLag lag, ReadSideCheck check,
                       Auth auth, int slices, Config readSide, String firstTimeBucket) {
    this.system = system;
    this.store = store;
    this.engine = engine;
    this.segmentsConfig = segmentsConfig;
    this.lag = lag;
    this.check = check;
    this.auth = auth;
    this.slices = slices;
    this.maxPageSize = readSide.getInt("max-page-size");
    this.pollInterval = readSide.getDuration("changes-poll-interval");
    this.firstDay = (int) LocalDateTime.parse(firstTimeBucket, DateTimeFormatter.ofPattern("yyyyMMdd'T'HH:mm"))
        .toLocalDate().toEpochDay();
  }

  public record SegmentSummary(String id, String family, long count, int definitionVersion) {}

  public record SegmentList(List<SegmentSummary> segments) {}

  public record SegmentDetail(String id, String family, int definitionVersion, JsonNode definition, long count, Instant updatedAt) {}

  public record MembersPage(List<String> members, String nextCursor) {}

  public record ChangeJson(String customerId, long sequenceNr, String segment, String direction, Instant at, Map<String, Object> cause,
                           String cursor) {}

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

  /** A reader's position: the last offset it has seen of every slice. */
  record ChangesCursor(UUID[] offsets) {
    static ChangesCursor start(int slices) {
      UUID[] offsets = new UUID[slices];
      Arrays.fill(offsets, TimeUuids.MIN);
      return new ChangesCursor(offsets);
    }

    static ChangesCursor parse(String text, int slices) {
      String[] parts = text.split("\\.", -1);
      if (parts.length != slices) throw new InvalidRequest("invalid_parameter", "since '" + text + "' is not a cursor this API returned");
      UUID[] offsets = new UUID[slices];
      try {
        for (int i = 0; i < slices; i++) offsets[i] = parts[i].isEmpty() ? TimeUuids.MIN : UUID.fromString(parts[i]);
      } catch (IllegalArgumentException e) {
        throw new InvalidRequest("invalid_parameter", "since '" + text + "' is not a cursor this API returned");
      }
      return new ChangesCursor(offsets);
    }

    ChangesCursor with(int slice, UUID offset) {
      UUID[] next = offsets.clone();
      next[slice] = offset;
      return new ChangesCursor(next);
    }

    String render() {
      return Arrays.stream(offsets).map(o -> o.equals(TimeUuids.MIN) ? "" : o.toString()).collect(Collectors.joining("."));
    }
  }

  private Route changes(String id, Optional<String> since, boolean follow) {
    ChangesCursor start = since.filter(s -> !s.isBlank()).map(s -> ChangesCursor.parse(s, slices)).orElse(ChangesCursor.start(slices));
    Source<ServerSentEvent, NotUsed> events = changeStream(id, start, follow)
        .scan(new Object[] {start, null}, (state, change) -> new Object[] {((ChangesCursor) state[0]).with(change.slice(), change.offset()), change})
        .filter(state -> state[1] != null)
        .map(state -> {
          SegmentChange c = (SegmentChange) state[1];
          String cursor = ((ChangesCursor) state[0]).render();
          Map<String, Object> cause = new LinkedHashMap<>();
          cause.put("trigger", c.trigger());
          cause.put("ruleVersion", c.ruleVersion());
          cause.put("values", c.values());
          String data = JsonSupport.MAPPER.writeValueAsString(new ChangeJson(c.customerId(), c.sequenceNr(), c.segment(), c.direction(), c.at(), cause, cursor));
          return ServerSentEvent.create(data, c.direction(), cursor);
        });
    Source<ServerSentEvent, NotUsed> withKeepAlive = follow ? events.keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat) : events;
    return completeOK(withKeepAlive, EventStreamMarshalling.toEventStream());
  }

  /** Every slice's changes after the cursor, each slice in offset order; with follow, polled forever. */
  private Source<SegmentChange, NotUsed> changeStream(String id, ChangesCursor start, boolean follow) {
    List<Source<SegmentChange, NotUsed>> perSlice = new ArrayList<>();
    for (int slice = 0; slice < slices; slice++) {
      int s = slice;
      UUID after = start.offsets()[slice];
      perSlice.add(follow ? followSlice(id, s, after) : readSlice(id, s, after));
    }
    return Source.from(perSlice).flatMapMerge(slices, source -> source);
  }

  private Source<SegmentChange, NotUsed> readSlice(String id, int slice, UUID after) {
    int from = after.equals(TimeUuids.MIN) ? firstDay : SegmentStore.dayOf(after);
    return store.changes(id, slice, after, from, Math.max(from, today()), Integer.MAX_VALUE);
  }

  private static int today() {
    return (int) Instant.now().atOffset(ZoneOffset.UTC).toLocalDate().toEpochDay();
  }

  /** Where a following reader of one slice stands: its last offset and the first day still to scan. */
  private record Poll(UUID after, int fromDay) {}

  /**
   * Polls one slice: each round reads at most a page of changes after the last offset, from the
   * day of that offset (or yesterday, once caught up) on, so an idle stream touches one or two
   * partitions per round.
   */
  private Source<SegmentChange, NotUsed> followSlice(String id, int slice, UUID after) {
    Poll start = new Poll(after, after.equals(TimeUuids.MIN) ? firstDay : SegmentStore.dayOf(after));
    return Source.unfoldAsync(start, poll -> {
          int today = today();
          return store.changes(id, slice, poll.after(), poll.fromDay(), Math.max(poll.fromDay(), today), FOLLOW_PAGE)
              .take(FOLLOW_PAGE)
              .runWith(org.apache.pekko.stream.javadsl.Sink.seq(), system)
              .thenCompose(batch -> {
                Poll next = batch.isEmpty()
                    ? new Poll(poll.after(), Math.max(poll.fromDay(), today - 1))
                    : new Poll(batch.get(batch.size() - 1).offset(), SegmentStore.dayOf(batch.get(batch.size() - 1).offset()));
                var result = Optional.of(org.apache.pekko.japi.Pair.create(next, batch));
                if (!batch.isEmpty()) return java.util.concurrent.CompletableFuture.completedFuture(result);
                var delayed = new java.util.concurrent.CompletableFuture<Optional<org.apache.pekko.japi.Pair<Poll, List<SegmentChange>>>>();
                java.util.concurrent.CompletableFuture.delayedExecutor(pollInterval.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                    .execute(() -> delayed.complete(result));
                return delayed;
              });
        })
        .mapConcat(batch -> batch);
  }

  private static final int FOLLOW_PAGE = 1000;

  private Route ok(Object body) {
    return complete(StatusCodes.OK, body, JsonSupport.json());
  }
}
