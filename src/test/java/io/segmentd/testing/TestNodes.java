package io.segmentd.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.segmentd.server.SegmentdConfig;
import io.segmentd.server.SegmentdNode;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/** Starts real segmentd nodes for tests: own keyspace, free ports, the test Cassandra. */
public final class TestNodes {
  private TestNodes() {}

  public static Config config(String contactPoint, String keyspace, int managementPort, Map<String, Object> overrides) {
    String firstBucket = ZonedDateTime.now(ZoneOffset.UTC).minusHours(1)
        .format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HH:00"));
    Config test = ConfigFactory.parseMap(Map.of(
        "segmentd.cassandra.contact-points", contactPoint,
        "segmentd.cassandra.keyspace", keyspace,
        "segmentd.http.port", 0,
        "segmentd.http.interface", "127.0.0.1",
        "pekko.remote.artery.canonical.port", 0,
        "pekko.management.http.port", managementPort,
        "pekko.persistence.cassandra.events-by-tag.first-time-bucket", firstBucket,
        "pekko.coordinated-shutdown.exit-jvm", "off",
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on"));
    // Unresolved layering, so substitutions such as the journal keyspace follow the overrides.
    Config layered = ConfigFactory.parseMap(overrides).withFallback(test)
        .withFallback(ConfigFactory.parseResourcesAnySyntax("application"));
    return SegmentdConfig.resolve(ConfigFactory.load(layered));
  }

  public static SegmentdNode start(LocalCassandra cassandra, String keyspace, Clock clock) {
    return SegmentdNode.start(config(cassandra.contactPoint(), keyspace, LocalCassandra.freePort(), Map.of()), clock);
  }

  /** The customers whose entities are running on {@code node} (not passivated). */
  public static java.util.Set<String> activeCustomers(SegmentdNode node) throws Exception {
    var state = org.apache.pekko.actor.typed.javadsl.AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
            org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState>ask(
            org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(node.system()).shardState(),
            replyTo -> new org.apache.pekko.cluster.sharding.typed.GetShardRegionState(io.segmentd.customer.Customer.ENTITY_KEY, replyTo),
            java.time.Duration.ofSeconds(5), node.system().scheduler())
        .toCompletableFuture().get();
    java.util.Set<String> ids = new java.util.HashSet<>();
    state.getShards().forEach(shard -> ids.addAll(shard.getEntityIds()));
    return ids;
  }
}
