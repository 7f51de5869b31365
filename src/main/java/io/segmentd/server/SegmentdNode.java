package io.segmentd.server;

import io.segmentd.http.AccessLog;
import io.segmentd.http.ApiDocs;
import io.segmentd.http.Auth;
import io.segmentd.http.Dashboard;
import io.segmentd.http.RouteTemplates;
import io.segmentd.http.JsonSupport;
import io.segmentd.http.Metrics;
import io.segmentd.http.ErrorHandling;

import com.typesafe.config.Config;
import io.segmentd.customer.Customer;
import io.segmentd.customer.CustomerMetrics;
import io.segmentd.customer.CustomerSettings;
import io.segmentd.customer.ShardedIdentities;
import io.segmentd.erasure.CustomerErasure;
import io.segmentd.insights.InsightsRoutes;
import io.segmentd.insights.OverviewRoutes;
import io.segmentd.insights.SizeTrends;
import io.segmentd.insights.JourneyTransitions;
import io.segmentd.insights.SegmentProfiles;
import io.segmentd.insights.Propensities;
import io.segmentd.insights.RetrainSchedule;
import io.segmentd.segmentation.JourneyFamily;
import java.util.List;
import io.segmentd.erasure.ErasureRoutes;
import io.segmentd.customer.ReevaluationScheduler;
import io.segmentd.expiry.CassandraReevaluationSchedule;
import io.segmentd.expiry.ReevaluationWaker;
import io.segmentd.ingest.EventRecorder;
import io.segmentd.ingest.IngestRoutes;
import io.segmentd.ingest.ImportRoutes;
import io.segmentd.ingest.IngestSettings;
import io.segmentd.ingest.SegmentPayloadParser;
import io.segmentd.query.CustomerRoutes;
import io.segmentd.readside.LagProbe;
import io.segmentd.readside.ProjectionLag;
import io.segmentd.readside.ReadSideCheck;
import io.segmentd.readside.ReadSideLease;
import io.segmentd.admin.LiveSegmentDirectory;
import io.segmentd.admin.StoredDefinitions;
import io.segmentd.query.SegmentDirectory;
import io.segmentd.readside.SegmentMembersProjection;
import io.segmentd.query.SegmentRoutes;
import io.segmentd.readside.SegmentStore;
import io.segmentd.readside.SegmentChangesFeed;
import io.segmentd.replay.CustomerJournal;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segmentd node: actor system, cluster membership, schema, Customer sharding, management
 * (health) and the HTTP API, started in that order so the API never answers before it can write.
 */
public final class SegmentdNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SegmentdNode.class);

  private final ActorSystem<Void> system;
  private final ServerBinding binding;

  private SegmentdNode(ActorSystem<Void> system, ServerBinding binding) {
    this.system = system;
    this.binding = binding;
  }

  public static SegmentdNode start(Config config, Clock clock) {
    return start(config, clock, UnaryOperator.identity());
  }

  /**
   * @param schedulerWrapper wraps the schedule the customers write their next instants to; tests
   *     use it to inject write failures (the waker still reads the real one)
   */
  public static SegmentdNode start(Config config, Clock clock, UnaryOperator<ReevaluationScheduler> schedulerWrapper) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "segmentd", config);
    try {
      Config segmentd = config.getConfig("segmentd");
      String join = segmentd.getString("cluster.join"); // checked by SegmentdConfig
      if (join.equals("self")) {
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      var session = CassandraSessionRegistry.get(system).sessionFor("pekko.persistence.cassandra");
      if (segmentd.getBoolean("cassandra.create-schema")) {
        SchemaApplier.apply(session, segmentd.getConfig("cassandra"), system.executionContext()).toCompletableFuture().get(120, TimeUnit.SECONDS);
        log.info("schema applied to keyspace {}", segmentd.getString("cassandra.keyspace"));
      }
      // After the schema: the Cassandra health check starts the journal, whose statements must find their tables.
      PekkoManagement.get(Adapter.toClassic(system)).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
      // Bootstrap probes the other nodes' management endpoints, so it starts after management.
      if (join.equals("bootstrap")) ClusterBootstrap.get(Adapter.toClassic(system)).start();

      Config http = segmentd.getConfig("http");
      Duration askTimeout = http.getDuration("ask-timeout");
      Auth auth = Auth.fromConfig(http);
      // A rotated credentials file takes effect without a restart.
      system.scheduler().scheduleAtFixedRate(http.getDuration("credentials-refresh"), http.getDuration("credentials-refresh"),
          auth::refresh, system.executionContext());
      CustomerSettings configured = CustomerSettings.fromConfig(segmentd);
      // Before the customers start: they evaluate the stored definitions from their first command.
      StoredDefinitions.Started definitions = StoredDefinitions.start(system, session, config, configured, auth, clock);
      CustomerSettings customerSettings = definitions.customerSettings();
      SegmentDirectory directory = new LiveSegmentDirectory(segmentd.getConfig("segments"), configured.engine(), definitions.live());
      Config reevaluation = segmentd.getConfig("reevaluation");
      var schedule = new CassandraReevaluationSchedule(session, system, segmentd.getString("cassandra.keyspace"), reevaluation.getInt("slices"));
      Metrics metrics = new Metrics();
      Customer.init(system, customerSettings, clock, schedulerWrapper.apply(schedule), new ShardedIdentities(system, askTimeout),
          new CustomerMetrics(metrics.registry()));
      ReevaluationWaker.init(system, schedule, clock, reevaluation.getDuration("tick-interval"),
          reevaluation.getDuration("watermark-grace"), askTimeout, reevaluation.getInt("parallelism"),
          new ReevaluationWaker.Observer(metrics::reevaluationDue, metrics::reevaluationDone));

      Config readSide = segmentd.getConfig("read-side");
      int slices = customerSettings.tagSlices();
      SegmentStore store = new SegmentStore(session, system, segmentd.getString("cassandra.keyspace"), readSide.getInt("member-buckets"));
      ProjectionLag lag = new ProjectionLag(clock, metrics.registry());
      LagProbe.start(system, session, lag, clock, readSide.getDuration("lag-probe-interval"));
      ReadSideLease lease = new ReadSideLease(io.segmentd.common.Stages.on(session.underlying(), system.executionContext()),
          segmentd.getString("cassandra.keyspace"), clock, readSide.getDuration("lease-check-interval"));
      SegmentMembersProjection.init(system, store, lease, lag, slices, new SegmentMembersProjection.Grouping(
          readSide.getInt("group-size"), readSide.getDuration("group-within")), clock);

      ClusterSharding sharding = ClusterSharding.get(system);
      IngestSettings ingestSettings = IngestSettings.fromConfig(segmentd.getConfig("ingest"));
      SegmentPayloadParser parser = new SegmentPayloadParser(JsonSupport.MAPPER, ingestSettings, customerSettings.profile());
      // One admission budget for the node, whether events come by batch or by import.
      EventRecorder recorder = new EventRecorder(sharding, askTimeout, customerSettings.maxRememberedIds(),
          EventRecorder.Admission.fromConfig(segmentd.getConfig("ingest.admission")), system.executionContext());
      IngestRoutes ingest = new IngestRoutes(parser, recorder, auth, ingestSettings, clock, metrics);
      ImportRoutes bulkImport = new ImportRoutes(parser, recorder, auth, ImportRoutes.Settings.fromConfig(segmentd.getConfig("ingest.import")),
          clock, metrics, system);
      CustomerJournal journal = new CustomerJournal(system, customerSettings.engines(), customerSettings.profile());
      CustomerRoutes customers = new CustomerRoutes(sharding, journal, auth, askTimeout, clock, directory);
      ErasureRoutes erasure = new ErasureRoutes(new CustomerErasure(system, session, segmentd.getString("cassandra.keyspace"), store, journal,
          CustomerErasure.Settings.fromConfig(segmentd.getConfig("erasure")), askTimeout, slices), auth);
      SegmentRoutes segments = new SegmentRoutes(system, store, directory, segmentd.getConfig("segments"), lag,
          new ReadSideCheck(system, store, slices, askTimeout), auth,
          new SegmentChangesFeed(system, store, slices, readSide.getDuration("changes-poll-interval")),
          readSide.getInt("max-page-size"));
      List<String> journeyStages = JourneyFamily.fromConfig(segmentd.getConfig("segments.journey")).stages().stream()
          .map(JourneyFamily.Stage::name).toList();
      InsightsRoutes.Settings insightSettings = InsightsRoutes.Settings.fromConfig(segmentd.getConfig("insights"), askTimeout);
      SegmentProfiles profiles = new SegmentProfiles(store, journal, session, segmentd.getString("cassandra.keyspace"), directory,
          customerSettings::engine, customerSettings.profile(), clock, system.executionContext(), insightSettings.profileSampleSize(),
          insightSettings.profileMinMembers(), insightSettings.profileParallelism());
      Propensities propensities = new Propensities(session, segmentd.getString("cassandra.keyspace"), journal, customerSettings::engine,
          customerSettings.profile(), clock, system.executionContext(),
          Propensities.Settings.fromConfig(segmentd.getConfig("insights.propensity")), JsonSupport.MAPPER);
      Config propensity = segmentd.getConfig("insights.propensity");
      RetrainSchedule.start(system, propensities, propensity.getStringList("retrain-targets"),
          propensity.getString("retrain-every").equals("off") ? Duration.ZERO : propensity.getDuration("retrain-every"));
      InsightsRoutes insights = new InsightsRoutes(new JourneyTransitions(store, slices, journeyStages, journal, customerSettings::engine,
          customerSettings.profile(), insightSettings.profileParallelism()), profiles, propensities, sharding,
          directory, auth, clock, insightSettings, system.executionContext());
      OverviewRoutes overview = new OverviewRoutes(
          new SizeTrends(store, slices), store, directory, segmentd.getConfig("segments.purchasing"), auth, clock,
          segmentd.getDuration("insights.sizes.period"), system.executionContext());
      ErrorHandling errors = new ErrorHandling();
      AccessLog access = new AccessLog(RouteTemplates.fromContract(), metrics, AccessLog.level(http.getString("access-log")));
      Dashboard dashboard = new Dashboard(http.getString("dashboard-directory").isEmpty() ? null
          : java.nio.file.Path.of(http.getString("dashboard-directory")));
      Route routes = access.logged(errors.handled(errors.concat(auth.sessionRoute(clock), ingest.routes(), bulkImport.routes(),
          customers.routes(), erasure.routes(), insights.routes(), overview.routes(), new OperationsRoutes(system, lag, auth).routes(),
          definitions.routes().routes(), segments.routes(), metrics.route(), new ApiDocs().route(), dashboard.route())));

      var server = Http.get(system).newServerAt(http.getString("interface"), http.getInt("port"));
      if (http.getBoolean("tls.enabled")) server = server.enableHttps(ConnectionContext.httpsServer(Tls.serverContext(http.getConfig("tls"))));
      ServerBinding binding = server
          .bind(routes)
          .toCompletableFuture().get(30, TimeUnit.SECONDS)
          .addToCoordinatedShutdown(Duration.ofSeconds(10), system);
      HttpReadyCheck.markBound(Adapter.toClassic(system), true);
      log.info("segmentd listening on {}://{}:{}", http.getBoolean("tls.enabled") ? "https" : "http",
          binding.localAddress().getHostString(), binding.localAddress().getPort());
      return new SegmentdNode(system, binding);
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("segmentd failed to start: " + e.getMessage(), e);
    }
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public int httpPort() {
    return binding.localAddress().getPort();
  }

  /** Stops the node and waits until its actor system has terminated. */
  @Override
  public void close() {
    HttpReadyCheck.markBound(Adapter.toClassic(system), false);
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("segmentd did not stop in time", e);
    }
  }

  public CompletionStage<Done> whenTerminated() {
    return system.getWhenTerminated();
  }
}
