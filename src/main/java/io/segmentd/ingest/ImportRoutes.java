package io.segmentd.ingest;

import com.typesafe.config.Config;
import io.segmentd.common.Stages;
import io.segmentd.http.Auth;
import io.segmentd.http.InvalidRequest;
import io.segmentd.http.JsonSupport;
import io.segmentd.http.Metrics;
import io.segmentd.http.Overloaded;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.util.ByteString;

/**
 * {@code POST /v1/import}: NDJSON, one event object per line (as in a batch), of any length. The
 * body is read as a stream: lines are cut, parsed and recorded a chunk at a time, at most
 * {@code parallelism} chunks in flight, so the body is read only as fast as the journal confirms
 * (back-pressure) and memory stays bounded whatever the size. Bad lines are counted and the first
 * ones listed with their numbers and reasons; the good ones are recorded. A chunk the node is too
 * busy for is retried (message ids make that safe). The answer, at the end, gives the totals.
 */
public final class ImportRoutes extends AllDirectives {
  /** {@code segmentd.ingest.import}. */
  public record Settings(int linesPerChunk, int parallelism, int maxLineBytes, int maxErrorsListed, int retries, Duration retryBackoff) {
    public static Settings fromConfig(Config c) {
      return new Settings(c.getInt("lines-per-chunk"), c.getInt("parallelism"), (int) c.getBytes("max-line-bytes").longValue(),
          c.getInt("max-errors-listed"), c.getInt("retries"), c.getDuration("retry-backoff"));
    }
  }

  /** One refused line: its number (from 1), a code and why. */
  public record LineError(long line, String error, String detail) {}

  /**
   * The answer: lines read (blank ones not counted), events newly recorded, retries already
   * there, events of customers erased with later events refused (shown only when there are
   * some), lines refused, the first of them; when the import stopped before the end, why.
   */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record Summary(boolean success, long lines, long accepted, long duplicates, long erased, long rejected, List<LineError> errors,
                        String detail) {
    static final Summary EMPTY = new Summary(true, 0, 0, 0, 0, 0, List.of(), null);

    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT)
    @Override
    public long erased() {
      return erased;
    }

    Summary plus(Chunk chunk, int maxErrors) {
      List<LineError> listed = errors;
      if (!chunk.errors().isEmpty() && errors.size() < maxErrors) {
        listed = new ArrayList<>(errors);
        for (LineError e : chunk.errors()) if (listed.size() < maxErrors) listed.add(e);
        listed = List.copyOf(listed);
      }
      return new Summary(true, lines + chunk.lines(), accepted + chunk.accepted(), duplicates + chunk.duplicates(),
          erased + chunk.erased(), rejected + chunk.errors().size(), listed, null);
    }

    Summary failed(String why) {
      return new Summary(false, lines, accepted, duplicates, erased, rejected, errors, why);
    }
  }

  /** What one chunk of lines came to. */
  record Chunk(long lines, long accepted, long duplicates, long erased, List<LineError> errors) {}

  private final SegmentPayloadParser parser;
  private final EventRecorder recorder;
  private final Auth auth;
  private final Settings settings;
  private final Clock clock;
  private final Metrics metrics;
  private final ActorSystem<?> system;

  public ImportRoutes(SegmentPayloadParser parser, EventRecorder recorder, Auth auth, Settings settings, Clock clock, Metrics metrics,
                      ActorSystem<?> system) {
    this.parser = parser;
    this.recorder = recorder;
    this.auth = auth;
    this.settings = settings;
    this.clock = clock;
    this.metrics = metrics;
    this.system = system;
  }

  public Route routes() {
    return path(org.apache.pekko.http.javadsl.server.PathMatchers.segment("v1").slash("import"), () -> post(() -> auth.withWriteKey(() ->
        // An import takes as long as its file: no request timeout and no size limit, its pace set by the journal.
        withoutRequestTimeout(() -> decodeRequest(() -> withoutSizeLimit(() ->
            extractMaterializer(materializer -> extractRequestEntity(entity ->
                onSuccess(run(entity, materializer), summary ->
                    complete(summary.success() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, summary, JsonSupport.json()))))))))));
  }

  private CompletionStage<Summary> run(HttpEntity entity, Materializer materializer) {
    AtomicReference<Summary> sofar = new AtomicReference<>(Summary.EMPTY);
    CompletionStage<Summary> done = entity.getDataBytes()
        .via(Framing.delimiter(ByteString.fromString("\n"), settings.maxLineBytes(), FramingTruncation.ALLOW))
        .zipWithIndex()
        .grouped(settings.linesPerChunk())
        .mapAsync(settings.parallelism(), this::record)
        .map(chunk -> sofar.updateAndGet(s -> s.plus(chunk, settings.maxErrorsListed())))
        .runFold(Summary.EMPTY, (previous, latest) -> latest, materializer);
    return Stages.on(done, system.executionContext()).handle((summary, failure) -> {
      if (failure == null) return summary;
      String why = failure instanceof org.apache.pekko.stream.scaladsl.Framing.FramingException
          ? "a line is longer than " + settings.maxLineBytes() + " bytes (segmentd.ingest.import.max-line-bytes); the import stopped there"
          : "the import stopped: " + failure.getMessage();
      return sofar.get().failed(why + "; the events counted as accepted are recorded, and sending the whole file again counts nothing twice");
    });
  }

  /** Parses a chunk's lines and records its valid events; refused lines are listed, not recorded. */
  private CompletionStage<Chunk> record(List<Pair<ByteString, Long>> lines) {
    List<CustomerEvent> events = new ArrayList<>(lines.size());
    List<LineError> errors = new ArrayList<>();
    long counted = 0;
    for (Pair<ByteString, Long> line : lines) {
      ByteString text = line.first();
      if (text.size() > 0 && text.apply(text.size() - 1) == '\r') text = text.take(text.size() - 1);
      if (isBlank(text)) continue;
      counted++;
      long number = line.second() + 1;
      try {
        events.add(parser.parseLine(text.toArray(), number, clock.instant()));
      } catch (InvalidRequest e) {
        metrics.rejected(e.error(), 1);
        errors.add(new LineError(number, e.error(), e.detail()));
      }
    }
    long lineCount = counted;
    if (events.isEmpty()) return CompletableFuture.completedFuture(new Chunk(lineCount, 0, 0, 0, errors));
    return attempt(events, 0).thenApply(outcome -> {
      metrics.recorded(outcome.accepted(), outcome.duplicates(), outcome.erased());
      return new Chunk(lineCount, outcome.accepted(), outcome.duplicates(), outcome.erased(), errors);
    });
  }

  /** Records a chunk, again after a backoff when the node is busy or the journal slow (safe: message ids). */
  private CompletionStage<EventRecorder.Outcome> attempt(List<CustomerEvent> events, int tried) {
    CompletableFuture<EventRecorder.Outcome> recorded;
    try {
      recorded = Stages.on(recorder.record(events), system.executionContext());
    } catch (InvalidRequest e) {
      return CompletableFuture.failedFuture(e);
    }
    return recorded.handle((outcome, failure) -> {
      if (failure == null) return CompletableFuture.completedFuture(outcome);
      boolean transient_ = failure instanceof Overloaded || failure instanceof TimeoutException
          || failure instanceof org.apache.pekko.pattern.AskTimeoutException;
      if (!transient_ || tried >= settings.retries()) return CompletableFuture.<EventRecorder.Outcome>failedFuture(failure);
      Duration backoff = settings.retryBackoff().multipliedBy(1L << Math.min(tried, 5));
      return Stages.on(Patterns.after(backoff, system.classicSystem().scheduler(), system.executionContext(),
          () -> attempt(events, tried + 1)), system.executionContext());
    }).thenCompose(stage -> stage);
  }

  private static boolean isBlank(ByteString line) {
    for (int i = 0; i < line.size(); i++) {
      byte b = line.apply(i);
      if (b != ' ' && b != '\t' && b != '\r') return false;
    }
    return true;
  }
}
