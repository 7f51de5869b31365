package io.segmentd.replay;

import io.segmentd.segmentation.Profile;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * {@code replay diff} and the admin preview: every customer's journal folded and evaluated at one
 * instant under the running definitions and under proposed ones. Writes nothing.
 */
public final class Diff {
  private final Definitions current;
  private final Definitions proposed;
  private final Instant at;
  private final MembershipDiff diff;
  private final boolean sameShape;

  public Diff(Definitions current, Definitions proposed, Instant at, int samples) {
    this.current = current;
    this.proposed = proposed;
    this.at = at;
    this.diff = new MembershipDiff(samples, current.changedSegments(proposed));
    this.sameShape = current.settings().profile().equals(proposed.settings().profile());
  }

  /** Folds one customer's journal under both definitions and tallies the difference. */
  public void customer(CustomerHistory history) {
    if (history.eventCount() == 0) return;
    Profile before = history.profile(current.settings().profile());
    // Definitions that read other properties keep other groups: then the journal is folded for each.
    Profile after = sameShape ? before : history.profile(proposed.settings().profile());
    diff.customer(history.customerId(), current.settings().engine().evaluate(before, at).keySet(),
        proposed.settings().engine().evaluate(after, at).keySet());
  }

  public Consumer<CustomerHistory> consumer() {
    return this::customer;
  }

  public MembershipDiff.Report report() {
    return diff.report();
  }

  public Instant at() {
    return at;
  }
}
