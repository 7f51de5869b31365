package io.segmentd.replay;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a scan over token ranges: a bar with rate and ETA redrawn in place on a terminal,
 * plain lines at an interval otherwise (logs, CI). Ranges are equal slices of the token ring, so
 * the share of ranges done estimates the share of the journal read.
 */
public final class Progress {
  private static final int BAR = 30;

  private final String label;
  private final int totalRanges;
  private final PrintStream out;
  private final boolean terminal;
  private final Clock clock;
  private final Duration lineInterval;
  private final Instant started;
  private final int alreadyDone;
  private final AtomicLong ranges = new AtomicLong();
  private final AtomicLong customers = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private volatile Instant lastLine;

  public Progress(String label, int totalRanges, int alreadyDone, PrintStream out, boolean terminal, Clock clock, Duration lineInterval) {
    this.label = label;
    this.totalRanges = totalRanges;
    this.alreadyDone = alreadyDone;
    this.out = out;
    this.terminal = terminal;
    this.clock = clock;
    this.lineInterval = lineInterval;
    this.started = clock.instant();
    this.lastLine = started;
  }

  public static Progress toStderr(String label, int totalRanges, int alreadyDone) {
    return new Progress(label, totalRanges, alreadyDone, System.err, System.console() != null, Clock.systemUTC(), Duration.ofSeconds(5));
  }

  public void customer(long journalEvents) {
    customers.incrementAndGet();
    events.addAndGet(journalEvents);
  }

  public synchronized void rangeDone() {
    ranges.incrementAndGet();
    Instant now = clock.instant();
    if (terminal) {
      out.print("\r" + line(now));
      out.flush();
    } else if (!now.isBefore(lastLine.plus(lineInterval)) || done() == totalRanges) {
      out.println(line(now));
      lastLine = now;
    }
  }

  public synchronized void finish() {
    if (terminal) out.println();
    out.println(label + ": " + summary());
  }

  public long customers() {
    return customers.get();
  }

  public long events() {
    return events.get();
  }

  /** Events per second since the start of this process. */
  public double rate() {
    double seconds = Math.max(0.001, Duration.between(started, clock.instant()).toNanos() / 1e9);
    return events.get() / seconds;
  }

  public String summary() {
    return String.format("%,d customers, %,d events in %.1f s (%,.0f events/s)", customers.get(), events.get(),
        Duration.between(started, clock.instant()).toMillis() / 1000.0, rate());
  }

  private long done() {
    return alreadyDone + ranges.get();
  }

  String line(Instant now) {
    long done = done();
    double share = totalRanges == 0 ? 1 : (double) done / totalRanges;
    int filled = (int) Math.round(share * BAR);
    double seconds = Math.max(0.001, Duration.between(started, now).toNanos() / 1e9);
    long ranThisRun = ranges.get();
    String eta = ranThisRun == 0 ? "?" : format(Duration.ofMillis((long) (seconds * 1000 / ranThisRun * (totalRanges - done))));
    return String.format("%s [%s%s] %3.0f%% ranges %d/%d, %,d customers, %,d events, %,.0f events/s, ETA %s",
        label, "#".repeat(filled), " ".repeat(BAR - filled), share * 100, done, totalRanges, customers.get(), events.get(),
        events.get() / seconds, eta);
  }

  private static String format(Duration d) {
    long s = d.toSeconds();
    return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s % 3600 / 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
  }
}
