package io.segmentd.admin;

import io.segmentd.definitions.DefinitionStore;
import io.segmentd.definitions.LiveDefinitions;

import io.segmentd.common.Stages;
import io.segmentd.customer.Customer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backfills a new version of a stored segment, once per cluster ({@link ShardedDaemonProcess} with
 * one instance: it moves to a survivor with its node). Every customer in the journal is asked to
 * adopt the pending version ({@link Customer.AdoptDefinitions}): it evaluates it and records the
 * transitions into it, with a cause naming the version, which the projection writes to that
 * version's own rows. Live events meanwhile are evaluated under both versions. Once every customer
 * has adopted it and the projections had time to apply that, the pending version becomes the
 * active one in one conditional write: queries answered from the old version's rows until then,
 * and from the new one's after, never from a mix. A backfill cut short (node lost) starts again;
 * adopting twice changes nothing.
 */
public final class Backfills {
  private static final Logger log = LoggerFactory.getLogger(Backfills.class);

  private Backfills() {}

  public record Settings(Duration tick, int parallelism, Duration askTimeout, Duration settle, Duration progressInterval) {}

  interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record Finished(String id, Throwable failure) implements Command {}

  public static void init(ActorSystem<?> system, DefinitionStore store, LiveDefinitions live, Settings settings, Clock clock) {
    ShardedDaemonProcess.get(system).init(Command.class, "definition-backfills", 1,
        i -> Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers -> {
          timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tick());
          return idle(store, live, settings, clock, system);
        })), ShardedDaemonProcessSettings.create(system), Optional.empty());
  }

  private static Behavior<Command> idle(DefinitionStore store, LiveDefinitions live, Settings settings, Clock clock, ActorSystem<?> system) {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.INSTANCE, () -> Behaviors.setup(ctx -> {
          Optional<DefinitionStore.Head> pending = live.snapshot().heads().values().stream()
              .filter(h -> !h.deleted() && h.pending().isPresent()).sorted(java.util.Comparator.comparing(DefinitionStore.Head::id)).findFirst();
          if (pending.isEmpty()) return idle(store, live, settings, clock, system);
          DefinitionStore.Head head = pending.get();
          ctx.pipeToSelf(run(head.id(), head.pending().get(), store, live, settings, clock, system), (done, failure) -> new Finished(head.id(), failure));
          return running(store, live, settings, clock, system);
        }))
        .onMessage(Finished.class, f -> Behaviors.same())
        .build();
  }

  private static Behavior<Command> running(DefinitionStore store, LiveDefinitions live, Settings settings, Clock clock, ActorSystem<?> system) {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.INSTANCE, Behaviors::same)
        .onMessage(Finished.class, f -> {
          if (f.failure() != null) log.warn("backfill of {} failed, retried at the next tick: {}", f.id(), f.failure().getMessage());
          return idle(store, live, settings, clock, system);
        })
        .build();
  }

  /** Adopts version {@code pending} of {@code id} in every customer, then switches to it. */
  static CompletionStage<Done> run(String id, int pending, DefinitionStore store, LiveDefinitions live, Settings settings, Clock clock,
                                   ActorSystem<?> system) {
    String segment = LiveDefinitions.versioned(id, pending);
    CassandraReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    ClusterSharding sharding = ClusterSharding.get(system);
    String prefix = Customer.ENTITY_KEY.name() + "|";
    Instant started = clock.instant();
    AtomicLong done = new AtomicLong();
    log.info("backfilling {}", segment);
    return live.refresh()
        .thenCompose(s -> Stages.on(journal.currentPersistenceIds().filter(p -> p.startsWith(prefix)).runWith(Sink.fold(0L, (n, p) -> n + 1), system),
            system.executionContext()))
        .thenCompose(total -> store.progress(id, pending, "running", total, 0, started).thenApply(v -> total))
        .thenCompose(total -> {
          var progress = system.scheduler().scheduleWithFixedDelay(settings.progressInterval(), settings.progressInterval(),
              () -> store.progress(id, pending, "running", total, done.get(), started), system.executionContext());
          return Stages.on(journal.currentPersistenceIds().filter(p -> p.startsWith(prefix)).map(p -> p.substring(prefix.length()))
                  .mapAsyncUnordered(settings.parallelism(), customerId -> adopt(sharding, customerId, segment, settings, 5, system)
                      .thenApply(d -> done.incrementAndGet()))
                  .runWith(Sink.ignore(), system), system.executionContext())
              .whenComplete((d, e) -> progress.cancel())
              .thenApply(d -> total);
        })
        .thenCompose(total -> store.progress(id, pending, "settling", total, done.get(), started)
            // The projections write what the customers recorded a moment later: let them apply it first.
            .thenCompose(v -> delay(settings.settle(), system)).thenApply(v -> total))
        .thenCompose(total -> store.activate(id, pending, total, clock.instant()))
        .thenCompose(switched -> live.refresh().thenApply(s -> {
          log.info("backfill of {} {}", segment, switched ? "done: it is the active version" : "superseded before the switch");
          return Done.getInstance();
        }));
  }

  /** Asks one customer to adopt; a node that does not know the version yet answers so, and is asked again. */
  private static CompletionStage<Done> adopt(ClusterSharding sharding, String customerId, String segment, Settings settings, int attempts,
                                             ActorSystem<?> system) {
    CompletableFuture<Done> asked = Stages.on(sharding.entityRefFor(Customer.ENTITY_KEY, customerId)
        .<Done>askWithStatus(replyTo -> new Customer.AdoptDefinitions(java.util.Set.of(segment), replyTo), settings.askTimeout()),
        system.executionContext());
    return asked.handle((d, e) -> e).thenCompose(e -> {
      if (e == null) return CompletableFuture.completedFuture(Done.getInstance());
      if (attempts <= 1) return CompletableFuture.failedFuture(e);
      return delay(settings.tick(), system).thenCompose(x -> adopt(sharding, customerId, segment, settings, attempts - 1, system));
    });
  }

  private static CompletionStage<Void> delay(Duration duration, ActorSystem<?> system) {
    CompletableFuture<Void> later = new CompletableFuture<>();
    system.scheduler().scheduleOnce(duration, () -> later.complete(null), system.executionContext());
    return later;
  }
}
