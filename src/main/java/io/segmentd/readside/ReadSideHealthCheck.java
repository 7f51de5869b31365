package io.segmentd.readside;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * Readiness (pekko-management, {@code read-side}): the read side's tables answer, so the node's
 * member lists, counts and changes can be served. Lag is not a reason to leave the load balancer
 * (every node reads the same tables); it is a metric and on the operations page.
 */
public final class ReadSideHealthCheck implements Supplier<CompletionStage<Boolean>> {
  private final CassandraSession session;
  private final String statement;
  private final ActorSystem system;

  public ReadSideHealthCheck(ActorSystem system) {
    this.system = system;
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.persistence.cassandra");
    this.statement = "SELECT segment FROM " + system.settings().config().getString("segmentd.cassandra.keyspace")
        + ".segment_bucket_counts LIMIT 1";
  }

  @Override
  public CompletionStage<Boolean> get() {
    return io.segmentd.common.Stages.on(session.selectOne(statement), system.dispatcher()).thenApply(row -> true);
  }
}
