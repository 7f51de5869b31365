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

  /** Frames worth knowing the inclusive share of (a sample counts once per marker on its stack). */
  private static final List<String[]> MARKERS = List.of(
      new String[] {"Instant parsing (jsr310 InstantDeserializer: ISO-8601 text through DateTimeFormatter)",
          "com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer"},
      new String[] {"event properties (untyped maps)", "com.fasterxml.jackson.databind.deser.std.UntypedObjectDeserializer",
          "com.fasterxml.jackson.module.scala.deser.UntypedScalaObjectDeserializer"},
      new String[] {"Profile.grouped (a Fact per event, grouped by key)", "io.segmentd.segmentation.Profile#grouped"},
      new String[] {"Fact.of", "io.segmentd.segmentation.Fact#of"},
      new String[] {"ZoneId.of (a zone looked up per event)", "java.time.ZoneId#of"},
      new String[] {"SegmentEngine.evaluate", "io.segmentd.segmentation.SegmentEngine#evaluate"},
      new String[] {"driver requests sent from the scan threads (DefaultSession.execute)",
          "com.datastax.oss.driver.internal.core.session.DefaultSession#execute"});

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
    Map<String, Long> markers = new LinkedHashMap<>();
    for (String[] marker : MARKERS) markers.put(marker[0], 0L);
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
        for (String[] marker : MARKERS) {
          if (contains(stack, marker)) markers.merge(marker[0], 1L, Long::sum);
        }
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
    out.println("  inclusive shares (samples with the frame anywhere on the stack):");
    markers.forEach((marker, n) -> out.printf(java.util.Locale.ROOT, "    %5.1f %%  %s%n", 100.0 * n / total, marker));
    out.println("  hottest methods (self samples):");
    top(self, 12).forEach((method, n) -> out.printf(java.util.Locale.ROOT, "    %5.1f %%  %s%n", 100.0 * n / total, method));
    if (!selfOther.isEmpty()) {
      out.println("  hottest methods of 'other':");
      top(selfOther, 6).forEach((method, n) -> out.printf(java.util.Locale.ROOT, "    %5.1f %%  %s%n", 100.0 * n / total, method));
    }
  }

  private static String attribute(RecordedStackTrace stack) {
    for (String[] part : PARTS) {
      if (contains(stack, part)) return part[0];
    }
    return null;
  }

  /** Whether a frame on the stack matches one of the rules (from index 1): a class prefix, or class#method. */
  private static boolean contains(RecordedStackTrace stack, String[] rules) {
    for (RecordedFrame frame : stack.getFrames()) {
      if (!frame.isJavaFrame()) continue;
      String type = frame.getMethod().getType().getName();
      for (int i = 1; i < rules.length; i++) {
        String rule = rules[i];
        int hash = rule.indexOf('#');
        boolean match = hash < 0 ? type.startsWith(rule)
            : type.equals(rule.substring(0, hash)) && frame.getMethod().getName().equals(rule.substring(hash + 1));
        if (match) return true;
      }
    }
    return false;
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
