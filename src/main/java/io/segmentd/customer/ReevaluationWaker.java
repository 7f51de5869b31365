package io.segmentd.customer;

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

  private record Finished(int woken, Throwable failure) implements Command {}

  private ReevaluationWaker() {}

  public static void init(ActorSystem<?> system, CassandraReevaluationSchedule schedule, Clock clock,
                          Duration tickInterval, Duration askTimeout, int parallelism) {
    ClusterSharding sharding = ClusterSharding.get(system);
    ShardedDaemonProcess.get(system).init(Command.class, "reevaluation-waker", schedule.slices(),
        slice -> create(slice, schedule, due -> sharding.entityRefFor(Customer.ENTITY_KEY, due.customerId())
            .<Done>askWithStatus(replyTo -> new Customer.Reevaluate(due.due(), replyTo), askTimeout), clock, tickInterval, parallelism));
  }

  static Behavior<Command> create(int slice, CassandraReevaluationSchedule schedule,
                                  java.util.function.Function<CassandraReevaluationSchedule.Due, CompletionStage<Done>> wake,
                                  Clock clock, Duration tickInterval, int parallelism) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startSingleTimer(Tick.INSTANCE, tickInterval);
      return Behaviors.receive(Command.class)
          .onMessageEquals(Tick.INSTANCE, () -> {
            Instant now = clock.instant();
            ctx.pipeToSelf(schedule.wakeDue(slice, now, wake, parallelism), Finished::new);
            return Behaviors.same();
          })
          .onMessage(Finished.class, finished -> {
            if (finished.failure() != null) {
              ctx.getLog().warn("re-evaluation of slice {} failed, retrying next tick: {}", slice, finished.failure().getMessage());
            } else if (finished.woken() > 0) {
              ctx.getLog().debug("slice {}: woke {} customers", slice, finished.woken());
            }
            timers.startSingleTimer(Tick.INSTANCE, tickInterval);
            return Behaviors.same();
          })
          .build();
    }));
  }
}
