package io.segmentd.bench;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where a phase's time went on a shared 2-core machine: wall time, CPU seconds of this JVM (the
 * client: scans, decoding, folding) and of the Cassandra process (found in /proc by its CQL port),
 * this JVM's GC time, and the load average.
 */
final class CpuMeter {
  private static final Pattern CONFIG = Pattern.compile("-Dcassandra\\.config=file://(\\S+)");
  private static final double TICKS_PER_SECOND = 100; // USER_HZ on Linux

  record Snapshot(long nanos, long processCpuNanos, long cassandraTicks, long gcMillis) {}

  /** One phase: wall seconds, client and Cassandra CPU seconds, GC seconds, load average at its end. */
  record Phase(double wallSeconds, double clientCpuSeconds, double cassandraCpuSeconds, double gcSeconds, String loadAverage) {
    String describe() {
      return String.format(java.util.Locale.ROOT, "wall %.1f s; CPU: client %.1f s (%.0f %%), Cassandra %s; client GC %.1f s; load %s",
          wallSeconds, clientCpuSeconds, 100 * clientCpuSeconds / Math.max(wallSeconds, 1e-9),
          Double.isNaN(cassandraCpuSeconds) ? "?" : String.format(java.util.Locale.ROOT, "%.1f s (%.0f %%)", cassandraCpuSeconds,
              100 * cassandraCpuSeconds / Math.max(wallSeconds, 1e-9)), gcSeconds, loadAverage);
    }
  }

  private final OptionalLong cassandraPid;
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  CpuMeter(String cassandraHostPort) {
    this.cassandraPid = findCassandra(Integer.parseInt(cassandraHostPort.substring(cassandraHostPort.lastIndexOf(':') + 1)));
  }

  OptionalLong cassandraPid() {
    return cassandraPid;
  }

  Snapshot now() {
    long gc = 0;
    for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) gc += Math.max(0, bean.getCollectionTime());
    return new Snapshot(System.nanoTime(), os.getProcessCpuTime(), cassandraTicks(), gc);
  }

  Phase since(Snapshot start) {
    Snapshot end = now();
    double cassandra = start.cassandraTicks() < 0 || end.cassandraTicks() < 0 ? Double.NaN
        : (end.cassandraTicks() - start.cassandraTicks()) / TICKS_PER_SECOND;
    return new Phase((end.nanos() - start.nanos()) / 1e9, (end.processCpuNanos() - start.processCpuNanos()) / 1e9, cassandra,
        (end.gcMillis() - start.gcMillis()) / 1e3, loadAverage());
  }

  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** utime + stime of the Cassandra process in clock ticks, or -1. */
  private long cassandraTicks() {
    if (cassandraPid.isEmpty()) return -1;
    try {
      String stat = Files.readString(Path.of("/proc/" + cassandraPid.getAsLong() + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The CassandraDaemon whose cassandra.yaml (from its command line) names this CQL port. */
  private static OptionalLong findCassandra(int port) {
    try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
      for (Path process : processes.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String command = Files.readString(process.resolve("cmdline")).replace('\0', ' ');
          if (!command.contains("org.apache.cassandra.service.CassandraDaemon")) continue;
          Matcher config = CONFIG.matcher(command);
          if (config.find() && Files.readString(Path.of(config.group(1))).contains("native_transport_port: " + port + "\n")) {
            return OptionalLong.of(Long.parseLong(process.getFileName().toString()));
          }
        } catch (IOException | RuntimeException gone) {
          // a process that ended or is not ours to read
        }
      }
    } catch (IOException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }
}
