package io.segmentd.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.segmentd.customer.Customer;
import io.segmentd.demo.OnlineRetailImport;
import io.segmentd.readside.MemberRewriter;
import io.segmentd.replay.CustomerHistory;
import io.segmentd.replay.Definitions;
import io.segmentd.replay.JournalDecoder;
import io.segmentd.replay.JournalScan;
import io.segmentd.replay.ParallelScan;
import io.segmentd.replay.Progress;
import io.segmentd.replay.Rebuild;
import io.segmentd.replay.ReplayEnvironment;
import io.segmentd.replay.ReplaySettings;
import io.segmentd.replay.TokenRanges;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import io.segmentd.server.SchemaApplier;
import io.segmentd.server.SegmentdConfig;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Issue 9's rebuild rate: on one journal, in one run, with the same token ranges and threads
 * ({@code segmentd.replay}), the plain driver scanning the journal table by token range (every
 * column, no decoding: the limit) beside each path of a replay: token scan + decode, + fold and
 * evaluation (no writes), persistence-id queries + decode, and the rebuild itself. On a synthetic
 * journal written straight into the {@code messages} table (10 M events; quick: 1 M) and on the
 * Online Retail data imported through a node (which also holds the transition rows a node writes).
 */
final class ReplayScenario implements Scenario {
  /** The SELECT of {@link JournalScan}, column for column. */
  private static final String COLUMNS = "persistence_id, partition_nr, sequence_nr, timestamp, writer_uuid, ser_id, ser_manifest, event";
  private static final int WRITES_IN_FLIGHT = 256;

  @Override
  public String name() {
    return "replay";
  }

  @Override
  public String description() {
    return "rebuild rate (issue 9): token scan + decode, persistence-id queries, rebuild vs a plain driver scanning the same journal;"
        + " synthetic 10 M events (quick 1 M) and the Online Retail data";
  }

  /** One measured pass over a journal. */
  record Pass(String label, long rows, long events, CpuMeter.Phase phase) {
    double eventsPerSecond() {
      return events / Math.max(1e-9, phase.wallSeconds());
    }

    double rowsPerSecond() {
      return rows / Math.max(1e-9, phase.wallSeconds());
    }

    String describe() {
      return String.format(Locale.ROOT, "%-58s %,11d rows %,12d events  %,9.0f rows/s %,11.0f events/s | %s", label, rows, events,
          rowsPerSecond(), eventsPerSecond(), phase.describe());
    }
  }

  @Override
  public void run(BenchContext ctx) throws Exception {
    CpuMeter cpu = new CpuMeter(ctx.cassandra);
    ctx.out.printf("  Cassandra process for CPU accounting: %s; %d cores%n",
        cpu.cassandraPid().isPresent() ? "pid " + cpu.cassandraPid().getAsLong() : "not found (its CPU is not reported)",
        Runtime.getRuntime().availableProcessors());
    try (PrintStream profile = new PrintStream(Files.newOutputStream(ctx.workDir.resolve("replay-profile.txt")), true)) {
      PrintStream both = new PrintStream(new TeeStream(ctx.out, profile), true);
      long events = ctx.quick ? 1_000_000 : Long.getLong("bench.replay.events", 10_000_000L);
      synthetic(ctx, cpu, both, events);
      onlineRetail(ctx, cpu, both);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the synthetic journal

  private void synthetic(BenchContext ctx, CpuMeter cpu, PrintStream out, long target) throws Exception {
    String keyspace = ctx.keyspace("replay_synthetic");
    Config config = config(ctx, keyspace);
    String label = String.format(Locale.ROOT, "synthetic %,d events", target);
    out.printf("%n  -- %s, keyspace %s%n", label, keyspace);
    try (ReplayEnvironment env = ReplayEnvironment.open(config, Clock.systemUTC());
         LocalSystem local = new LocalSystem(config);
         CqlSession raw = plainSession(ctx.cassandra)) {
      SchemaApplier.apply(env.session(), config.getConfig("segmentd.cassandra"), Runnable::run).toCompletableFuture().get(180, TimeUnit.SECONDS);
      SyntheticJournal journal = new SyntheticJournal(raw, keyspace, local.system);
      out.printf("  writing %,d events with the plain driver (%d writes in flight, 2 generating threads)...%n", target, WRITES_IN_FLIGHT);
      AtomicLong lastPrint = new AtomicLong(System.nanoTime());
      CpuMeter.Snapshot start = cpu.now();
      SyntheticJournal.Written written = journal.write(target, WRITES_IN_FLIGHT, 2, done -> {
        long now = System.nanoTime();
        long last = lastPrint.get();
        if (now - last > 10_000_000_000L && lastPrint.compareAndSet(last, now)) {
          ctx.detail.printf("synthetic journal: %,d events written%n", done);
        }
      });
      CpuMeter.Phase writing = cpu.since(start);
      out.printf("  written: %,d customers, %,d rows, %,d events, %,d MB of event blobs (%,d B a row) in %.1f s: %,.0f rows/s, %,.0f events/s | %s%n",
          written.customers(), written.rows(), written.events(), written.bytes() >> 20, written.bytes() / Math.max(1, written.rows()),
          written.elapsed().toMillis() / 1e3, written.rowsPerSecond(), written.eventsPerSecond(), writing.describe());
      ctx.table.add(name(), String.format(Locale.ROOT, "%s: journal written by the plain driver (%,d rows, %d in flight), events/s",
          label, written.rows(), WRITES_IN_FLIGHT), Double.NaN, written.eventsPerSecond(), "ev/s", "-");
      awaitCompactions(raw, out);
      measure(ctx, cpu, out, label, env, local, raw, keyspace, written.events(), null);
    } finally {
      // 1-2 GB of journal: not kept between runs (auto_snapshot is off, so this frees the disk)
      try (CqlSession raw = plainSession(ctx.cassandra)) {
        raw.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance("DROP KEYSPACE IF EXISTS " + keyspace)
            .setTimeout(Duration.ofSeconds(120)));
      } catch (RuntimeException e) {
        out.println("  could not drop " + keyspace + ": " + e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the Online Retail data, through a node

  private void onlineRetail(BenchContext ctx, CpuMeter cpu, PrintStream out) throws Exception {
    Path data = Path.of("data/online-retail/online_retail.csv.gz");
    if (!Files.isRegularFile(data)) data = Path.of("../shared/data/online-retail/online_retail.csv.gz");
    String scenario = "replay_retail";
    String keyspace = ctx.keyspace(scenario);
    out.printf("%n  -- Online Retail (%s), keyspace %s%n", data, keyspace);
    try (NodeProcess node = ctx.node(scenario)) {
      node.start();
      CpuMeter.Snapshot start = cpu.now();
      OnlineRetailImport.Result imported = OnlineRetailImport.importFile("--file", data.toString(), "--url", node.url(), "--summary", "false");
      System.err.println();
      out.printf("  imported through the node's API: %,d customers, %,d events in %.1f s | %s%n", imported.customers(), imported.events(),
          imported.elapsed().toMillis() / 1e3, cpu.since(start).describe());
      awaitReadSide(ctx, node, out);
      node.stop(); // the measures run on a quiet Cassandra: no projection, no node CPU
    }
    Config config = config(ctx, keyspace);
    try (ReplayEnvironment env = ReplayEnvironment.open(config, Clock.systemUTC());
         LocalSystem local = new LocalSystem(config);
         CqlSession raw = plainSession(ctx.cassandra)) {
      Set<String> before = memberRows(raw, keyspace);
      out.printf("  read side written by the node's projections: %,d member rows%n", before.size());
      awaitCompactions(raw, out);
      measure(ctx, cpu, out, "Online Retail", env, local, raw, keyspace, -1, before);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the passes

  private void measure(BenchContext ctx, CpuMeter cpu, PrintStream out, String label, ReplayEnvironment env, LocalSystem local,
                       CqlSession raw, String keyspace, long knownEvents, Set<String> expectedMembers) throws Exception {
    ReplaySettings settings = env.settings();
    List<TokenRanges.Range> ranges = TokenRanges.split(settings.tokenRanges()).ranges();
    int threads = settings.parallelism();
    int pidParallelism = Integer.getInteger("bench.replay.pid-parallelism", 16);
    out.printf("  segmentd.replay: %d token ranges, %d threads, page size %d; persistence-id queries: mapAsyncUnordered(%d);"
        + " rebuild lease-grace %s (not in its rate), %d read-side writes in flight%n", ranges.size(), threads, settings.pageSize(),
        pidParallelism, settings.leaseGrace(), settings.maxWritesInFlight());
    Definitions definitions = env.definitions();

    // JIT warm-up on an eighth of the ring, not measured
    List<TokenRanges.Range> warm = ranges.subList(0, Math.max(1, ranges.size() / 8));
    rawScan(raw, keyspace, warm, threads, settings.pageSize(), cpu, "warm-up");
    fold(env, definitions, warm, threads, cpu, "warm-up", null);

    List<Pass> passes = new ArrayList<>();
    Pass raw1 = rawScan(raw, keyspace, ranges, threads, settings.pageSize(), cpu, "plain driver token-range scan (1)");
    out.println("  " + raw1.describe());
    Pass decode = decode(env, ranges, threads, cpu);
    out.println("  " + decode.describe());
    long events = knownEvents >= 0 ? knownEvents : decode.events();
    FoldCosts costs = new FoldCosts();
    Pass fold = fold(env, definitions, ranges, threads, cpu, "token scan + decode + fold + evaluate, no writes", costs);
    out.println("  " + fold.describe());
    out.println("    " + costs.describe());
    Pass pid = persistenceIdQueries(local, pidParallelism, cpu);
    out.println("  " + pid.describe());

    long memberships = costs.memberships.sum();
    Rebuild.Result result;
    CpuMeter.Phase rebuildPhase;
    try (JfrProfile jfr = new JfrProfile(ctx.workDir.resolve("replay-rebuild-" + slug(label) + ".jfr"))) {
      CpuMeter.Snapshot start = cpu.now();
      result = new Rebuild(env, out).run(new Rebuild.Options(Set.of(), Set.of(), Optional.empty(), true));
      rebuildPhase = cpu.since(start);
      out.printf("  rebuild: %,d customers, %,d events, Result.eventsPerSecond %,.0f events/s (from the scan's start, after the %s grace"
          + " and the truncate, to the end of the recount); wall %.1f s including lease, grace, truncate and recount | %s%n",
          result.customers(), result.events(), result.eventsPerSecond(), settings.leaseGrace(), rebuildPhase.wallSeconds(),
          rebuildPhase.describe());
      jfr.report(out);
    }
    long written = memberCount(raw, keyspace);
    out.printf("  member rows after the rebuild: %,d (the no-writes pass evaluated %,d memberships)%s%n", written, memberships,
        written == memberships ? "" : "  ** DIFFERENT **");
    if (expectedMembers != null) {
      Set<String> after = memberRows(raw, keyspace);
      Set<String> missing = new TreeSet<>(expectedMembers);
      missing.removeAll(after);
      Set<String> extra = new TreeSet<>(after);
      extra.removeAll(expectedMembers);
      out.printf("  rebuilt member rows equal the projections' (segment, customer, since): %s (%,d missing, %,d extra)%n",
          missing.isEmpty() && extra.isEmpty() ? "yes" : "NO", missing.size(), extra.size());
    }
    // the recount alone, again (idempotent: sets each bucket's count to its rows), to show its share
    Set<String> segments = segmentsWithMembers(raw, keyspace);
    CpuMeter.Snapshot recountStart = cpu.now();
    new MemberRewriter(env.cql(), env.keyspace(), env.memberBuckets(), settings.maxWritesInFlight()).recount(segments, Instant.now());
    CpuMeter.Phase recount = cpu.since(recountStart);
    out.printf("  recount alone (%d segments x %d buckets, a COUNT(*) and an UPDATE each): %.1f s%n", segments.size(), env.memberBuckets(),
        recount.wallSeconds());

    Pass raw2 = rawScan(raw, keyspace, ranges, threads, settings.pageSize(), cpu, "plain driver token-range scan (2)");
    out.println("  " + raw2.describe());

    Pass best = raw1.phase().wallSeconds() <= raw2.phase().wallSeconds() ? raw1 : raw2;
    double rawEvents = events / best.phase().wallSeconds();
    double rawSeconds = best.phase().wallSeconds();
    double rebuildScanSeconds = result.events() / Math.max(1e-9, result.eventsPerSecond());
    out.printf("  ratios to the faster plain driver scan (%,.0f events/s, %,.0f rows/s): scan+decode %.2f, +fold %.2f, pid queries %.2f,"
        + " rebuild %.2f; rebuild scan-to-recount %.1f s, of which recount about %.1f s%n", rawEvents, best.rowsPerSecond(),
        decode.eventsPerSecond() / rawEvents, fold.eventsPerSecond() / rawEvents, pid.eventsPerSecond() / rawEvents,
        result.eventsPerSecond() / rawEvents, rebuildScanSeconds, recount.wallSeconds());

    String j = label;
    ctx.table.addText(name(), j + ": plain driver token-range scan, every column, no decoding (faster of 2 runs)", "-",
        String.format(Locale.ROOT, "%,.0f rows/s (%,d rows in %.1f s)", best.rowsPerSecond(), best.rows(), rawSeconds), "-");
    ctx.table.add(name(), j + ": token scan + decode (JournalScan + JournalDecoder), events/s", decode.eventsPerSecond(), rawEvents, "ev/s", "-");
    ctx.table.add(name(), j + ": token scan + decode + fold + evaluate, no writes, events/s", fold.eventsPerSecond(), rawEvents, "ev/s", "-");
    ctx.table.add(name(), j + ": persistence-id queries + decode (mapAsyncUnordered " + pidParallelism + "), events/s",
        pid.eventsPerSecond(), rawEvents, "ev/s", "-");
    ctx.table.add(name(), j + ": rebuild, events/s (Result.eventsPerSecond: scan to recount)", result.eventsPerSecond(), rawEvents, "ev/s", "-");
    ctx.table.add(name(), j + ": rebuild wall time (lease, " + settings.leaseGrace().toSeconds() + " s grace, truncate, scan, "
        + String.format(Locale.ROOT, "%,d member writes, recount)", written), rebuildPhase.wallSeconds(), rawSeconds, "s", "-");
  }

  private static Pass rawScan(CqlSession cql, String keyspace, List<TokenRanges.Range> ranges, int threads, int pageSize, CpuMeter cpu,
                              String label) throws Exception {
    PreparedStatement select = cql.prepare("SELECT " + COLUMNS + " FROM " + keyspace + ".messages"
        + " WHERE token(persistence_id, partition_nr) > ? AND token(persistence_id, partition_nr) <= ?");
    LongAdder rows = new LongAdder();
    LongAdder touched = new LongAdder();
    CpuMeter.Snapshot start = cpu.now();
    ParallelScan.run(ranges, threads, range -> {
      long n = 0;
      long sum = 0;
      for (Row row : cql.execute(select.bind(range.start(), range.end()).setPageSize(pageSize))) {
        // every column read through its codec, as JournalScan reads them; the blob not decoded
        sum += row.getString(0).length() + row.getLong(1) + row.getLong(2) + row.getUuid(3).getLeastSignificantBits()
            + row.getString(4).length() + row.getInt(5) + row.getString(6).length();
        ByteBuffer event = row.getByteBuffer(7);
        sum += event == null ? 0 : event.remaining();
        n++;
      }
      rows.add(n);
      touched.add(sum);
    });
    return new Pass(label, rows.sum(), -1, cpu.since(start));
  }

  private static Pass decode(ReplayEnvironment env, List<TokenRanges.Range> ranges, int threads, CpuMeter cpu) throws Exception {
    Progress progress = new Progress("scan+decode", ranges.size(), 0, new PrintStream(PrintStream.nullOutputStream()), false,
        Clock.systemUTC(), Duration.ofHours(1));
    LongAdder rows = new LongAdder();
    CpuMeter.Snapshot start = cpu.now();
    ParallelScan.histories(env.scan(), env.decoder(), ranges, threads, progress, history -> rows.add(history.entries().size()));
    return new Pass("token scan + decode (JournalScan + JournalDecoder)", rows.sum(), progress.events(), cpu.since(start));
  }

  /** CPU seconds per part of the work, summed over the scan threads. */
  static final class FoldCosts {
    final LongAdder rangeCpu = new LongAdder();
    final LongAdder decodeCpu = new LongAdder();
    final LongAdder foldCpu = new LongAdder();
    final LongAdder evaluateCpu = new LongAdder();
    final LongAdder memberships = new LongAdder();
    final LongAdder customers = new LongAdder();
    final LongAdder recorded = new LongAdder();

    String describe() {
      double range = rangeCpu.sum() / 1e9;
      double decode = decodeCpu.sum() / 1e9;
      double fold = foldCpu.sum() / 1e9;
      double evaluate = evaluateCpu.sum() / 1e9;
      double scan = range - decode - fold - evaluate;
      return String.format(Locale.ROOT, "CPU of the scan threads (ThreadMXBean): %.1f s = scan/paging/row reading %.1f s (%.0f %%) + decode %.1f s"
          + " (%.0f %%) + fold %.1f s (%.0f %%) + evaluate %.1f s (%.0f %%); %,d customers, %,d memberships evaluated (%,d recorded by transitions in the journal)", range, scan,
          pct(scan, range), decode, pct(decode, range), fold, pct(fold, range), evaluate, pct(evaluate, range), customers.sum(),
          memberships.sum(), recorded.sum());
    }

    private static double pct(double part, double whole) {
      return 100 * part / Math.max(whole, 1e-9);
    }
  }

  /** What the rebuild does per customer, without the read-side writes; CPU per part in {@code costs}. */
  private static Pass fold(ReplayEnvironment env, Definitions definitions, List<TokenRanges.Range> ranges, int threads, CpuMeter cpu,
                           String label, FoldCosts costs) throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    JournalScan scan = env.scan();
    JournalDecoder decoder = env.decoder();
    LongAdder rows = new LongAdder();
    LongAdder events = new LongAdder();
    FoldCosts c = costs == null ? new FoldCosts() : costs;
    CpuMeter.Snapshot start = cpu.now();
    ParallelScan.run(ranges, threads, range -> {
      long rangeStart = mx.getCurrentThreadCpuTime();
      scan.scan(range, journal -> {
        if (!journal.persistenceId().startsWith("Customer|")) return;
        long t0 = mx.getCurrentThreadCpuTime();
        CustomerHistory history = decoder.history(journal);
        long t1 = mx.getCurrentThreadCpuTime();
        Profile profile = history.profile(definitions.settings().profile());
        Map<String, Instant> recorded = history.recordedMemberships();
        Instant at = history.evaluatedAt();
        long t2 = mx.getCurrentThreadCpuTime();
        Map<String, Membership> members = at == null ? Map.of() : definitions.settings().engine().evaluate(profile, at);
        long t3 = mx.getCurrentThreadCpuTime();
        c.decodeCpu.add(t1 - t0);
        c.foldCpu.add(t2 - t1);
        c.evaluateCpu.add(t3 - t2);
        c.memberships.add(members.size());
        c.customers.increment();
        rows.add(journal.rows().size());
        events.add(history.eventCount());
        c.recorded.add(recorded.size());
      });
      c.rangeCpu.add(mx.getCurrentThreadCpuTime() - rangeStart);
    });
    return new Pass(label, rows.sum(), events.sum(), cpu.since(start));
  }

  private static Pass persistenceIdQueries(LocalSystem local, int parallelism, CpuMeter cpu) throws Exception {
    CassandraReadJournal journal = PersistenceQuery.get(local.system).getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    String prefix = Customer.ENTITY_KEY.name() + "|";
    CpuMeter.Snapshot start = cpu.now();
    long[] totals = journal.currentPersistenceIds()
        .filter(id -> id.startsWith(prefix))
        .mapAsyncUnordered(parallelism, id -> journal.currentEventsByPersistenceId(id, 0L, Long.MAX_VALUE)
            .runWith(Sink.fold(new long[2], (long[] n, EventEnvelope envelope) -> {
              n[0]++;
              if (envelope.event() instanceof Customer.EventsRecorded recorded) n[1] += recorded.events().size();
              return n;
            }), local.system))
        .runWith(Sink.fold(new long[3], (long[] total, long[] one) -> {
          total[0] += one[0];
          total[1] += one[1];
          total[2]++;
          return total;
        }), local.system)
        .toCompletableFuture().get(2, TimeUnit.HOURS);
    return new Pass("persistence-id queries + decode (" + String.format(Locale.ROOT, "%,d ids", totals[2]) + ")", totals[0], totals[1],
        cpu.since(start));
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  /** The node's configuration for this keyspace and Cassandra, as the replay CLI loads it. */
  private static Config config(BenchContext ctx, String keyspace) {
    Config overrides = ConfigFactory.parseMap(Map.of("segmentd.cassandra.keyspace", keyspace, "segmentd.cassandra.contact-points", ctx.cassandra));
    return SegmentdConfig.resolve(ConfigFactory.load(overrides.withFallback(ConfigFactory.defaultApplication())));
  }

  private static CqlSession plainSession(String cassandra) {
    return CqlSession.builder()
        .withConfigLoader(DriverConfigLoader.programmaticBuilder()
            .withStringList(DefaultDriverOption.CONTACT_POINTS, List.of(cassandra.split(",")[0]))
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
            .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(60))
            .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(60)).build())
        .withLocalDatacenter("datacenter1").build();
  }

  /** A local actor system on the node's configuration: Pekko serialization, the read journal. */
  private static final class LocalSystem implements AutoCloseable {
    final ActorSystem system;

    LocalSystem(Config config) {
      this.system = ActorSystem.create("replay-bench",
          ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING").withFallback(config));
    }

    @Override
    public void close() throws Exception {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** Waits (up to 10 minutes) until Cassandra runs no compaction, so a scan does not compete with one. */
  private static void awaitCompactions(CqlSession cql, PrintStream out) throws InterruptedException {
    long began = System.nanoTime();
    long deadline = began + TimeUnit.MINUTES.toNanos(10);
    int quiet = 0;
    while (System.nanoTime() < deadline) {
      int tasks;
      try {
        tasks = cql.execute("SELECT * FROM system_views.sstable_tasks").all().size();
      } catch (RuntimeException e) {
        out.println("  (cannot read system_views.sstable_tasks: " + e.getMessage() + ")");
        return;
      }
      quiet = tasks == 0 ? quiet + 1 : 0;
      if (quiet >= 3) break;
      Thread.sleep(2_000);
    }
    out.printf("  waited %.0f s for Cassandra's compactions to finish%n", (System.nanoTime() - began) / 1e9);
  }

  /** Polls the node's consistency check until the read side equals what the entities hold (up to 3 minutes). */
  private static void awaitReadSide(BenchContext ctx, NodeProcess node, PrintStream out) throws Exception {
    HttpRequest check = HttpRequest.newBuilder(URI.create(node.url() + "/v1/read-side/check")).timeout(Duration.ofSeconds(120))
        .header("Authorization", "Bearer dev-read-token").build();
    long began = System.nanoTime();
    long deadline = began + TimeUnit.MINUTES.toNanos(3);
    String last = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response = ctx.http.send(check, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200) {
        JsonNode report = io.segmentd.http.JsonSupport.MAPPER.readTree(response.body());
        if (report.path("consistent").asBoolean()) {
          out.printf("  read side consistent with the entities after %.0f s (%d customers)%n", (System.nanoTime() - began) / 1e9,
              report.path("customers").asInt());
          return;
        }
        last = report.toString();
      } else {
        last = response.statusCode() + " " + response.body();
      }
      Thread.sleep(5_000);
    }
    out.println("  read side still not consistent after 3 minutes: " + last.substring(0, Math.min(300, last.length())));
  }

  private static Set<String> memberRows(CqlSession cql, String keyspace) {
    Set<String> rows = new TreeSet<>();
    for (Row row : cql.execute("SELECT segment, customer_id, since FROM " + keyspace + ".segment_members")) {
      rows.add(row.getString(0) + "/" + row.getString(1) + "/" + row.getInstant(2));
    }
    return rows;
  }

  private static long memberCount(CqlSession cql, String keyspace) {
    long members = 0;
    for (Row row : cql.execute("SELECT members FROM " + keyspace + ".segment_bucket_counts")) members += row.getLong(0);
    return members;
  }

  private static Set<String> segmentsWithMembers(CqlSession cql, String keyspace) {
    Set<String> segments = new TreeSet<>();
    for (Row row : cql.execute("SELECT segment, members FROM " + keyspace + ".segment_bucket_counts")) {
      if (row.getLong(1) > 0) segments.add(row.getString(0));
    }
    return segments;
  }

  private static String slug(String label) {
    return label.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
  }

  /** Console and the profile file at once. */
  private static final class TeeStream extends java.io.OutputStream {
    private final PrintStream a;
    private final PrintStream b;

    TeeStream(PrintStream a, PrintStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] bytes, int off, int len) {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }

    @Override
    public void flush() {
      a.flush();
      b.flush();
    }
  }
}
