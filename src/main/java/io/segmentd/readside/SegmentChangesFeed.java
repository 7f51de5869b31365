package io.segmentd.readside;

import io.segmentd.http.InvalidRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Reads the per-slice changes log of a segment after a cursor (one offset per slice), once or
 * following it as it grows.
 */
public final class SegmentChangesFeed {
  private static final int FOLLOW_PAGE = 1000;

  private final ActorSystem<?> system;
  private final SegmentStore store;
  private final int slices;
  private final Duration pollInterval;
  private final int firstDay;
  private final Clock clock;

  public SegmentChangesFeed(ActorSystem<?> system, SegmentStore store, int slices, Duration pollInterval, String firstTimeBucket, Clock clock) {
    this.system = system;
    this.store = store;
    this.slices = slices;
    this.pollInterval = pollInterval;
    this.firstDay = (int) LocalDateTime.parse(firstTimeBucket, DateTimeFormatter.ofPattern("yyyyMMdd'T'HH:mm"))
        .toLocalDate().toEpochDay();
    this.clock = clock;
  }

  public int slices() {
    return slices;
  }

  /** A reader's position: the last offset it has seen of every slice. */
  public record ChangesCursor(UUID[] offsets) {
    public static ChangesCursor start(int slices) {
      UUID[] offsets = new UUID[slices];
      Arrays.fill(offsets, TimeUuids.MIN);
      return new ChangesCursor(offsets);
    }

    public static ChangesCursor parse(String text, int slices) {
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

    public ChangesCursor with(int slice, UUID offset) {
      UUID[] next = offsets.clone();
      next[slice] = offset;
      return new ChangesCursor(next);
    }

    public String render() {
      return Arrays.stream(offsets).map(o -> o.equals(TimeUuids.MIN) ? "" : o.toString()).collect(Collectors.joining("."));
    }
  }

  /** Every slice's changes after the cursor, each slice in offset order; with follow, polled forever. */
  public Source<SegmentChange, NotUsed> changes(String id, ChangesCursor start, boolean follow) {
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

  private int today() {
    return (int) clock.instant().atOffset(ZoneOffset.UTC).toLocalDate().toEpochDay();
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
                // the actor system's scheduler: a JDK delayed executor would start a thread per poll
                return org.apache.pekko.pattern.Patterns.after(pollInterval, system.classicSystem().scheduler(), system.executionContext(),
                    () -> java.util.concurrent.CompletableFuture.completedFuture(result));
              });
        })
        .mapConcat(batch -> batch);
  }
}
