package io.segmentd.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.segmentd.load.ThreadCount;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One segmentd node in its own JVM ({@code java -jar segmentd.jar server}), started and stopped by
 * the suite so it can restart it, read its thread count from /proc and its heap with jcmd.
 */
public final class NodeProcess implements AutoCloseable {
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Ports and keyspace of a node; ports apart from the defaults so other local nodes do not clash. */
  public record Settings(Path jar, String cassandra, String keyspace, int httpPort, int managementPort, int remotePort,
      String heap, Path logDir) {
    public String url() {
      return "http://127.0.0.1:" + httpPort;
    }
  }

  /** Every node process started and not yet stopped, stopped by a shutdown hook whatever ends the suite. */
  private static final java.util.Set<Process> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(p -> {
      p.destroy();
      try {
        if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }), "stop-nodes"));
  }

  private final Settings settings;
  private final HttpClient http;
  private final Instant firstTimeBucket = Instant.now().minus(Duration.ofHours(1));
  private Process process;
  private int starts;

  public NodeProcess(Settings settings, HttpClient http) {
    this.settings = settings;
    this.http = http;
  }

  /** Starts the JVM and returns once {@code /ready} answers 200, in how long. */
  public Duration start() throws IOException, InterruptedException, TimeoutException {
    Files.createDirectories(settings.logDir());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xms" + settings.heap(), "-Xmx" + settings.heap(),
        "-jar", settings.jar().toString(), "server"));
    // BENCH_NODE_JAVA_OPTS: extra JVM options for the node, e.g. a JFR recording when profiling
    String extra = System.getenv("BENCH_NODE_JAVA_OPTS");
    if (extra != null && !extra.isBlank()) command.addAll(1, List.of(extra.trim().split("\\s+")));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(settings.logDir().resolve(settings.keyspace() + "-" + (++starts) + ".log").toFile());
    Map<String, String> env = builder.environment();
    env.put("SEGMENTD_CASSANDRA", settings.cassandra());
    env.put("SEGMENTD_KEYSPACE", settings.keyspace());
    env.put("SEGMENTD_HTTP_PORT", Integer.toString(settings.httpPort()));
    env.put("SEGMENTD_MANAGEMENT_PORT", Integer.toString(settings.managementPort()));
    env.put("SEGMENTD_REMOTE_PORT", Integer.toString(settings.remotePort()));
    // the tag scan starts at the hour before this suite's first start (see persistence.conf)
    env.put("SEGMENTD_FIRST_TIME_BUCKET", DateTimeFormatter.ofPattern("yyyyMMdd'T'HH:00").withZone(ZoneOffset.UTC).format(firstTimeBucket));
    long began = System.nanoTime();
    process = builder.start();
    RUNNING.add(process);
    awaitReady(Duration.ofMinutes(3));
    return Duration.ofNanos(System.nanoTime() - began);
  }

  /** Polls {@code /ready} until 200, the process dies, or the deadline passes. */
  private void awaitReady(Duration limit) throws InterruptedException, TimeoutException {
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + settings.managementPort() + "/ready"))
        .timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("the node exited with " + process.exitValue() + "; see " + settings.logDir());
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      // poll interval, bounded by the deadline: readiness has no push notification to wait on
      process.waitFor(250, TimeUnit.MILLISECONDS);
    }
    throw new TimeoutException("the node was not ready within " + limit + "; see " + settings.logDir());
  }

  /** SIGTERM (a coordinated shutdown, as an orchestrator stops it), then waits for the exit. */
  public void stop() throws InterruptedException {
    if (process == null) return;
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
    RUNNING.remove(process);
  }

  public Duration restart() throws IOException, InterruptedException, TimeoutException {
    stop();
    return start();
  }

  public long pid() {
    return process.pid();
  }

  public ThreadCount threads() {
    return ThreadCount.ofPid(process.pid());
  }

  public int threadCount() {
    return threads().current().orElse(-1);
  }

  public String url() {
    return settings.url();
  }

  public Settings settings() {
    return settings;
  }

  /** Used heap in bytes right after two full GCs ({@code jcmd GC.run}, then {@code GC.heap_info}). */
  public long heapUsedAfterGc() throws IOException, InterruptedException {
    jcmd("GC.run");
    jcmd("GC.run");
    Matcher used = HEAP_USED.matcher(jcmd("GC.heap_info"));
    if (!used.find()) throw new IOException("no 'used' in jcmd GC.heap_info");
    return Long.parseLong(used.group(1)) * 1024;
  }

  /**
   * Used heap after GC once the node has settled: background work that follows a load (the read
   * side's projection 5 s behind, tag writes, buffers of connections) still allocates and frees
   * for a while, so readings are repeated until two in a row agree within 1 % (or the deadline
   * passes; then the last one).
   */
  public long heapUsedWhenSettled(Duration limit) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    long previous = heapUsedAfterGc();
    while (System.nanoTime() < deadline) {
      process.waitFor(3, TimeUnit.SECONDS); // between readings; the bound is the deadline
      long current = heapUsedAfterGc();
      if (Math.abs(current - previous) <= previous / 100) return Math.min(current, previous);
      previous = current;
    }
    return previous;
  }

  private String jcmd(String command) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException("jcmd " + command + " failed: " + out);
    return out;
  }

  /** Customer entities in memory on this node, from pekko-management's shard listing. */
  public int activeCustomers() throws IOException, InterruptedException {
    HttpRequest shards = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + settings.managementPort() + "/cluster/shards/Customer"))
        .timeout(Duration.ofSeconds(10)).build();
    JsonNode body = JSON.readTree(http.send(shards, HttpResponse.BodyHandlers.ofString()).body());
    int entities = 0;
    for (JsonNode region : body.path("regions")) entities += region.path("numEntities").asInt();
    return entities;
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
