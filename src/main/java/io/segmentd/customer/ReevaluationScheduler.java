package io.segmentd.customer;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Where a customer's next time-driven re-evaluation is kept durably, so that a passivated
 * customer still leaves a segment at the instant a window passes.
 *
 * <p>Both operations only report their outcome: retrying is the entity's business, because only
 * it knows whether an instant is still wanted.
 */
public interface ReevaluationScheduler {
  ReevaluationScheduler NONE = new ReevaluationScheduler() {
    @Override
    public CompletionStage<Done> schedule(String customerId, Instant due) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> unschedule(String customerId, Instant due) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  };

  /**
   * Records that {@code customerId} must be re-evaluated at {@code due}; idempotent. Completes
   * once the record is durable, fails if it may not be.
   */
  CompletionStage<Done> schedule(String customerId, Instant due);

  /** Removes what {@link #schedule} recorded for {@code due}; idempotent, and harmless if it fails. */
  CompletionStage<Done> unschedule(String customerId, Instant due);

  /**
   * The instant a row for {@code due} is kept at: milliseconds, as Cassandra keeps them, rounded up
   * so that a customer is never woken before its instant. Two instants in one millisecond share a row.
   */
  static Instant rowInstant(Instant due) {
    Instant truncated = due.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    return truncated.equals(due) ? due : truncated.plusMillis(1);
  }
}
