package io.segmentd.testing;

import com.datastax.oss.driver.api.core.cql.Row;
import io.segmentd.customer.Customer;
import io.segmentd.customer.CustomerSettings;
import io.segmentd.replay.CustomerJournal;
import io.segmentd.segmentation.BehaviorEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/** Reads customers' journals straight from Cassandra, from outside the cluster, to check what the nodes wrote. */
public final class JournalReader implements AutoCloseable {
  private final ActorSystem<Void> system;
  private final CustomerJournal journal;
  private final CassandraSession session;
  private final String keyspace;
  private final CustomerSettings settings;

  public JournalReader(String contactPoint, String keyspace) {
    var config = TestNodes.config(contactPoint, keyspace, LocalCassandra.freePort(), Map.of("pekko.actor.provider", "local",
        "segmentd.cassandra.create-schema", false));
    this.system = ActorSystem.create(Behaviors.empty(), "journal-reader", config);
    CustomerSettings settings = CustomerSettings.fromConfig(config.getConfig("segmentd"));
    this.journal = new CustomerJournal(system, settings.engine(), settings.profile());
    this.settings = settings;
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.persistence.cassandra");
    this.keyspace = keyspace;
  }

  /** The message ids of every recorded fact, in journal order (a duplicate would appear twice). */
  public List<String> messageIds(String customerId) throws Exception {
    List<String> ids = new ArrayList<>();
    for (EventEnvelope envelope : journal.envelopes(customerId).toCompletableFuture().get(60, TimeUnit.SECONDS)) {
      if (envelope.event() instanceof Customer.EventsRecorded recorded) {
        for (BehaviorEvent e : recorded.events()) ids.add(e.messageId());
      }
    }
    return ids;
  }

  /** Every recorded fact, in journal order. */
  public List<BehaviorEvent> events(String customerId) throws Exception {
    List<BehaviorEvent> events = new ArrayList<>();
    for (EventEnvelope envelope : journal.envelopes(customerId).toCompletableFuture().get(60, TimeUnit.SECONDS)) {
      if (envelope.event() instanceof Customer.EventsRecorded recorded) events.addAll(recorded.events());
    }
    return events;
  }

  /** The customer's whole journal, decoded, as the replay tools read it. */
  public io.segmentd.replay.CustomerHistory history(String customerId) throws Exception {
    List<io.segmentd.replay.CustomerHistory.Entry> entries = new ArrayList<>();
    for (EventEnvelope envelope : journal.envelopes(customerId).toCompletableFuture().get(60, TimeUnit.SECONDS)) {
      entries.add(new io.segmentd.replay.CustomerHistory.Entry(envelope.sequenceNr(), envelope.timestamp(), (Customer.Event) envelope.event()));
    }
    return new io.segmentd.replay.CustomerHistory(customerId, entries);
  }

  /** The segments a replay of the journal gives (as a rebuild of the read side writes them), with the default definitions. */
  public java.util.Set<String> replayedSegments(String customerId) throws Exception {
    return new java.util.TreeSet<>(history(customerId).evaluate(settings.engine(), settings.profile()).keySet());
  }

  /** The rows a query of this keyspace gives ({@code %s} stands for the keyspace). */
  public List<Row> select(String cql, Object... args) throws Exception {
    return session.selectAll(cql.replace("%s", keyspace), args).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** Each journal row's writer, in sequence order: {@code [sequenceNr, writerUuid]}. */
  public List<Object[]> writers(String customerId) throws Exception {
    List<Row> rows = session.selectAll("SELECT sequence_nr, writer_uuid FROM " + keyspace + ".messages WHERE persistence_id = ? AND partition_nr = 0",
        Customer.persistenceId(customerId).id()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    return rows.stream().map(r -> new Object[] {r.getLong("sequence_nr"), r.getString("writer_uuid")}).toList();
  }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
