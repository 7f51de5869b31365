package io.segmentd.testing;

import io.segmentd.customer.ReevaluationScheduler;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;

/**
 * A real schedule whose first {@code n} writes fail (the injected fault); records every call, so
 * tests can tell attempts, confirmed writes and deletions apart.
 */
public final class FlakyScheduler implements ReevaluationScheduler {
  public record Call(String customerId, Instant due) {}

  private final ReevaluationScheduler delegate;
  private final AtomicInteger failuresLeft;
  private final List<Call> attempts = new CopyOnWriteArrayList<>();
  private final List<Call> confirmed = new CopyOnWriteArrayList<>();
  private final List<Call> unscheduled = new CopyOnWriteArrayList<>();

  public FlakyScheduler(ReevaluationScheduler delegate, int failFirst) {
    this.delegate = delegate;
    this.failuresLeft = new AtomicInteger(failFirst);
  }

  @Override
  public CompletionStage<Done> schedule(String customerId, Instant due) {
    Call call = new Call(customerId, due);
    attempts.add(call);
    if (failuresLeft.getAndDecrement() > 0) {
      return CompletableFuture.failedFuture(new IllegalStateException("injected schedule write failure"));
    }
    return delegate.schedule(customerId, due).thenApply(done -> {
      confirmed.add(call);
      return done;
    });
  }

  @Override
  public CompletionStage<Done> unschedule(String customerId, Instant due) {
    unscheduled.add(new Call(customerId, due));
    return delegate.unschedule(customerId, due);
  }

  public List<Call> attempts() {
    return List.copyOf(attempts);
  }

  public List<Call> confirmed() {
    return List.copyOf(confirmed);
  }

  public List<Call> unscheduled() {
    return List.copyOf(unscheduled);
  }
}
