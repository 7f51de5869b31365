package io.segmentd.admin;

import io.segmentd.definitions.DefinitionStore;
import io.segmentd.definitions.LiveDefinitions;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import io.segmentd.customer.CustomerSettings;
import io.segmentd.http.Auth;
import io.segmentd.replay.JournalDecoder;
import io.segmentd.replay.JournalScan;
import io.segmentd.replay.ReplaySettings;
import io.segmentd.segmentation.SegmentCatalog;
import io.segmentd.segmentation.custom.CustomDefinition;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import io.segmentd.common.Stages;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/** Starts what stored definitions need on a node: the live set, its refresh, the backfills and the admin routes. */
public final class StoredDefinitions {
  private StoredDefinitions() {}

  public record Started(LiveDefinitions live, DefinitionRoutes routes, CustomerSettings customerSettings) {}

  /**
   * Call before the customers start, so that they evaluate the stored definitions from their first command.
   *
   * @param config the whole configuration
   */
  public static Started start(ActorSystem<?> system, CassandraSession session, Config config, CustomerSettings configured, Auth auth,
                              Clock clock) {
    Config segmentd = config.getConfig("segmentd");
    Config definitions = segmentd.getConfig("definitions");
    CompletableFuture<CqlSession> cql = Stages.on(session.underlying(), system.executionContext());
    DefinitionStore store = new DefinitionStore(cql, segmentd.getString("cassandra.keyspace"));
    Set<String> configuredIds = new HashSet<>(SegmentCatalog.builtInSegments(segmentd.getConfig("segments")));
    for (CustomDefinition d : configured.engine().custom().definitions()) configuredIds.add(d.id());
    LiveDefinitions live = new LiveDefinitions(configured.engine(), configuredIds, configured.profile(), store);
    // Not waited for: a node starts (alive, not ready) without Cassandra; its customers hold their
    // commands until the stored definitions are read (EngineSource.ready).
    live.refreshEvery(definitions.getDuration("refresh-interval"), system);
    Config backfill = definitions.getConfig("backfill");
    Backfills.init(system, store, live, new Backfills.Settings(backfill.getDuration("tick"), backfill.getInt("parallelism"),
        segmentd.getDuration("http.ask-timeout"), backfill.getDuration("settle"), backfill.getDuration("progress-interval")), clock);
    ReplaySettings replay = ReplaySettings.fromConfig(config);
    String keyspace = segmentd.getString("cassandra.keyspace");
    Preview preview = new Preview(() -> new JournalScan(cql.join(), keyspace, replay.targetPartitionSize(), replay.pageSize()),
        new JournalDecoder(Adapter.toClassic(system)), configured.profile(), replay.tokenRanges(), replay.parallelism(), replay.samples());
    DefinitionRoutes routes = new DefinitionRoutes(store, live, preview, auth, clock, system.dispatchers().lookup(DispatcherSelector.blocking()));
    return new Started(live, routes, configured.withEngines(live));
  }
}
