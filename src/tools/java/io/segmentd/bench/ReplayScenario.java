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
  record Pass(String label, long rows, long events, CpuMeter.Phase phase, String requests) {
    double eventsPerSecond() {
      return events / Math.max(1e-9, phase.wallSeconds());
    }

    double rowsPerSecond() {
      return rows / Math.max(1e-9, phase.wallSeconds());
    }

    String describe() {
      return String.format(Locale.ROOT, "%-58s %11s rows %12s events  %9s rows/s %11s events/s%n      %s%n      Cassandra requests: %s",
          label, count(rows), count(events), count(rowsPerSecond()), count(eventsPerSecond()), phase.describe(), requests);
    }

    private static String count(double n) {
      return n < 0 ? "-" : String.format(Locale.ROOT, "%,.0f", n);
    }
  }

  @Override
  public void run(BenchContext ctx) throws Exception {
    CpuMeter cpu = new CpuMeter(ctx.cassandra);
    JfrProfile.initialize();
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

  /** CPU of both processes and Cassandra's coordinator request counts for the keyspace, over one pass. */
  private record Meter(CpuMeter cpu, Requests requests) {
    record Start(CpuMeter.Snapshot cpu, Map<String, Long> requests) {}

    Start start() {
      return new Start(cpu.now(), requests.counts());
    }

    Pass pass(String label, long rows, long events, Start start) {
      CpuMeter.Phase phase = cpu.since(start.cpu());
      return new Pass(label, rows, events, phase, requests.since(start.requests()));
    }
  }

  private void measure(BenchContext ctx, CpuMeter cpu, PrintStream out, String label, ReplayEnvironment env, LocalSystem local,
                       CqlSession raw, String keyspace, long knownEvents, Set<String> expectedMembers) throws Exception {
    ReplaySettings settings = env.settings();
    List<TokenRanges.Range> ranges = TokenRanges.split(settings.tokenRanges()).ranges();
    int threads = settings.parallelism();
    int pidParallelism = Integer.getInteger("bench.replay.pid-parallelism", 16);
    Meter meter = new Meter(cpu, new Requests(raw, keyspace));
    out.printf("  segmentd.replay: %d token ranges, %d threads, page size %d; persistence-id queries: mapAsyncUnordered(%d);"
        + " rebuild lease-grace %s (not in its rate), %d read-side writes in flight%n", ranges.size(), threads, settings.pageSize(),
        pidParallelism, settings.leaseGrace(), settings.maxWritesInFlight());
    Definitions definitions = env.definitions();

    // JIT warm-up on an eighth of the ring, not measured
    List<TokenRanges.Range> warm = ranges.subList(0, Math.max(1, ranges.size() / 8));
    rawScan(raw, keyspace, warm, threads, settings.pageSize(), meter, "warm-up");
    fold(env, definitions, warm, threads, meter, "warm-up", null);

    // The cheap passes run twice (before and after the expensive ones), each figure the faster of its
    // two: on a machine shared with other work, the slower run is the one something else disturbed.
    List<Pass> raws = new ArrayList<>();
    List<Pass> decodes = new ArrayList<>();
    List<Pass> folds = new ArrayList<>();
    List<FoldCosts> costs = new ArrayList<>();
    Runnable round = () -> {
      try {
        int n = raws.size() + 1;
        raws.add(rawScan(raw, keyspace, ranges, threads, settings.pageSize(), meter, "plain driver token-range scan (" + n + ")"));
        out.println("  " + raws.get(raws.size() - 1).describe());
        decodes.add(decode(env, ranges, threads, meter, n));
        out.println("  " + decodes.get(decodes.size() - 1).describe());
        FoldCosts c = new FoldCosts();
        folds.add(fold(env, definitions, ranges, threads, meter, "token scan + decode + fold + evaluate, no writes (" + n + ")", c));
        costs.add(c);
        out.println("  " + folds.get(folds.size() - 1).describe());
        out.println("      " + c.describe());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    round.run();
    Pass pid = persistenceIdQueries(local, pidParallelism, meter);
    out.println("  " + pid.describe());

    long memberships = costs.get(0).memberships.sum();
    Rebuild.Result result;
    Pass rebuild;
    try (JfrProfile jfr = new JfrProfile(ctx.workDir.resolve("replay-rebuild-" + slug(label) + ".jfr"))) {
      Meter.Start start = meter.start();
      result = new Rebuild(env, out).run(new Rebuild.Options(Set.of(), Set.of(), Optional.empty(), true));
      rebuild = meter.pass("rebuild (wall: lease, grace, truncate, scan, writes, recount)", -1, result.events(), start);
      out.printf("  rebuild: %,d customers, %,d events, Result.eventsPerSecond %,.0f events/s (from the scan's start, after the %s grace"
          + " and the truncate, to the end of the recount)%n  %s%n", result.customers(), result.events(), result.eventsPerSecond(),
          settings.leaseGrace(), rebuild.describe());
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
      if (!missing.isEmpty() || !extra.isEmpty()) {
        out.println("    projections' rows the rebuild did not write: " + missing.stream().limit(10).toList());
        out.println("    rows the rebuild wrote that the projections had not: " + extra.stream().limit(10).toList());
      }
    }
    // the recount alone, again (idempotent: sets each bucket's count to its rows), to show its share
    Set<String> segments = segmentsWithMembers(raw, keyspace);
    Meter.Start recountStart = meter.start();
    new MemberRewriter(env.cql(), env.keyspace(), env.memberBuckets(), settings.maxWritesInFlight()).recount(segments, Instant.now());
    Pass recount = meter.pass("recount alone", 0, 0, recountStart);
    out.printf("  recount alone (%d segments x %d buckets, a COUNT(*) and an UPDATE each): %.1f s%n", segments.size(), env.memberBuckets(),
        recount.phase().wallSeconds());

    // The rebuild's other half done by a plain driver: the same member rows written into the
    // emptied table, one unlogged batch per partition chunk, as many in flight. Scan + write is the
    // limit of the rebuild's work on this Cassandra; the scan alone is the yardstick.
    Pass rawWrite = rawMemberWrite(raw, keyspace, settings.maxWritesInFlight(), meter);
    out.println("  " + rawWrite.describe());

    round.run();

    Pass best = fastest(raws);
    Pass bestDecode = fastest(decodes);
    Pass bestFold = fastest(folds);
    long events = knownEvents >= 0 ? knownEvents : bestDecode.events();
    double rawSeconds = best.phase().wallSeconds();
    double rawEvents = events / rawSeconds;
    double rebuildScanSeconds = result.events() / Math.max(1e-9, result.eventsPerSecond());
    out.printf("  ratios to the faster plain driver scan (%,.0f events/s, %,.0f rows/s): scan+decode %.2f, +fold %.2f, pid queries %.2f,"
        + " rebuild %.2f; rebuild scan-to-recount %.1f s, of which recount about %.1f s; wall %.1f s%n", rawEvents, best.rowsPerSecond(),
        bestDecode.eventsPerSecond() / rawEvents, bestFold.eventsPerSecond() / rawEvents, pid.eventsPerSecond() / rawEvents,
        result.eventsPerSecond() / rawEvents, rebuildScanSeconds, recount.phase().wallSeconds(), rebuild.phase().wallSeconds());

    double limitSeconds = rawSeconds + rawWrite.phase().wallSeconds();
    double limitEvents = events / limitSeconds;
    out.printf("  limit of the rebuild's work, plain driver scan + plain driver write of the same %,d member rows: %.1f s + %.1f s,"
        + " %,.0f events/s; rebuild scan-to-recount %.2f of it%n", rawWrite.rows(), rawSeconds, rawWrite.phase().wallSeconds(),
        limitEvents, result.eventsPerSecond() / limitEvents);

    // CPU seconds per million events, client and Cassandra: on shared cores the rates follow these
    out.println("  CPU per million events (client + Cassandra, seconds):");
    for (Pass p : List.of(best, bestDecode, bestFold, pid, rawWrite, rebuild)) {
      out.printf(Locale.ROOT, "    %-62s %5.2f + %5.2f = %5.2f%n", p.label(), p.phase().clientCpuSeconds() * 1e6 / events,
          p.phase().cassandraCpuSeconds() * 1e6 / events, (p.phase().clientCpuSeconds() + p.phase().cassandraCpuSeconds()) * 1e6 / events);
    }

    String j = label;
    ctx.table.addText(name(), j + ": plain driver token-range scan, every column, no decoding (faster of 2 runs)", "-",
        String.format(Locale.ROOT, "%,.0f rows/s (%,d rows in %.1f s)", best.rowsPerSecond(), best.rows(), rawSeconds), "-");
    ctx.table.add(name(), j + ": token scan + decode (JournalScan + JournalDecoder), events/s", bestDecode.eventsPerSecond(), rawEvents, "ev/s", "-");
    ctx.table.add(name(), j + ": token scan + decode + fold + evaluate, no writes, events/s", bestFold.eventsPerSecond(), rawEvents, "ev/s", "-");
    ctx.table.add(name(), j + ": persistence-id queries + decode (mapAsyncUnordered " + pidParallelism + "), events/s",
        pid.eventsPerSecond(), rawEvents, "ev/s", "-");
    ctx.table.add(name(), j + ": rebuild, events/s (Result.eventsPerSecond: scan to recount)", result.eventsPerSecond(), rawEvents, "ev/s", "-");
    ctx.table.add(name(), j + ": rebuild, events/s, against the plain driver's scan + write of the same "
        + String.format(Locale.ROOT, "%,d member rows", rawWrite.rows()), result.eventsPerSecond(), limitEvents, "ev/s", "-");
    ctx.table.add(name(), j + ": rebuild wall time (lease, " + settings.leaseGrace().toSeconds() + " s grace, truncate, scan, "
        + String.format(Locale.ROOT, "%,d member writes, recount)", written), rebuild.phase().wallSeconds(), rawSeconds, "s", "-");
  }

  /** Reads the member rows, empties the table, and writes them back timed, as the rebuild's writer sends them. */
  private static Pass rawMemberWrite(CqlSession cql, String keyspace, int inFlight, Meter meter) throws Exception {
    Map<String, List<Row>> byPartition = new java.util.HashMap<>();
    for (Row row : cql.execute("SELECT segment, bucket, customer_id, since FROM " + keyspace + ".segment_members")) {
      byPartition.computeIfAbsent(row.getString(0) + "\u0000" + row.getInt(1), k -> new ArrayList<>()).add(row);
    }
    cql.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance("TRUNCATE " + keyspace + ".segment_members")
        .setTimeout(java.time.Duration.ofSeconds(60)));
    PreparedStatement insert = cql.prepare("INSERT INTO " + keyspace + ".segment_members (segment, bucket, customer_id, since) VALUES (?, ?, ?, ?)");
    java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(inFlight);
    java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
    long rows = 0;
    Meter.Start start = meter.start();
    for (List<Row> partition : byPartition.values()) {
      for (int from = 0; from < partition.size(); from += 80) {
        List<com.datastax.oss.driver.api.core.cql.BatchableStatement<?>> chunk = new ArrayList<>();
        for (Row r : partition.subList(from, Math.min(partition.size(), from + 80))) {
          chunk.add(insert.bind(r.getString(0), r.getInt(1), r.getString(2), r.getInstant(3)));
        }
        rows += chunk.size();
        permits.acquire();
        cql.executeAsync(com.datastax.oss.driver.api.core.cql.BatchStatement.newInstance(
                com.datastax.oss.driver.api.core.cql.DefaultBatchType.UNLOGGED).addAll(chunk))
            .whenComplete((rs, e) -> {
              if (e != null) failed.compareAndSet(null, e);
              permits.release();
            });
      }
    }
    permits.acquire(inFlight);
    permits.release(inFlight);
    if (failed.get() != null) throw new IllegalStateException("a plain member write failed", failed.get());
    return meter.pass("plain driver: the same member rows written (unlogged batches per partition)", rows, -1, start);
  }

  private static Pass fastest(List<Pass> passes) {
    Pass best = passes.get(0);
    for (Pass p : passes) if (p.phase().wallSeconds() < best.phase().wallSeconds()) best = p;
    return best;
  }

  private static Pass rawScan(CqlSession cql, String keyspace, List<TokenRanges.Range> ranges, int threads, int pageSize, Meter meter,
                              String label) throws Exception {
    PreparedStatement select = cql.prepare("SELECT " + COLUMNS + " FROM " + keyspace + ".messages"
        + " WHERE token(persistence_id, partition_nr) > ? AND token(persistence_id, partition_nr) <= ?");
    LongAdder rows = new LongAdder();
    LongAdder touched = new LongAdder(); // what was read is kept, so no column read is optimized away
    Meter.Start start = meter.start();
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
    return meter.pass(label, rows.sum(), -1, start);
  }

  private static Pass decode(ReplayEnvironment env, List<TokenRanges.Range> ranges, int threads, Meter meter, int n) throws Exception {
    Progress progress = new Progress("scan+decode", ranges.size(), 0, new PrintStream(PrintStream.nullOutputStream()), false,
        Clock.systemUTC(), Duration.ofHours(1));
    LongAdder rows = new LongAdder();
    Meter.Start start = meter.start();
    ParallelScan.histories(env.scan(), env.decoder(), ranges, threads, progress, history -> rows.add(history.entries().size()));
    return meter.pass("token scan + decode (JournalScan + JournalDecoder) (" + n + ")", rows.sum(), progress.events(), start);
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
          + " (%.0f %%) + fold %.1f s (%.0f %%) + evaluate %.1f s (%.0f %%); %,d customers, %,d memberships evaluated (%,d recorded by"
          + " transitions in the journal)", range, scan, pct(scan, range), decode, pct(decode, range), fold, pct(fold, range), evaluate,
          pct(evaluate, range), customers.sum(), memberships.sum(), recorded.sum());
    }

    private static double pct(double part, double whole) {
      return 100 * part / Math.max(whole, 1e-9);
    }
  }

  /** What the rebuild does per customer, without the read-side writes; CPU per part in {@code costs}. */
  private static Pass fold(ReplayEnvironment env, Definitions definitions, List<TokenRanges.Range> ranges, int threads, Meter meter,
                           String label, FoldCosts costs) throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    JournalScan scan = env.scan();
    JournalDecoder decoder = env.decoder();
    LongAdder rows = new LongAdder();
    LongAdder events = new LongAdder();
    FoldCosts c = costs == null ? new FoldCosts() : costs;
    Meter.Start start = meter.start();
    ParallelScan.run(ranges, threads, range -> {
      long rangeStart = mx.getCurrentThreadCpuTime();
      scan.scan(range, journal -> {
        if (!journal.persistenceId().startsWith("Customer|")) return;
        long t0 = mx.getCurrentThreadCpuTime();
        CustomerHistory history = decoder.history(journal);
        long t1 = mx.getCurrentThreadCpuTime();
        // what CustomerHistory.evaluate does, in its two parts, and the rebuild's recorded memberships
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
        c.recorded.add(recorded.size());
        c.customers.increment();
        rows.add(journal.rows().size());
        events.add(history.eventCount());
      });
      c.rangeCpu.add(mx.getCurrentThreadCpuTime() - rangeStart);
    });
    return meter.pass(label, rows.sum(), events.sum(), start);
  }

  private static Pass persistenceIdQueries(LocalSystem local, int parallelism, Meter meter) throws Exception {
    CassandraReadJournal journal = PersistenceQuery.get(local.system).getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    String prefix = Customer.ENTITY_KEY.name() + "|";
    Meter.Start start = meter.start();
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
    return meter.pass("persistence-id queries + decode (" + String.format(Locale.ROOT, "%,d ids", totals[2]) + ")", totals[0], totals[1], start);
  }

  /**
   * Requests Cassandra coordinated per table of the keyspace (its virtual tables
   * {@code system_views.coordinator_read_latency}, {@code _scan_latency} and {@code _write_latency}).
   */
  private static final class Requests {
    private final CqlSession cql;
    private final String keyspace;

    Requests(CqlSession cql, String keyspace) {
      this.cql = cql;
      this.keyspace = keyspace;
    }

    Map<String, Long> counts() {
      Map<String, Long> counts = new java.util.TreeMap<>();
      for (String kind : List.of("read", "scan", "write")) {
        try {
          for (Row row : cql.execute("SELECT table_name, count FROM system_views.coordinator_" + kind + "_latency WHERE keyspace_name = ?",
              keyspace)) {
            counts.put(row.getString(0) + " " + kind + "s", row.getLong(1));
          }
        } catch (RuntimeException e) {
          // an older Cassandra without these virtual tables: no counts
        }
      }
      return counts;
    }

    String since(Map<String, Long> before) {
      StringBuilder text = new StringBuilder();
      counts().forEach((key, count) -> {
        long delta = count - before.getOrDefault(key, 0L);
        if (delta > 0) text.append(text.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %,d", key, delta));
      });
      return text.length() == 0 ? "none counted" : text.toString();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  /** The node's configuration for this keyspace and Cassandra, as the replay CLI loads it. */
  private static Config config(BenchContext ctx, String keyspace) {
    // exit-jvm: the node's configuration ends the JVM when its actor system terminates (cluster.conf),
    // which closing a ReplayEnvironment does; this JVM goes on with the next measure
    Config overrides = ConfigFactory.parseMap(Map.of("segmentd.cassandra.keyspace", keyspace, "segmentd.cassandra.contact-points", ctx.cassandra,
        "pekko.coordinated-shutdown.exit-jvm", "off"));
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
