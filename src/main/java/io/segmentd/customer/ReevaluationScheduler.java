package io.segmentd.customer;

import java.time.Instant;

/**
 * Where a customer's next time-driven re-evaluation is kept durably, so that a passivated
 * customer still leaves a segment at the instant a window passes.
 */
public interface ReevaluationScheduler {
  ReevaluationScheduler NONE = (customerId, due) -> {};

  /** Records that {@code customerId} must be re-evaluated at {@code due}; idempotent. */
  void schedule(String customerId, Instant due);
}
