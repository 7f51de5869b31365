package io.segmentd.replay;

import io.segmentd.readside.MemberRewriter;
import io.segmentd.readside.ReadSideLease;
import io.segmentd.segmentation.Membership;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code replay rebuild}: the read side's members and counts rewritten from the journals. Every
 * customer's journal is folded through the domain core and evaluated at the instant its entity
 * last evaluated, so with the running definitions the result is exactly the memberships the
 * entities recorded.
 *
 * <p>Guarantee while ingestion goes on: the rebuild holds the {@link ReadSideLease}, so the
 * projections apply nothing while it clears and writes; afterwards they resume from their
 * offsets and re-apply every transition since, each idempotently, so the read side ends equal to
 * the journals, including what was ingested during the rebuild. Queries meanwhile see a read side
 * being refilled. A run checkpoints each token range it finishes; a rerun with the same arguments
 * resumes after the last one (the clearing is not repeated).
 */
public final class Rebuild {
  public record Options(Set<String> segments, Set<String> customers, Optional<File> definitions, boolean restart) {}

  public record Result(String run, boolean resumed, int ranges, int rangesSkipped, long customers, long events, double eventsPerSecond) {}

  private final ReplayEnvironment env;
  private final PrintStream out;

  public Rebuild(ReplayEnvironment env, PrintStream out) {
    this.env = env;
    this.out = out;
  }

  public Result run(Options options) throws Exception {
    Definitions definitions = options.definitions().map(env::definitions).orElseGet(env::definitions);
    ReplaySettings settings = env.settings();
    String run = runId(options, settings.tokenRanges());
    ReadSideLease lease = env.lease();
    lease.acquire(run, settings.leaseTtl()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    AtomicReference<Throwable> lost = new AtomicReference<>();
    ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "replay-lease");
      thread.setDaemon(true);
      return thread;
    });
    long every = Math.max(1, settings.leaseTtl().toMillis() / 3);
    renewer.scheduleAtFixedRate(() -> lease.renew(run, settings.leaseTtl()).whenComplete((v, e) -> {
      if (e != null) lost.compareAndSet(null, e);
    }), every, every, TimeUnit.MILLISECONDS);
    try {
      MemberRewriter rewriter = new MemberRewriter(env.cql(), env.keyspace(), env.memberBuckets(), settings.maxWritesInFlight());
      Result result = options.customers().isEmpty()
          ? rebuildAll(run, options, definitions, settings, rewriter, lost)
          : rebuildCustomers(run, options, definitions, rewriter);
      if (lost.get() != null) throw new IllegalStateException("lost the read-side lease during the rebuild", lost.get());
      return result;
    } finally {
      renewer.shutdownNow();
      lease.release(run).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private Result rebuildAll(String run, Options options, Definitions definitions, ReplaySettings settings, MemberRewriter rewriter,
                            AtomicReference<Throwable> lost) throws Exception {
    Checkpoints checkpoints = new Checkpoints(env.cql(), env.keyspace());
    Optional<Checkpoints.Run> existing = checkpoints.run(run);
    if (options.restart() && existing.isPresent()) {
      checkpoints.forget(run);
      existing = Optional.empty();
    }
    if (existing.isPresent() && existing.get().finishedAt() != null) {
      // A finished run with the same arguments is a new rebuild, not a resumption.
      checkpoints.forget(run);
      existing = Optional.empty();
    }
    boolean resumed = existing.isPresent();
    if (!resumed) checkpoints.start(run, "rebuild", settings.tokenRanges(), env.clock().instant());
    if (existing.map(r -> r.preparedAt() == null).orElse(true)) {
      // Groups the projections started before they saw the lease finish first.
      Thread.sleep(settings.leaseGrace().toMillis());
      if (options.segments().isEmpty()) rewriter.truncate();
      else options.segments().forEach(rewriter::clear);
      checkpoints.prepared(run, env.clock().instant());
    }
    Checkpoints.Done done = checkpoints.done(run);
    List<TokenRanges.Range> remaining = new ArrayList<>();
    for (TokenRanges.Range range : TokenRanges.split(settings.tokenRanges()).ranges()) {
      if (!done.ranges().contains(range.index())) remaining.add(range);
    }
    if (resumed) out.println("rebuild: resuming run " + run + ", " + done.ranges().size() + " of " + settings.tokenRanges() + " ranges done");
    Progress progress = Progress.toStderr("rebuild", settings.tokenRanges(), done.ranges().size());
    Set<String> written = ConcurrentHashMap.newKeySet();
    written.addAll(done.segments());
    JournalScan scan = env.scan();
    JournalDecoder decoder = env.decoder();
    // Rows are buffered across ranges and written a partition at a time; a range is checkpointed
    // once a write after its end has sent every row it buffered.
    Object lock = new Object();
    List<Checkpoints.RangeDone> unwritten = new ArrayList<>();
    ParallelScan.run(remaining, settings.parallelism(), range -> {
      if (lost.get() != null) throw new IllegalStateException("lost the read-side lease", lost.get());
      Set<String> segments = new HashSet<>();
      long[] counted = new long[2];
      scan.scan(range, journal -> {
        if (!journal.persistenceId().startsWith(ParallelScan.CUSTOMER_PREFIX)) return;
        CustomerHistory history = decoder.history(journal);
        Map<String, Instant> recorded = history.recordedMemberships();
        Instant evaluatedAt = history.evaluatedAt();
        for (Membership m : history.evaluate(definitions.settings().engine(), definitions.settings().profile()).values()) {
          if (!options.segments().isEmpty() && !options.segments().contains(m.segment())) continue;
          segments.add(m.segment());
          rewriter.buffer(m.segment(), history.customerId(), recorded.getOrDefault(m.segment(), evaluatedAt));
        }
        counted[0]++;
        counted[1] += history.eventCount();
        progress.customer(history.eventCount());
      });
      written.addAll(segments);
      boolean full;
      synchronized (lock) {
        unwritten.add(new Checkpoints.RangeDone(range.index(), counted[0], counted[1], segments));
        full = rewriter.bufferedRows() >= settings.writeBatchRows();
      }
      if (full) write(lock, unwritten, rewriter, checkpoints, run, progress, settings.writeBatchRows());
    });
    write(lock, unwritten, rewriter, checkpoints, run, progress, 0);
    Set<String> recount = new TreeSet<>(written);
    recount.addAll(options.segments());
    rewriter.recount(recount, env.clock().instant());
    checkpoints.finished(run, env.clock().instant());
    progress.finish();
    return new Result(run, resumed, settings.tokenRanges(), done.ranges().size(), progress.customers(), progress.events(), progress.rate());
  }

  private final Object writer = new Object();

  /**
   * Writes the buffered rows and then checkpoints the ranges finished before them. One writer at a
   * time, each draining only once the previous one's rows are all written: a checkpointed range
   * never has a row still on its way (some of its rows may have left with an earlier drain).
   */
  private void write(Object lock, List<Checkpoints.RangeDone> unwritten, MemberRewriter rewriter, Checkpoints checkpoints, String run, Progress progress,
                     int atLeast) {
    synchronized (writer) {
      List<Checkpoints.RangeDone> ranges;
      Map<String, List<com.datastax.oss.driver.api.core.cql.BoundStatement>> rows;
      synchronized (lock) {
        if (rewriter.bufferedRows() < atLeast) return; // another writer took them meanwhile
        ranges = new ArrayList<>(unwritten);
        unwritten.clear();
        rows = rewriter.drain();
      }
      rewriter.send(rows);
      checkpoints.rangesDone(run, ranges, env.clock().instant());
      ranges.forEach(range -> progress.rangeDone());
    }
  }

  /** Named customers only: their rows of every segment set to what their journals say, their buckets recounted. */
  private Result rebuildCustomers(String run, Options options, Definitions definitions, MemberRewriter rewriter) {
    JournalScan scan = env.scan();
    JournalDecoder decoder = env.decoder();
    Progress progress = Progress.toStderr("rebuild", 1, 0);
    Set<String> segments = new TreeSet<>(options.segments().isEmpty() ? definitions.segments() : options.segments());
    Set<String> buckets = new TreeSet<>();
    for (String customerId : options.customers()) {
      CustomerHistory history = decoder.history(scan.read(ParallelScan.CUSTOMER_PREFIX + customerId));
      Map<String, Membership> members = history.evaluate(definitions.settings().engine(), definitions.settings().profile());
      Map<String, Instant> recorded = history.recordedMemberships();
      Set<String> touched = new TreeSet<>(segments);
      if (options.segments().isEmpty()) touched.addAll(recorded.keySet());
      for (String segment : touched) {
        if (members.containsKey(segment)) rewriter.add(segment, customerId, recorded.getOrDefault(segment, history.evaluatedAt()));
        else rewriter.remove(segment, customerId);
        buckets.add(segment + "\u0000" + MemberRewriter.bucketOf(customerId, rewriter.buckets()));
      }
      progress.customer(history.eventCount());
    }
    rewriter.flush();
    for (String key : buckets) {
      int split = key.indexOf('\u0000');
      rewriter.recount(key.substring(0, split), Integer.parseInt(key.substring(split + 1)), env.clock().instant());
    }
    progress.rangeDone();
    progress.finish();
    return new Result(run, false, 1, 0, progress.customers(), progress.events(), progress.rate());
  }

  /** The same arguments give the same run, so a rerun finds its checkpoints. */
  static String runId(Options options, int ranges) throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(String.join(",", new TreeSet<>(options.segments())).getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
      digest.update(String.join(",", new TreeSet<>(options.customers())).getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
      if (options.definitions().isPresent()) digest.update(Files.readAllBytes(options.definitions().get().toPath()));
      digest.update((byte) 0);
      digest.update(Integer.toString(ranges).getBytes(StandardCharsets.UTF_8));
      return "rebuild-" + HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
