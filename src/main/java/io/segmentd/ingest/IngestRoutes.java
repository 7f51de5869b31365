package io.segmentd.ingest;

import io.segmentd.segmentation.EventType;
import io.segmentd.http.Auth;
import io.micrometer.core.instrument.Timer;
import io.segmentd.http.JsonSupport;
import io.segmentd.http.Metrics;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.util.ByteString;

/**
 * The Segment HTTP Tracking API: {@code POST /v1/batch | track | identify | page | screen | group | alias}.
 * Answers {@code {"success": true}} only after every event of the request is in the journal.
 */
public final class IngestRoutes extends AllDirectives {
  private static final Map<String, Boolean> SUCCESS = Map.of("success", true);

  private final SegmentPayloadParser parser;
  private final EventRecorder recorder;
  private final Auth auth;
  private final IngestSettings limits;
  private final Clock clock;
  private final Metrics metrics;

  public IngestRoutes(SegmentPayloadParser parser, EventRecorder recorder, Auth auth, IngestSettings limits, Clock clock, Metrics metrics) {
    this.parser = parser;
    this.recorder = recorder;
    this.auth = auth;
    this.limits = limits;
    this.clock = clock;
    this.metrics = metrics;
  }

  public Route routes() {
    return pathPrefix("v1", () -> concat(
        path("batch", () -> ingest(body -> parser.parseBatch(body, clock.instant()))),
        single(EventType.TRACK),
        single(EventType.IDENTIFY),
        single(EventType.PAGE),
        single(EventType.SCREEN),
        single(EventType.GROUP),
        single(EventType.ALIAS)));
  }

  private Route single(EventType type) {
    return path(type.wireName(), () -> ingest(body -> List.of(parser.parseSingle(body, type, clock.instant()))));
  }

  private Route ingest(Function<byte[], List<CustomerEvent>> parse) {
    return post(() -> auth.withWriteKey(() ->
        withSizeLimit(limits.maxRequestBytes(), () ->
            entity(Unmarshaller.entityToByteString(), (ByteString body) -> {
              Timer.Sample sample = Timer.start();
              return onSuccess(recorder.record(parse.apply(body.toArray())), outcome -> {
                sample.stop(metrics.ingestTimer());
                metrics.recorded(outcome.accepted(), outcome.duplicates());
                return complete(org.apache.pekko.http.javadsl.model.StatusCodes.OK, SUCCESS, JsonSupport.json());
              });
            }))));
  }
}
