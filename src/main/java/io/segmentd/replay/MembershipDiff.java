package io.segmentd.replay;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How two sets of definitions disagree, customer by customer: per segment the size before and
 * after, and who enters and leaves (counts, and the first {@code samples} customer ids in order).
 * Thread-safe: a parallel scan feeds it.
 */
public final class MembershipDiff {
  private final int samples;
  private final Set<String> changedDefinitions;
  private final Map<String, Tally> tallies = new TreeMap<>();
  private final AtomicLong customers = new AtomicLong();

  /** @param changedDefinitions the segments whose definitions differ (reported even when nobody moves) */
  public MembershipDiff(int samples, Collection<String> changedDefinitions) {
    this.samples = samples;
    this.changedDefinitions = new TreeSet<>(changedDefinitions);
  }

  public void customer(String customerId, Set<String> before, Set<String> after) {
    customers.incrementAndGet();
    synchronized (tallies) {
      for (String segment : before) {
        Tally tally = tally(segment);
        tally.before++;
        if (!after.contains(segment)) tally.leave(customerId, samples);
      }
      for (String segment : after) {
        Tally tally = tally(segment);
        tally.after++;
        if (!before.contains(segment)) tally.enter(customerId, samples);
      }
    }
  }

  private Tally tally(String segment) {
    return tallies.computeIfAbsent(segment, s -> new Tally());
  }

  /** One segment's change. */
  public record SegmentDiff(String segment, boolean definitionChanged, long before, long after, long entering, long leaving,
                            List<String> enteringSample, List<String> leavingSample) {}

  public record Report(long customers, List<SegmentDiff> segments) {}

  /** The segments whose definition changed or whose members change, by segment id. */
  public Report report() {
    List<SegmentDiff> out = new ArrayList<>();
    synchronized (tallies) {
      Set<String> segments = new TreeSet<>(tallies.keySet());
      segments.addAll(changedDefinitions);
      for (String segment : segments) {
        Tally t = tallies.getOrDefault(segment, new Tally());
        boolean changed = changedDefinitions.contains(segment);
        if (!changed && t.entering == 0 && t.leaving == 0) continue;
        out.add(new SegmentDiff(segment, changed, t.before, t.after, t.entering, t.leaving, List.copyOf(t.enteringSample),
            List.copyOf(t.leavingSample)));
      }
    }
    return new Report(customers.get(), List.copyOf(out));
  }

  private static final class Tally {
    long before;
    long after;
    long entering;
    long leaving;
    final TreeSet<String> enteringSample = new TreeSet<>();
    final TreeSet<String> leavingSample = new TreeSet<>();

    void enter(String customerId, int samples) {
      entering++;
      keep(enteringSample, customerId, samples);
    }

    void leave(String customerId, int samples) {
      leaving++;
      keep(leavingSample, customerId, samples);
    }

    /** The smallest ids, so the sample does not depend on the order of the scan. */
    private static void keep(TreeSet<String> sample, String customerId, int samples) {
      sample.add(customerId);
      if (sample.size() > samples) sample.pollLast();
    }
  }
}
