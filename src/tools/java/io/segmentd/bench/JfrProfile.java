package io.segmentd.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * A rough CPU profile of this JVM during one phase: JFR execution samples (every 10 ms per thread
 * running Java code; threads waiting on I/O are not sampled), each attributed to the part of a
 * rebuild its stack is in.
 */
final class JfrProfile implements AutoCloseable {
  /** Attribution rules, first match wins: a class (or class#method) anywhere on the stack. */
  private static final List<String[]> PARTS = List.of(
      new String[] {"read-side writes (MemberRewriter: statement binding, driver request path)", "io.segmentd.readside.MemberRewriter"},
      new String[] {"decode (JournalDecoder: Pekko serialization, Jackson CBOR into Customer events)", "io.segmentd.replay.JournalDecoder"},
      new String[] {"evaluate (SegmentEngine.evaluate: the families and custom rules)", "io.segmentd.segmentation.SegmentEngine"},
      new String[] {"fold (CustomerHistory.profile: Profile.plus)", "io.segmentd.replay.CustomerHistory#profile",
          "io.segmentd.segmentation.Profile#plus"},
      new String[] {"other per-customer work in the handler (recorded memberships, evaluatedAt, ...)", "io.segmentd.replay.CustomerHistory",
          "io.segmentd.replay.Rebuild"},
      new String[] {"scan (JournalScan: driver paging, row decoding into JournalRow)", "io.segmentd.replay.JournalScan"},
      new String[] {"driver I/O threads (netty: frame codec, response parsing, request writing)", "io.netty.", "com.datastax."});

  private final Recording recording = new Recording();
  private final Path file;

  /**
   * Starts and stops an empty recording: the first recording in a running JVM deoptimizes compiled
   * code (a measured rebuild then ran ~60 % in the interpreter for its first 20 s), so JFR is set
   * up before the warm-up and the measured passes, not in the middle of them.
   */
  static void initialize() {
    try (Recording warm = new Recording()) {
      warm.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
      warm.start();
      warm.stop();
    }
  }

  JfrProfile(Path file) {
    this.file = file;
    recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
    recording.enable("jdk.GarbageCollection");
    recording.setToDisk(true);
    recording.start();
  }

  /** Stops, writes the recording and prints the attribution. */
  void report(PrintStream out) throws IOException {
    recording.stop();
    recording.dump(file);
    Map<String, Long> parts = new LinkedHashMap<>();
    for (String[] part : PARTS) parts.put(part[0], 0L);
    Map<String, Long> selfOther = new HashMap<>();
    Map<String, Long> self = new HashMap<>();
    long samples = 0;
    long interpreted = 0;
    long gcNanos = 0;
    try (RecordingFile events = new RecordingFile(file)) {
      while (events.hasMoreEvents()) {
        RecordedEvent event = events.readEvent();
        String type = event.getEventType().getName();
        if (type.equals("jdk.GarbageCollection")) {
          gcNanos += event.getDuration().toNanos();
          continue;
        }
        if (!type.equals("jdk.ExecutionSample")) continue;
        RecordedStackTrace stack = event.getStackTrace();
        if (stack == null || stack.getFrames().isEmpty()) continue;
        samples++;
        if ("Interpreted".equals(stack.getFrames().get(0).getType())) interpreted++;
        String top = name(stack.getFrames().get(0));
        self.merge(top, 1L, Long::sum);
        String part = attribute(stack);
        if (part == null) {
          parts.merge("other (Pekko, JDK, ...)", 1L, Long::sum);
          selfOther.merge(top, 1L, Long::sum);
        } else {
          parts.merge(part, 1L, Long::sum);
        }
      }
    }
    out.printf(java.util.Locale.ROOT, "  JFR execution samples of the client JVM: %,d (recording %s); %.1f %% of them in interpreted code;"
        + " GC pauses %.1f s%n", samples, file, 100.0 * interpreted / Math.max(1, samples), gcNanos / 1e9);
    long total = Math.max(1, samples);
    parts.forEach((part, n) -> out.printf(java.util.Locale.ROOT, "    %5.1f %%  %s%n", 100.0 * n / total, part));
    out.println("  hottest methods (self samples):");
    top(self, 12).forEach((method, n) -> out.printf(java.util.Locale.ROOT, "    %5.1f %%  %s%n", 100.0 * n / total, method));
    if (!selfOther.isEmpty()) {
      out.println("  hottest methods of 'other':");
      top(selfOther, 6).forEach((method, n) -> out.printf(java.util.Locale.ROOT, "    %5.1f %%  %s%n", 100.0 * n / total, method));
    }
  }

  private static String attribute(RecordedStackTrace stack) {
    for (String[] part : PARTS) {
      for (RecordedFrame frame : stack.getFrames()) {
        if (!frame.isJavaFrame()) continue;
        String type = frame.getMethod().getType().getName();
        for (int i = 1; i < part.length; i++) {
          String rule = part[i];
          int hash = rule.indexOf('#');
          boolean match = hash < 0 ? type.startsWith(rule)
              : type.equals(rule.substring(0, hash)) && frame.getMethod().getName().equals(rule.substring(hash + 1));
          if (match) return part[0];
        }
      }
    }
    return null;
  }

  private static String name(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }

  private static Map<String, Long> top(Map<String, Long> counts, int n) {
    Map<String, Long> top = new LinkedHashMap<>();
    counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
        .forEach(e -> top.put(e.getKey(), e.getValue()));
    return top;
  }

  @Override
  public void close() {
    recording.close();
  }
}
