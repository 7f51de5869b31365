package io.segmentd.customer;

import io.segmentd.common.Stages;
import io.segmentd.customer.Customer.Command;
import io.segmentd.customer.Customer.RetrySchedule;
import io.segmentd.customer.Customer.ScheduleWritten;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one customer's next re-evaluation instant durably in the {@link ReevaluationScheduler},
 * on the entity's own thread (never blocking it). Nothing here is persisted: a restarted entity
 * announces its instant again when its recovery completes.
 *
 * <p>What it guarantees: while the customer has a next instant, either a row due at or before it
 * is known to be durable ("covered"), or somebody who retries is still waiting for a reply:
 * <ul>
 *   <li>an instant counts as scheduled only once a row at or before it is confirmed; a failed write
 *       is retried with backoff for as long as the entity lives, one write in flight at a time,
 *       always of the latest instant wanted (a busy customer coalesces its writes);</li>
 *   <li>a row is written only when the instant moves earlier than every row known to be durable:
 *       an instant that moves later stays covered by the earlier row, whose wake-up finds nothing
 *       to do and writes the instant then (a wake-up always writes its successor). A customer
 *       whose edge moves later with new events (recency, facts leaving retention) thus writes on
 *       its wake-ups, not on every batch;</li>
 *   <li>the rows this entity wrote stay until the current instant is confirmed, then the others are
 *       deleted: an earlier row covers a later instant meanwhile, and superseded rows do not pile
 *       up (one that escapes, e.g. of an entity that crashed, costs one wake-up that changes nothing,
 *       and the waker deletes it);</li>
 *   <li>replies wait: a recorded batch until its instant is covered (a client whose request timed
 *       out retries, and the retry meets an entity that announces its instant again), a wake-up
 *       until the next instant is confirmed (the waker deletes the row it woke for only after that
 *       reply, so that row is the durable reminder until its successor exists), and passivation
 *       until covered.</li>
 * </ul>
 */
final class ScheduleKeeper {
  private static final Logger log = LoggerFactory.getLogger(ScheduleKeeper.class);

  private final String customerId;
  private final ReevaluationScheduler scheduler;
  private final Clock clock;
  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;

  /** The instant the customer must next be re-evaluated at; null: none. */
  private Instant wanted;
  /** Counts changes of {@link #wanted}, so the outcome of a superseded write is recognised. */
  private long generation;
  /**
   * The current generation needs no write: its own row is durable, or (outside a wake-up) an
   * earlier durable row covers it.
   */
  private boolean confirmed;
  /**
   * A wake-up consumed a row (which one is not known here: the waker deletes it once answered) and
   * waits until its successor is written: until then no instant counts as covered without a write
   * of its own, so the reply never rests on the row that is about to go.
   */
  private boolean waking;
  private boolean writing;
  private int failures;
  private boolean stopRequested;
  /** Rows this entity knows to be durable and has not deleted, at the instants the rows are kept at. */
  private final NavigableSet<Instant> rows = new TreeSet<>();
  private Instant currentRow;
  private final List<Runnable> untilCovered = new ArrayList<>();
  private final List<Runnable> untilConfirmed = new ArrayList<>();

  ScheduleKeeper(String customerId, ReevaluationScheduler scheduler, Clock clock, Duration minBackoff, Duration maxBackoff,
                 ActorContext<Command> ctx, TimerScheduler<Command> timers) {
    this.customerId = customerId;
    this.scheduler = scheduler;
    this.clock = clock;
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
    this.ctx = ctx;
    this.timers = timers;
  }

  /**
   * The customer's next instant is now {@code due} (null: none). With {@code rewrite}, it is
   * written again even if unchanged: a wake-up consumes the row it came from.
   */
  void want(Instant due, boolean rewrite) {
    if (!rewrite && Objects.equals(due, wanted)) return;
    wanted = due;
    generation++;
    confirmed = false;
    currentRow = null;
    if (due == null) {
      waking = false; // nothing to wait for: a wake-up is answered at once
    } else if (rewrite) {
      waking = true;
    } else if (!waking) {
      // A durable row at or before the instant wakes the customer in time: no write. Its wake-up
      // (rewrite) then writes whatever instant is wanted by that time.
      Instant covering = rows.floor(ReevaluationScheduler.rowInstant(due));
      if (covering != null) {
        confirmed = true;
        currentRow = covering;
      }
    }
    tidy();
    writeIfIdle();
    runWaiters();
  }

  /** Runs {@code reply} once the current instant is covered by a durable row at or before it. */
  void whenCovered(Runnable reply) {
    if (covered()) reply.run();
    else untilCovered.add(reply);
  }

  /** Runs {@code reply} once the current instant itself is durable. */
  void whenConfirmed(Runnable reply) {
    if (confirmedOrNone()) reply.run();
    else untilConfirmed.add(reply);
  }

  void onWritten(ScheduleWritten written) {
    writing = false;
    if (written.failure() == null) {
      failures = 0;
      rows.add(written.row());
      if (written.generation() == generation) {
        confirmed = true;
        waking = false;
        currentRow = written.row();
      }
      tidy();
      writeIfIdle();
    } else {
      failures++;
      Duration delay = backoff();
      if (wanted != null && !confirmed) {
        log.warn("scheduling customer {} at {} failed (attempt {}), retrying in {} ms: {}",
            customerId, wanted, failures, delay.toMillis(), written.failure().toString());
        timers.startSingleTimer(RetrySchedule.INSTANCE, delay);
      }
    }
    runWaiters();
  }

  void onRetry() {
    writeIfIdle();
  }

  /** Whether the entity may stop now without leaving its instant uncovered. */
  boolean mayStop() {
    return covered() && !writing;
  }

  /** Sharding asked the entity to stop while it could not: it stops after a later write. */
  void holdStop() {
    if (!stopRequested) {
      log.debug("customer {} stays until its next instant {} is durable", customerId, wanted);
    }
    stopRequested = true;
  }

  boolean stopRequested() {
    return stopRequested;
  }

  private boolean confirmedOrNone() {
    return wanted == null || confirmed;
  }

  private boolean covered() {
    // A row rewritten as "now" for an instant that passed meanwhile is later than it, yet covers it.
    return confirmedOrNone() || rows.floor(ReevaluationScheduler.rowInstant(wanted)) != null;
  }

  private void writeIfIdle() {
    if (writing || confirmedOrNone()) return;
    writing = true;
    long forGeneration = generation;
    // An instant that passed while its write was failing is written as now: the waker reads what is
    // due since its watermark (a little before now), and the catch-up still stamps the exact instant.
    Instant now = clock.instant();
    // Kept as the row's own instant, so that deleting a superseded row never hits the current one.
    Instant row = ReevaluationScheduler.rowInstant(wanted.isBefore(now) ? now : wanted);
    // On the dispatcher: pipeToSelf's whenComplete on a Pekko stage would start a thread (see Stages).
    ctx.pipeToSelf(Stages.on(attempt(() -> scheduler.schedule(customerId, row)), ctx.getExecutionContext()),
        (done, failure) -> new ScheduleWritten(forGeneration, row, failure));
  }

  /** Deletes the rows nothing needs any more: all but the current one once it is durable. */
  private void tidy() {
    if (wanted != null && !confirmed) return;
    for (Instant row : List.copyOf(rows)) {
      if (row.equals(currentRow)) continue;
      rows.remove(row);
      attempt(() -> scheduler.unschedule(customerId, row)).whenCompleteAsync((done, failure) -> {
        if (failure != null) {
          log.debug("deleting the superseded schedule row of {} at {} failed; its wake-up will change nothing: {}",
              customerId, row, failure.toString());
        }
      }, ctx.getExecutionContext());
    }
  }

  private void runWaiters() {
    if (covered()) run(untilCovered);
    if (confirmedOrNone()) run(untilConfirmed);
  }

  private static void run(List<Runnable> waiting) {
    List<Runnable> now = List.copyOf(waiting);
    waiting.clear();
    now.forEach(Runnable::run);
  }

  private Duration backoff() {
    long min = minBackoff.toMillis();
    long exponential = min << Math.min(failures - 1, 20);
    long capped = Math.min(Math.max(exponential, min), maxBackoff.toMillis());
    // Jitter, so that entities failing together do not retry together.
    return Duration.ofMillis(capped + ThreadLocalRandom.current().nextLong(capped / 5 + 1));
  }

  private static CompletionStage<Done> attempt(java.util.function.Supplier<CompletionStage<Done>> write) {
    try {
      return write.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
