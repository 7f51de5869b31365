package io.segmentd.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A real N-node Apache Cassandra cluster on 127.0.0.1..N for fault tests, run by the same launcher
 * operators use ({@code scripts/cassandra --nodes N}) on free ports and a fresh directory.
 */
public final class LocalCassandraCluster implements AutoCloseable, TestCluster.LocalCassandraLike {
  private final Path projectDir;
  private final Path dataDir;
  private final int nodes;
  private final int port;
  private final int storagePort;
  private final int jmxPort;
  private final Thread stopOnExit;

  private LocalCassandraCluster(Path projectDir, Path dataDir, int nodes) {
    this.projectDir = projectDir;
    this.dataDir = dataDir;
    this.nodes = nodes;
    this.port = LocalCassandra.freePort();
    this.storagePort = LocalCassandra.freePort();
    this.jmxPort = LocalCassandra.freePort();
    this.stopOnExit = new Thread(() -> run("kill", "--nodes", Integer.toString(nodes)), "stop-test-cassandra-cluster");
  }

  public static LocalCassandraCluster start(int nodes) {
    try {
      Path projectDir = Path.of(System.getProperty("segmentd.project.dir", System.getProperty("user.dir")));
      LocalCassandraCluster cluster = new LocalCassandraCluster(projectDir, Files.createTempDirectory("segmentd-test-cassandra-cluster-"), nodes);
      Runtime.getRuntime().addShutdownHook(cluster.stopOnExit);
      try {
        cluster.run("start", "--nodes", Integer.toString(nodes));
      } catch (RuntimeException e) {
        cluster.run("kill", "--nodes", Integer.toString(nodes));
        throw e;
      }
      return cluster;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String contactPoint() {
    return IntStream.rangeClosed(1, nodes).mapToObj(i -> "127.0.0." + i + ":" + port).collect(Collectors.joining(","));
  }

  public String host(int node) {
    return "127.0.0." + node;
  }

  public int port() {
    return port;
  }

  /** kill -9 of one Cassandra node. */
  public void kill(int node) {
    run("kill", "--node", Integer.toString(node));
  }

  /** Restarts one node and waits until the ring shows it Up and Normal. */
  public void restart(int node) {
    run("start", "--node", Integer.toString(node));
  }

  /** nodetool against one node, e.g. {@code nodetool(2, "repair", "ks")}. */
  public String nodetool(int node, String... args) {
    List<String> command = new ArrayList<>(List.of("nodetool", "--node", Integer.toString(node)));
    command.addAll(List.of(args));
    return run(command.toArray(String[]::new));
  }

  public String ring() {
    return run("status", "--nodes", Integer.toString(nodes));
  }

  @Override
  public void close() {
    run("kill", "--nodes", Integer.toString(nodes));
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook does it
    }
  }

  private String run(String... args) {
    List<String> command = new ArrayList<>(List.of("bash", projectDir.resolve("scripts/cassandra").toString()));
    command.addAll(List.of(args));
    Path log = dataDir.resolve("launcher.log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("CASSANDRA_PORT", Integer.toString(port));
    env.put("CASSANDRA_STORAGE_PORT", Integer.toString(storagePort));
    env.put("CASSANDRA_JMX_PORT", Integer.toString(jmxPort));
    env.put("CASSANDRA_DIR", dataDir.toString());
    env.putIfAbsent("CASSANDRA_HEAP", "768M");
    try {
      int exit = builder.start().waitFor();
      String output = Files.readString(log);
      System.out.print(output);
      if (exit != 0 && !args[0].equals("status")) throw new IllegalStateException("scripts/cassandra " + String.join(" ", args) + " failed:\n" + output);
      return output;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
