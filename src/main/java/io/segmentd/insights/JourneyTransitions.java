package io.segmentd.insights;

import io.segmentd.readside.SegmentChange;
import io.segmentd.readside.SegmentStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The journey transitions of every customer, from the read side's changes logs (one per journey
 * segment and slice, read up to their committed heads), and the members of a segment to restrict
 * them to. Erased customers' rows are empty there and not read.
 */
public final class JourneyTransitions {
  private static final int MEMBERS_PAGE = 10_000;

  private final SegmentStore store;
  private final int slices;
  private final List<String> stages;
  private final io.segmentd.replay.CustomerJournal journal;
  private final java.util.function.Supplier<io.segmentd.segmentation.SegmentEngine> engine;
  private final io.segmentd.segmentation.ProfileSettings profileSettings;
  private final int parallelism;

  /** {@code stages}: the journey's stages, lapsed not among them; {@code parallelism}: journals read at once for {@link #derived}. */
  public JourneyTransitions(SegmentStore store, int slices, List<String> stages, io.segmentd.replay.CustomerJournal journal,
                            java.util.function.Supplier<io.segmentd.segmentation.SegmentEngine> engine,
                            io.segmentd.segmentation.ProfileSettings profileSettings, int parallelism) {
    this.store = store;
    this.slices = slices;
    this.stages = List.copyOf(stages);
    this.journal = journal;
    this.engine = engine;
    this.profileSettings = profileSettings;
    this.parallelism = parallelism;
  }

  /**
   * The journey transitions derived from every customer's journal in event time, up to {@code until}
   * (what {@code /history?order=event} shows): the true timeline even of a history imported late,
   * whose persisted transitions are only the net change at the time of its import. One fold per
   * customer: slower than the changes logs.
   */
  public CompletionStage<List<JourneyAnalytics.Transition>> derived(java.time.Instant until, Optional<Set<String>> only) {
    List<JourneyAnalytics.Transition> out = java.util.Collections.synchronizedList(new ArrayList<>());
    return journal.customerIds()
        .thenApply(ids -> ids.stream().filter(id -> only.map(o -> o.contains(id)).orElse(true)).toList())
        .thenCompose(ids -> journal.forEach(ids, parallelism, (id, events) -> {
          for (var change : io.segmentd.replay.EventTimeline.derive(events, engine.get(), profileSettings, null, until)) {
            if (!change.segment().startsWith("journey:")) continue;
            out.add(new JourneyAnalytics.Transition(id, change.segment().substring("journey:".length()), change.direction().equals("entered"),
                change.at()));
          }
        }))
        .thenApply(done -> List.copyOf(out));
  }

  public List<String> stages() {
    return stages;
  }

  public CompletionStage<List<JourneyAnalytics.Transition>> all() {
    List<String> segments = new ArrayList<>();
    for (String stage : stages) segments.add("journey:" + stage);
    segments.add("journey:" + JourneyAnalytics.LAPSED);
    List<JourneyAnalytics.Transition> out = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletionStage<Void> read = CompletableFuture.completedFuture(null);
    for (String segment : segments) {
      String stage = segment.substring("journey:".length());
      read = read.thenCompose(v -> store.committedHeads(segment, slices)).thenCompose(heads -> {
        CompletionStage<Void> slicesRead = CompletableFuture.completedFuture(null);
        for (int slice = 0; slice < slices; slice++) {
          int s = slice;
          long head = heads[slice];
          if (head == 0) continue;
          slicesRead = slicesRead.thenCompose(v -> store.changes(segment, s, 0, head)).thenAccept(changes -> {
            for (SegmentChange c : changes) {
              out.add(new JourneyAnalytics.Transition(c.customerId(), stage, c.direction().equals("entered"), c.at()));
            }
          });
        }
        return slicesRead;
      });
    }
    return read.thenApply(v -> List.copyOf(out));
  }

  /** The members of a segment now (its read-side key), every page. */
  public CompletionStage<Set<String>> members(String readSideKey) {
    return page(readSideKey, Optional.empty(), new HashSet<>());
  }

  private CompletionStage<Set<String>> page(String key, Optional<String> cursor, Set<String> into) {
    return store.members(key, cursor, MEMBERS_PAGE).thenCompose(page -> {
      into.addAll(page.members());
      return page.nextCursor().isPresent() ? page(key, page.nextCursor(), into) : CompletableFuture.completedFuture(into);
    });
  }
}
