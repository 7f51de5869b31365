package io.segmentd.insights;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * Retrains the propensity models of the configured targets every {@code every}, on one node of the
 * cluster at a time (a cluster singleton: two nodes training at once would race for a version).
 */
public final class RetrainSchedule {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RetrainSchedule.class);

  private RetrainSchedule() {}

  private enum Tick { INSTANCE }

  public static void start(ActorSystem<?> system, Propensities propensities, List<String> targets, Duration every) {
    if (targets.isEmpty() || every.isZero()) return;
    Behavior<Tick> trainer = Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, every);
      return Behaviors.receiveMessage(tick -> {
        // A training under way is left to finish; its next turn comes with the next tick.
        for (String target : targets) {
          propensities.train(target).ifPresent(training -> training.whenComplete((model, failure) -> {
            if (failure != null) log.warn("scheduled training of the propensity model for {} failed: {}", target, failure.getMessage());
            else log.info("propensity model for {} retrained: version {}, {} examples", target, model.version(), model.examples());
          }));
        }
        return Behaviors.same();
      });
    });
    ClusterSingleton.get(system).init(SingletonActor.of(trainer, "propensity-retrain"));
  }
}
