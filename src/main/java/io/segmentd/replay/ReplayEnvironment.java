package io.segmentd.replay;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.segmentd.readside.ReadSideLease;
import java.io.File;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * What a replay command works with, away from any serving node: a local actor system (for the
 * journal's serializers and the Cassandra session only: no cluster, no entities), the session,
 * and the settings the entities run with.
 */
public final class ReplayEnvironment implements AutoCloseable {
  private final Config config;
  private final ActorSystem system;
  private final CassandraSession session;
  private final CqlSession cql;
  private final Clock clock;

  private ReplayEnvironment(Config config, ActorSystem system, CassandraSession session, CqlSession cql, Clock clock) {
    this.config = config;
    this.system = system;
    this.session = session;
    this.cql = cql;
    this.clock = clock;
  }

  /** @param config the node's whole configuration; the system started from it stays local */
  public static ReplayEnvironment open(Config config, Clock clock) throws Exception {
    // Local, quiet, and closing it must not end the JVM (the CLI exits with its own code; tools embed it).
    Config local = ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING\n"
        + "pekko.coordinated-shutdown.exit-jvm = off").withFallback(config);
    ActorSystem system = ActorSystem.create("segmentd-replay", local);
    try {
      CassandraSession session = CassandraSessionRegistry.get(system).sessionFor("pekko.persistence.cassandra");
      CqlSession cql = session.underlying().toCompletableFuture().get(60, TimeUnit.SECONDS);
      return new ReplayEnvironment(config, system, session, cql, clock);
    } catch (Exception e) {
      system.terminate();
      throw e;
    }
  }

  public Config config() {
    return config;
  }

  public CassandraSession session() {
    return session;
  }

  public CqlSession cql() {
    return cql;
  }

  public Clock clock() {
    return clock;
  }

  public String keyspace() {
    return config.getString("segmentd.cassandra.keyspace");
  }

  public int memberBuckets() {
    return config.getInt("segmentd.read-side.member-buckets");
  }

  public ReplaySettings settings() {
    return ReplaySettings.fromConfig(config);
  }

  /** The definitions the entities run with: configured, and stored at run time. */
  public Definitions definitions() {
    return withStored(Definitions.fromConfig(config.getConfig("segmentd")));
  }

  /**
   * Definitions from a file layered over the running ones: a HOCON file with the same keys as the
   * configuration ({@code segmentd.segments { ... }}, {@code segmentd.profile { ... }}).
   */
  public Definitions definitions(File file) {
    if (!file.isFile()) throw new IllegalArgumentException("definitions file " + file + " does not exist");
    Config layered = ConfigFactory.parseFile(file).withFallback(config).resolve();
    return withStored(Definitions.fromConfig(layered.getConfig("segmentd")));
  }

  private Definitions withStored(Definitions configured) {
    try {
      return configured.withStored(new io.segmentd.definitions.DefinitionStore(java.util.concurrent.CompletableFuture.completedFuture(cql), keyspace()));
    } catch (Exception e) {
      throw new IllegalStateException("could not read the stored segment definitions: " + e.getMessage(), e);
    }
  }

  public JournalScan scan() {
    ReplaySettings settings = settings();
    return new JournalScan(cql, keyspace(), settings.targetPartitionSize(), settings.pageSize());
  }

  public JournalDecoder decoder() {
    return new JournalDecoder(system);
  }

  public ReadSideLease lease() {
    return new ReadSideLease(java.util.concurrent.CompletableFuture.completedFuture(cql), keyspace(), clock, Duration.ZERO);
  }

  @Override
  public void close() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
