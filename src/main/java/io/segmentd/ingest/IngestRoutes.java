package io.segmentd.ingest;

import io.segmentd.segmentation.EventType;
import io.segmentd.http.Auth;
import io.micrometer.core.instrument.Timer;
import io.segmentd.http.JsonSupport;
import io.segmentd.http.Metrics;
import java.time.Clock;
import java.util.List;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.segmentd.http.RejectedEvent;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import io.segmentd.http.BodyTimeout;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;

/**
 * The Segment HTTP Tracking API: {@code POST /v1/batch | track | identify | page | screen | group | alias}.
 * Answers {@code {"success": true, ...}} only after every accepted event of the request is in the journal.
 */
public final class IngestRoutes extends AllDirectives {
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
    return path(type.wireName(), () -> ingest(body ->
        new SegmentPayloadParser.Parsed(List.of(parser.parseSingle(body, type, clock.instant())), List.of())));
  }

  /**
   * Bodies may come gzip- or deflate-encoded (as Segment's API accepts); the request limit applies
   * to the decoded body, so a small compressed body cannot expand past it.
   */
  private Route ingest(Function<byte[], SegmentPayloadParser.Parsed> parse) {
    return post(() -> auth.withWriteKey(() -> recorder.saturated() ? refuse() :
        decodeRequest(() ->
            withSizeLimit(limits.maxRequestBytes(), () ->
                extractMaterializer(materializer -> extractRequestEntity(entity ->
                    startedTimer(sample -> onSuccess(body(entity, materializer), (ByteString body) -> {
                  SegmentPayloadParser.Parsed parsed = parsed(parse, body);
                  return onSuccess(recorder.record(parsed.events()), outcome -> {
                    sample.stop(metrics.acknowledgementTimer());
                    metrics.recorded(outcome.accepted(), outcome.duplicates(), outcome.erased());
                    return complete(StatusCodes.OK, new Acknowledged(true, outcome.accepted(), outcome.duplicates(), outcome.erased(), parsed.rejected()),
                        JsonSupport.json());
                  });
                }))))))));
  }

  private Route startedTimer(Function<Timer.Sample, Route> inner) {
    return inner.apply(Timer.start());
  }

  /** Parsed, with every refused event counted by its reason (a body refused as a whole counts once). */
  private SegmentPayloadParser.Parsed parsed(Function<byte[], SegmentPayloadParser.Parsed> parse, ByteString body) {
    try {
      SegmentPayloadParser.Parsed parsed = parse.apply(body.toArray());
      countRejected(parsed.rejected());
      return parsed;
    } catch (io.segmentd.http.InvalidRequest e) {
      if (e.rejected().isEmpty()) metrics.rejected(e.error(), 1);
      else countRejected(e.rejected());
      throw e;
    }
  }

  private void countRejected(List<RejectedEvent> rejected) {
    for (RejectedEvent r : rejected) metrics.rejected(r.error(), 1);
  }

  /**
   * The whole body, or a {@link BodyTimeout} when it has not arrived within body-timeout: a client
   * trickling its body is answered 408. The body's stream is left running rather than cancelled,
   * so the answer goes out before the server closes the connection.
   */
  private CompletionStage<ByteString> body(HttpEntity entity, Materializer materializer) {
    // Onto the dispatcher once: continuations on Pekko's own stage would each start a thread (see Stages).
    return io.segmentd.common.Stages.on(entity.getDataBytes().runFold(ByteString.emptyByteString(), ByteString::concat, materializer),
            materializer.executionContext())
        .orTimeout(limits.bodyTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .handle((data, failure) -> {
          if (failure == null) return data;
          Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
          if (cause instanceof TimeoutException) {
            throw new BodyTimeout("the request body did not arrive within " + limits.bodyTimeout() + " (segmentd.ingest.body-timeout)");
          }
          throw cause instanceof RuntimeException r ? r : new CompletionException(cause);
        });
  }

  /**
   * Refused at once when the admission queue is full: the body is drained unread (the connection
   * stays usable) and nothing is parsed, so an overloaded node spends next to nothing on the excess.
   */
  private Route refuse() {
    return extractMaterializer(materializer -> extractRequestEntity(entity ->
        onComplete(entity.discardBytes(materializer).completionStage(), drained -> failWith(new io.segmentd.http.Overloaded(
            "the admission queue is full (segmentd.ingest.admission.max-queued)")))));
  }

  /**
   * The answer to a request whose events are in the journal: those newly recorded, those already
   * there (retries), those of customers erased with later events refused (not recorded, shown only
   * when there are some), and the events of a batch that were refused, each with its index and reason.
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Acknowledged(boolean success, int accepted, int duplicates, int erased, List<RejectedEvent> rejected) {
    @JsonInclude(JsonInclude.Include.NON_DEFAULT)
    @Override
    public int erased() {
      return erased;
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @Override
    public int accepted() {
      return accepted;
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @Override
    public int duplicates() {
      return duplicates;
    }
  }
}
