package io.segmentd.insights;

import io.segmentd.readside.SegmentChange;
import io.segmentd.readside.SegmentStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * How segment sizes moved: the size of a segment at an instant is its member count now, less what
 * its changes log recorded entering after that instant, plus what it recorded leaving. Instants
 * are the transitions' event times, so a window that expired at midnight shows at midnight.
 * Erased customers are gone from the whole series (their rows are empty in the log).
 */
public final class SizeTrends {
  /** One segment's size at each of the trend's instants. */
  public record Series(String segment, String family, List<Long> counts) {}

  public record Trend(Instant from, Instant to, List<Instant> times, List<Series> series) {}

  private final SegmentStore store;
  private final int slices;

  public SizeTrends(SegmentStore store, int slices) {
    this.store = store;
    this.slices = slices;
  }

  /** {@code points} evenly spaced instants from {@code from} to {@code to}, both included. */
  public static List<Instant> times(Instant from, Instant to, int points) {
    List<Instant> times = new ArrayList<>(points);
    long span = Duration.between(from, to).toMillis();
    for (int i = 0; i < points; i++) times.add(points == 1 ? to : from.plusMillis(Math.round((double) span * i / (points - 1))));
    return times;
  }

  /** Sizes at {@code times} (ascending), from the count {@code now} and the changes after each. */
  public static List<Long> sizes(long now, List<Instant> times, List<SegmentChange> changes) {
    long[] sizes = new long[times.size()];
    java.util.Arrays.fill(sizes, now);
    for (SegmentChange change : changes) {
      long undo = change.direction().equals("entered") ? -1 : 1;
      for (int i = 0; i < times.size() && change.at().isAfter(times.get(i)); i++) sizes[i] += undo;
    }
    List<Long> out = new ArrayList<>(sizes.length);
    for (long size : sizes) out.add(Math.max(0, size));
    return out;
  }

  /**
   * @param segments shown id and family of each segment, in the order to show them
   * @param readSideKey the read-side key of each shown id
   */
  public CompletionStage<Trend> trend(Instant from, Instant to, int points, List<Map.Entry<String, String>> segments,
                                      java.util.function.Function<String, String> readSideKey) {
    List<Instant> times = times(from, to, points);
    return store.counts().thenCompose(counts -> {
      List<Series> out = new ArrayList<>();
      CompletionStage<Void> read = CompletableFuture.completedFuture(null);
      for (var segment : segments) {
        String key = readSideKey.apply(segment.getKey());
        SegmentStore.Count count = counts.get(key);
        read = read.thenCompose(v -> changes(key)).thenAccept(changes ->
            out.add(new Series(segment.getKey(), segment.getValue(), sizes(count == null ? 0 : count.members(), times, changes))));
      }
      return read.thenApply(v -> new Trend(from, to, times, out));
    });
  }

  /** Every slice's log of the segment at once (they are independent partitions). */
  private CompletionStage<List<SegmentChange>> changes(String key) {
    return store.committedHeads(key, slices).thenCompose(heads -> {
      List<CompletableFuture<List<SegmentChange>>> reads = new ArrayList<>();
      for (int slice = 0; slice < slices; slice++) {
        if (heads[slice] > 0) reads.add(store.changes(key, slice, 0, heads[slice]).toCompletableFuture());
      }
      return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
        List<SegmentChange> all = new ArrayList<>();
        for (CompletableFuture<List<SegmentChange>> read : reads) all.addAll(read.join());
        return all;
      });
    });
  }
}
