package io.segmentd.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real Apache Cassandra server for the test run, started through the same launcher users run
 * ({@code scripts/cassandra}) on free loopback ports and a fresh data directory.
 */
public final class LocalCassandra implements AutoCloseable, TestCluster.LocalCassandraLike {
  private final Path projectDir;
  private final Path dataDir;
  private final int port;
  private final int storagePort;
  private final Thread stopOnExit;

  private LocalCassandra(Path projectDir, Path dataDir, int port, int storagePort) {
    this.projectDir = projectDir;
    this.dataDir = dataDir;
    this.port = port;
    this.storagePort = storagePort;
    this.stopOnExit = new Thread(this::stopQuietly, "stop-test-cassandra");
  }

  public static LocalCassandra start() {
    try {
      Path projectDir = Path.of(System.getProperty("segmentd.project.dir", System.getProperty("user.dir")));
      Path dataDir = Files.createTempDirectory("segmentd-test-cassandra-");
      LocalCassandra cassandra = new LocalCassandra(projectDir, dataDir, freePort(), freePort());
      Runtime.getRuntime().addShutdownHook(cassandra.stopOnExit);
      cassandra.run("start");
      return cassandra;
    } catch (IOException e) {
      throw new IllegalStateException("could not start the test Cassandra", e);
    }
  }

  public int port() {
    return port;
  }

  @Override
  public String contactPoint() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() {
    stopQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException shuttingDown) {
      // already stopping the JVM; the hook does the work
    }
  }

  private void stopQuietly() {
    try {
      run("stop");
      deleteDataDir();
    } catch (RuntimeException e) {
      System.err.println("could not stop the test Cassandra: " + e.getMessage());
    }
  }

  private void deleteDataDir() {
    try (var paths = Files.walk(dataDir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dataDir + ": " + e.getMessage());
    }
  }

  private void run(String command) {
    Path log = dataDir.resolve("launcher-" + command + ".log");
    ProcessBuilder builder = new ProcessBuilder("bash", projectDir.resolve("scripts/cassandra").toString(), command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("CASSANDRA_PORT", Integer.toString(port));
    env.put("CASSANDRA_STORAGE_PORT", Integer.toString(storagePort));
    env.put("CASSANDRA_DIR", dataDir.toString());
    env.putIfAbsent("CASSANDRA_HEAP", "1G");
    try {
      int exit = builder.start().waitFor();
      String output = Files.readString(log);
      System.out.print(output);
      if (exit != 0) throw new IllegalStateException("scripts/cassandra " + command + " failed (" + exit + "):\n" + output);
    } catch (IOException e) {
      throw new IllegalStateException("scripts/cassandra " + command + " could not run", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
