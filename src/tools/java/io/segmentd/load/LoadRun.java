package io.segmentd.load;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Drives a {@link BatchSender} in one of two ways and measures it:
 * <ul>
 *   <li>closed loop: {@code concurrency} requests always in flight, each sent when one completes
 *       (the maximum the system sustains);</li>
 *   <li>open loop: requests sent on a fixed schedule for a target events/s whatever the answers,
 *       latency measured from each request's scheduled instant, so a stall is charged to every
 *       request it delayed (no coordinated omission).</li>
 * </ul>
 * Events count as acknowledged when their request answered 200. A report line per second.
 */
public final class LoadRun {
  private static final long HIGHEST_MICROS = TimeUnit.MINUTES.toMicros(5);

  public enum Mode { CLOSED, OPEN }

  /**
   * @param concurrency requests in flight (closed loop)
   * @param eventsPerSecond target rate (open loop)
   */
  public record Plan(String label, Mode mode, int concurrency, double eventsPerSecond, int batchSize,
      Duration warmUp, Duration measured, long maxEvents) {

    public static Plan closed(String label, int concurrency, int batchSize, Duration warmUp, Duration measured) {
      return new Plan(label, Mode.CLOSED, concurrency, 0, batchSize, warmUp, measured, 0);
    }

    public static Plan open(String label, double eventsPerSecond, int batchSize, Duration warmUp, Duration measured) {
      return new Plan(label, Mode.OPEN, 0, eventsPerSecond, batchSize, warmUp, measured, 0);
    }

    /**
     * A closed loop that stops after sending {@code events}, or when the batch source answers an
     * empty batch (measured from the start; no warm-up).
     */
    public static Plan closedCount(String label, int concurrency, int batchSize, long events) {
      return new Plan(label, Mode.CLOSED, concurrency, 0, batchSize, Duration.ZERO, Duration.ofHours(6), events);
    }
  }

  private final Plan plan;
  private final BatchSender sender;
  private final Supplier<Batch> batches;
  private final Executor callbacks;
  private final ThreadCount threads;
  private final PrintStream report;

  private final Recorder intervalLatency = new Recorder(HIGHEST_MICROS, 3);
  private final Histogram measuredLatency = new Histogram(HIGHEST_MICROS, 3);
  private final LongAdder intervalEvents = new LongAdder();
  private final AtomicLong measuredEvents = new AtomicLong();
  private final AtomicLong measuredRequests = new AtomicLong();
  private final Map<Integer, LongAdder> failures = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong sentEvents = new AtomicLong();
  private final AtomicLong lastCompletion = new AtomicLong();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();
  private volatile boolean stopped;
  private long measureFrom;
  private long end;

  /**
   * @param callbacks runs completion stages (never the common pool)
   * @param report a line per second, or null
   */
  public LoadRun(Plan plan, BatchSender sender, Supplier<Batch> batches, Executor callbacks, ThreadCount threads, PrintStream report) {
    this.plan = plan;
    this.sender = sender;
    this.batches = batches;
    this.callbacks = callbacks;
    this.threads = threads;
    this.report = report;
  }

  public LoadResult run() throws InterruptedException {
    long start = System.nanoTime();
    measureFrom = start + plan.warmUp().toNanos();
    end = measureFrom + plan.measured().toNanos();
    List<LoadResult.Second> series = new ArrayList<>();
    int[] threadStats = {readThreads(), -1, readThreads()}; // start, end, max
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "load-ticker");
      t.setDaemon(true);
      return t;
    });
    AtomicInteger second = new AtomicInteger();
    ticker.scheduleAtFixedRate(() -> tick(second.incrementAndGet(), series, threadStats), 1, 1, TimeUnit.SECONDS);
    try {
      if (plan.mode() == Mode.CLOSED) closedLoop(); else openLoop(start);
      stopped = true;
      if (inFlight.get() == 0) drained.complete(null);
      try {
        // the closed loop's chains end by themselves at the end of the window; requests time out well before 2 minutes
        drained.get(Math.max(0, end - System.nanoTime()) + TimeUnit.MINUTES.toNanos(2), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
        if (report != null) report.println(plan.label() + ": " + inFlight.get() + " requests still unanswered after 2 minutes");
      }
    } finally {
      ticker.shutdownNow();
    }
    threadStats[1] = readThreads();
    threadStats[2] = Math.max(threadStats[2], threadStats[1]);
    Map<Integer, Long> failed = new TreeMap<>();
    failures.forEach((status, count) -> failed.put(status, count.sum()));
    synchronized (measuredLatency) {
      // a counted run ends when its events are answered, before its time limit
      double seconds = plan.maxEvents() > 0 ? Math.max(1, lastCompletion.get() - measureFrom) / 1e9 : plan.measured().toNanos() / 1e9;
      return new LoadResult(plan.label(), seconds, measuredEvents.get(), measuredRequests.get(),
          measuredLatency.copy(), failed, List.copyOf(series), threadStats[0], threadStats[1], threadStats[2]);
    }
  }

  private void closedLoop() {
    inFlight.set(plan.concurrency());
    for (int i = 0; i < plan.concurrency(); i++) sendNextClosed();
    // the loop is driven by completions; this thread only waits for the measured window to pass
  }

  /** Sends one request and, when it completes, the next: one of the {@code concurrency} chains. */
  private void sendNextClosed() {
    long sentAt = System.nanoTime();
    if (sentAt >= end || (plan.maxEvents() > 0 && sentEvents.get() >= plan.maxEvents())) {
      if (inFlight.decrementAndGet() == 0) drained.complete(null);
      return;
    }
    Batch batch = batches.get();
    if (batch.size() == 0) { // the source is exhausted: this chain ends
      if (inFlight.decrementAndGet() == 0) drained.complete(null);
      return;
    }
    sentEvents.addAndGet(batch.size());
    send(batch).thenAcceptAsync(status -> {
      long now = System.nanoTime();
      lastCompletion.accumulateAndGet(now, Math::max);
      // throughput by completion within the window: a request straddling the warm-up's end counts
      // (excluding it would understate a slow system by latency / window)
      record(batch.size(), status, sentAt, now, now >= measureFrom && now <= end);
      sendNextClosed();
    }, callbacks);
  }

  private void openLoop(long start) {
    double requestsPerSecond = plan.eventsPerSecond() / plan.batchSize();
    long interval = (long) (1e9 / requestsPerSecond);
    for (long n = 0; ; n++) {
      long scheduled = start + n * interval;
      if (scheduled >= end) break;
      // pacing, not synchronization: wait for the request's own slot in the schedule
      for (long wait; (wait = scheduled - System.nanoTime()) > 0; ) LockSupport.parkNanos(wait);
      inFlight.incrementAndGet();
      Batch batch = batches.get();
      send(batch).thenAcceptAsync(status -> {
        record(batch.size(), status, scheduled, System.nanoTime(), scheduled >= measureFrom);
        if (inFlight.decrementAndGet() == 0 && stopped) drained.complete(null);
      }, callbacks);
    }
  }

  private CompletableFuture<Integer> send(Batch batch) {
    try {
      return sender.send(batch);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(0);
    }
  }

  private void record(int events, int status, long from, long to, boolean measured) {
    long micros = Math.min(HIGHEST_MICROS, Math.max(1, (to - from) / 1_000));
    intervalLatency.recordValue(micros);
    if (status == 200) intervalEvents.add(events);
    if (!measured) return;
    if (status == 200) measuredEvents.addAndGet(events);
    else failures.computeIfAbsent(status, s -> new LongAdder()).increment();
    measuredRequests.incrementAndGet();
    synchronized (measuredLatency) {
      measuredLatency.recordValue(micros);
    }
  }

  private int readThreads() {
    OptionalInt count = threads.current();
    return count.isPresent() ? count.getAsInt() : -1;
  }

  private void tick(int second, List<LoadResult.Second> series, int[] threadStats) {
    Histogram interval = intervalLatency.getIntervalHistogram();
    long events = intervalEvents.sumThenReset();
    int threadCount = readThreads();
    threadStats[2] = Math.max(threadStats[2], threadCount);
    boolean any = interval.getTotalCount() > 0;
    LoadResult.Second s = new LoadResult.Second(second, events,
        any ? interval.getValueAtPercentile(50) / 1e3 : Double.NaN, any ? interval.getValueAtPercentile(99) / 1e3 : Double.NaN,
        any ? interval.getValueAtPercentile(99.9) / 1e3 : Double.NaN, any ? interval.getMaxValue() / 1e3 : Double.NaN, threadCount);
    synchronized (series) {
      series.add(s);
    }
    if (report != null) {
      long failed = failures.values().stream().mapToLong(LongAdder::sum).sum();
      report.printf(Locale.ROOT, "%s %4ds %8d ev/s  p50 %8.1f  p99 %8.1f  p99.9 %8.1f  max %8.1f ms  in flight %4d  non-200 %d%s%s%n",
          plan.label(), second, events, s.p50Ms(), s.p99Ms(), s.p999Ms(), s.maxMs(), inFlight.get(), failed,
          threadCount >= 0 ? "  node threads " + threadCount : "", System.nanoTime() < measureFrom ? "  (warm-up)" : "");
    }
  }
}
