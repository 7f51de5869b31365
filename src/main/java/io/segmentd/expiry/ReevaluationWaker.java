package io.segmentd.expiry;

import io.segmentd.customer.Customer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * One waker per schedule slice, spread over the cluster by {@link ShardedDaemonProcess}: every
 * tick it wakes the customers of its slice that are due (a passivated one is started by
 * sharding), then waits for the next tick. No full sweep: it reads only due rows.
 */
public final class ReevaluationWaker {
  public sealed interface Command {}

  private enum Tick implements Command { INSTANCE }


  private record Finished(Instant upTo, CassandraReevaluationSchedule.Round round, Throwable failure) implements Command {}

  private ReevaluationWaker() {}

  /** Told of every customer woken because its re-evaluation is due, and of every one that has re-evaluated. */
  public record Observer(Runnable due, Runnable done) {}

  public static void init(ActorSystem<?> system, CassandraReevaluationSchedule schedule, Clock clock,
                          Duration tickInterval, Duration watermarkGrace, Duration askTimeout, int parallelism,
                          Observer observer) {
    ClusterSharding sharding = ClusterSharding.get(system);
    ShardedDaemonProcess.get(system).init(Command.class, "reevaluation-waker", schedule.slices(),
        slice -> create(slice, schedule, due -> {
          observer.due().run();
          CompletionStage<Done> reevaluated = sharding.entityRefFor(Customer.ENTITY_KEY, due.customerId())
              .<Done>askWithStatus(replyTo -> new Customer.Reevaluate(due.due(), replyTo), askTimeout);
          return io.segmentd.common.Stages.on(reevaluated, system.executionContext()).thenApply(done -> {
            observer.done().run();
            return done;
          });
        }, clock, tickInterval, watermarkGrace, parallelism));
  }

  static Behavior<Command> create(int slice, CassandraReevaluationSchedule schedule,
                                  java.util.function.Function<CassandraReevaluationSchedule.Due, CompletionStage<Done>> wake,
                                  Clock clock, Duration tickInterval, Duration watermarkGrace, int parallelism) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startSingleTimer(Tick.INSTANCE, tickInterval);
      return waiting(slice, schedule, wake, clock, tickInterval, watermarkGrace, parallelism, Instant.EPOCH, ctx, timers);
    }));
  }

  /** {@code watermark}: every row due at or before it has been handled (a restarted waker starts from the beginning). */
  private static Behavior<Command> waiting(int slice, CassandraReevaluationSchedule schedule,
                                           java.util.function.Function<CassandraReevaluationSchedule.Due, CompletionStage<Done>> wake,
                                           Clock clock, Duration tickInterval, Duration watermarkGrace, int parallelism, Instant watermark,
                                           org.apache.pekko.actor.typed.javadsl.ActorContext<Command> ctx,
                                           org.apache.pekko.actor.typed.javadsl.TimerScheduler<Command> timers) {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.INSTANCE, () -> {
          Instant now = clock.instant();
          ctx.pipeToSelf(schedule.wakeDue(slice, watermark, now, wake, parallelism), (round, failure) -> new Finished(now, round, failure));
          return Behaviors.same();
        })
        .onMessage(Finished.class, finished -> {
          Instant next = watermark;
          if (finished.failure() != null) {
            ctx.getLog().warn("re-evaluation of slice {} failed, retrying next tick: {}", slice, finished.failure().getMessage());
          } else {
            if (finished.round().woken() > 0) ctx.getLog().debug("slice {}: woke {} customers", slice, finished.round().woken());
            // Only a round without failures moves the watermark, so failed rows are read again; it
            // trails by a grace period, for rows written late or by a node whose clock is behind.
            if (finished.round().failed() == 0) next = finished.upTo().minus(watermarkGrace);
          }
          timers.startSingleTimer(Tick.INSTANCE, tickInterval);
          return waiting(slice, schedule, wake, clock, tickInterval, watermarkGrace, parallelism, next, ctx, timers);
        })
        .build();
  }
}
