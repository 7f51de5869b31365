package io.segmentd.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One segmentd node in its own JVM, started as an operator would ({@code server --config FILE}
 * with the environment of {@code scripts/cluster}), so that {@link #kill()} is a real {@code kill -9}.
 */
public final class NodeProcess {
  private final String name;
  private final Path configFile;
  private final Path log;
  private final Map<String, String> env;
  private final List<String> jvmOptions;
  private volatile Process process;

  public NodeProcess(String name, Path configFile, Path log, Map<String, String> env, List<String> jvmOptions) {
    this.name = name;
    this.configFile = configFile;
    this.log = log;
    this.env = env;
    this.jvmOptions = jvmOptions;
  }

  public String name() {
    return name;
  }

  public Path log() {
    return log;
  }

  public synchronized void start() {
    if (isAlive()) throw new IllegalStateException(name + " is already running");
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add("io.segmentd.server.Main");
    command.add("server");
    command.add("--config");
    command.add(configFile.toString());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    try {
      Files.writeString(log, "---- start " + java.time.Instant.now() + "\n", java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + name, e);
    }
  }

  /** Not synchronized: load threads ask it before every request, also while a node stops. */
  public boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** SIGKILL: no shutdown hook, no leaving, nothing flushed. */
  public void kill() {
    Process p = process;
    if (p == null) return;
    p.destroyForcibly();
    awaitExit(Duration.ofSeconds(30));
  }

  /** SIGTERM: coordinated shutdown, which leaves the cluster gracefully and hands its shards over. */
  public void stop() {
    Process p = process;
    if (p == null || !p.isAlive()) return;
    p.destroy();
    awaitExit(Duration.ofSeconds(90));
  }

  public void awaitExit(Duration timeout) {
    Process p = process;
    if (p == null) return;
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(name + " did not exit within " + timeout + "; see " + log);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
