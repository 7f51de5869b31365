package io.segmentd.customer;

import io.segmentd.common.Stages;
import io.segmentd.segmentation.BehaviorEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;

/** {@link Identities} over cluster sharding (the customer may live on any node) and the Cassandra journal. */
public final class ShardedIdentities implements Identities {
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final CassandraReadJournal journal;
  private final Duration timeout;

  public ShardedIdentities(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.journal = PersistenceQuery.get(system).getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Customer.Sealed> seal(String alias, String target) {
    return Stages.on(sharding.entityRefFor(Customer.ENTITY_KEY, alias)
        .<Customer.Sealed>askWithStatus(replyTo -> new Customer.Seal(target, replyTo), timeout), system.executionContext());
  }

  /** Mutable, as the stream folds into it (one per read, never shared). */
  private static final class Collected {
    final List<BehaviorEvent> facts = new ArrayList<>();
    final Set<String> aliases = new TreeSet<>();
  }

  @Override
  public CompletionStage<Handover> handover(String alias, int maxEvents) {
    var read = journal.currentEventsByPersistenceId(Customer.persistenceId(alias).id(), 0, Long.MAX_VALUE)
        .runFold(new Collected(), (collected, envelope) -> {
          if (envelope.event() instanceof Customer.EventsRecorded recorded) {
            collected.facts.addAll(recorded.events());
            if (collected.facts.size() > maxEvents) {
              throw new HistoryTooLong("customer '" + alias + "' holds more than " + maxEvents
                  + " events, more than a merge takes over (segmentd.identity.max-merged-events)");
            }
          } else if (envelope.event() instanceof Customer.AliasMerged merged) {
            collected.aliases.add(merged.alias());
            collected.aliases.addAll(merged.aliases());
          }
          return collected;
        }, system);
    return Stages.on(read, system.executionContext()).thenApply(c -> new Handover(List.copyOf(c.facts), Set.copyOf(c.aliases)));
  }

  @Override
  public void tell(String customerId, Customer.Command command) {
    sharding.entityRefFor(Customer.ENTITY_KEY, customerId).tell(command);
  }
}
