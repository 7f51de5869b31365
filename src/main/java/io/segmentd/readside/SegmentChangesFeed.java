package io.segmentd.readside;

import io.segmentd.http.InvalidRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Reads a segment's changes logs (one per slice) after a cursor (one position per slice), once or
 * following them as they grow. Only rows up to each log's committed head are read: those never
 * change and have no gaps, so a reader that moves its cursor past a position has delivered it.
 */
public final class SegmentChangesFeed {
  /** Rows a round reads of each slice at most. */
  private static final int PAGE = 1000;

  private final ActorSystem<?> system;
  private final SegmentStore store;
  private final int slices;
  private final Duration pollInterval;

  public SegmentChangesFeed(ActorSystem<?> system, SegmentStore store, int slices, Duration pollInterval) {
    this.system = system;
    this.store = store;
    this.slices = slices;
    this.pollInterval = pollInterval;
  }

  public int slices() {
    return slices;
  }

  /** A reader's position: the log's generation, and the last position it has seen of every slice. */
  public record ChangesCursor(long generation, long[] positions) {
    public static ChangesCursor start(long generation, int slices) {
      return new ChangesCursor(generation, new long[slices]);
    }

    public static ChangesCursor parse(String text, int slices) {
      String[] parts = text.split("\\.", -1);
      if (parts.length != slices + 1) throw foreign(text);
      long[] numbers = new long[parts.length];
      try {
        for (int i = 0; i < parts.length; i++) numbers[i] = Long.parseLong(parts[i]);
      } catch (NumberFormatException e) {
        throw foreign(text);
      }
      if (Arrays.stream(numbers).anyMatch(n -> n < 0)) throw foreign(text);
      return new ChangesCursor(numbers[0], Arrays.copyOfRange(numbers, 1, numbers.length));
    }

    private static InvalidRequest foreign(String text) {
      return new InvalidRequest("invalid_parameter", "since '" + text + "' is not a cursor this API returned");
    }

    public ChangesCursor with(int slice, long position) {
      long[] next = positions.clone();
      next[slice] = position;
      return new ChangesCursor(generation, next);
    }

    public String render() {
      return generation + "." + Arrays.stream(positions).mapToObj(Long::toString).collect(Collectors.joining("."));
    }
  }

  /**
   * Where a reader starts: after {@code since}, or at the start of the log. A cursor into an
   * older generation (the read side was rebuilt since) or past a committed head did not come from
   * this log, and resuming from it could skip or repeat transitions: refused.
   */
  public CompletionStage<ChangesCursor> start(String segment, Optional<String> since) {
    Optional<ChangesCursor> cursor = since.map(text -> ChangesCursor.parse(text, slices));
    return store.changesGeneration().thenCombine(store.committedHeads(segment, slices), (generation, heads) -> {
      if (cursor.isEmpty()) return ChangesCursor.start(generation, slices);
      if (cursor.get().generation() != generation) {
        throw new InvalidRequest("invalid_parameter", "since '" + since.get() + "' is from before the read side was rebuilt; "
            + "read the changes again from the start (without since or Last-Event-ID)");
      }
      for (int slice = 0; slice < slices; slice++) {
        if (cursor.get().positions()[slice] > heads[slice]) throw ChangesCursor.foreign(since.get());
      }
      return cursor.get();
    });
  }

  /** Where a reader stands: its positions, and for a reader that does not follow, the heads it reads up to. */
  private record Round(long[] positions, long[] upTo) {}

  /**
   * Every slice's changes after the cursor, each slice in position order; without follow up to
   * the heads committed when it starts, with follow polled until the log is rebuilt (the stream
   * then ends, and resuming from its cursor is refused).
   */
  public Source<SegmentChange, NotUsed> changes(String segment, ChangesCursor from, boolean follow) {
    return Source.<Round, List<SegmentChange>>unfoldAsync(new Round(from.positions().clone(), null), round -> {
          CompletionStage<long[]> heads = round.upTo() != null ? CompletableFuture.completedFuture(round.upTo()) : store.committedHeads(segment, slices);
          return heads.thenCompose(upTo -> read(segment, round.positions(), upTo)
              .thenCompose(batch -> store.changesGeneration().thenCompose(generation -> {
                // Rows read while a rebuild emptied the log may be the new generation's: not delivered.
                if (generation != from.generation()) return CompletableFuture.completedFuture(Optional.empty());
                long[] positions = round.positions().clone();
                for (SegmentChange change : batch) positions[change.slice()] = change.position();
                var next = Optional.of(Pair.create(new Round(positions, follow ? null : upTo), batch));
                if (!batch.isEmpty()) return CompletableFuture.completedFuture(next);
                if (!follow) return CompletableFuture.completedFuture(Optional.empty());
                // the actor system's scheduler: a JDK delayed executor would start a thread per poll
                return org.apache.pekko.pattern.Patterns.after(pollInterval, system.classicSystem().scheduler(), system.executionContext(),
                    () -> CompletableFuture.completedFuture(next));
              })));
        })
        .mapConcat(batch -> batch);
  }

  /** At most a page of every slice whose head is past the reader's position, slice after slice. */
  private CompletionStage<List<SegmentChange>> read(String segment, long[] positions, long[] heads) {
    List<CompletableFuture<List<SegmentChange>>> reads = new ArrayList<>();
    for (int slice = 0; slice < slices; slice++) {
      if (heads[slice] > positions[slice]) {
        reads.add(store.changes(segment, slice, positions[slice], Math.min(heads[slice], positions[slice] + PAGE)).toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
      List<SegmentChange> batch = new ArrayList<>();
      for (CompletableFuture<List<SegmentChange>> read : reads) batch.addAll(read.join());
      return batch;
    });
  }
}
