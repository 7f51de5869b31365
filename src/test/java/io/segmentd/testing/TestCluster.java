package io.segmentd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;

/**
 * A segmentd cluster of separate JVMs on loopback for tests, formed by Cluster Bootstrap with
 * config discovery exactly as {@code cluster-config/local-N.conf} does, on free ports, over the
 * test Cassandra. Node {@code i} (1-based) keeps its ports across restarts.
 */
public final class TestCluster implements AutoCloseable {
  private final Path projectDir;
  private final Path dir;
  private final int maxNodes;
  private final int initialNodes;
  private final int[] httpPorts;
  private final int[] managementPorts;
  private final int[] remotePorts;
  /** Read by load threads while the test adds nodes. */
  private final Map<Integer, NodeProcess> nodes = new java.util.concurrent.ConcurrentSkipListMap<>();
  private final String extraConfig;
  private final String contactPoint;
  private final String keyspace;

  /**
   * @param initialNodes the nodes that form the cluster (their contact points are all probed first)
   * @param maxNodes nodes that may join later
   * @param extraConfig HOCON appended to every node's file (test settings)
   */
  public TestCluster(LocalCassandraLike cassandra, String keyspace, int initialNodes, int maxNodes, String extraConfig) {
    this.projectDir = Path.of(System.getProperty("segmentd.project.dir", System.getProperty("user.dir")));
    try {
      this.dir = Files.createDirectories(projectDir.resolve("target/test-clusters"))
          .resolve(keyspace + "-" + java.time.LocalDateTime.now().format(DateTimeFormatter.ofPattern("HHmmss")));
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    this.maxNodes = maxNodes;
    this.initialNodes = initialNodes;
    this.httpPorts = IntStream.range(0, maxNodes).map(i -> LocalCassandra.freePort()).toArray();
    this.managementPorts = IntStream.range(0, maxNodes).map(i -> LocalCassandra.freePort()).toArray();
    this.remotePorts = IntStream.range(0, maxNodes).map(i -> LocalCassandra.freePort()).toArray();
    this.extraConfig = extraConfig;
    this.contactPoint = cassandra.contactPoint();
    this.keyspace = keyspace;
    // node JVMs outlive a test JVM that dies: never leave them behind
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "stop-test-cluster"));
  }

  /** Anything that gives a CQL contact point: the single-node or the three-node test Cassandra. */
  public interface LocalCassandraLike {
    String contactPoint();
  }

  public ApiClient api(int node) {
    return new ApiClient(httpPorts[node - 1]);
  }

  public int httpPort(int node) {
    return httpPorts[node - 1];
  }

  public NodeProcess node(int node) {
    return nodes.get(node);
  }

  public String address(int node) {
    return "pekko://segmentd@127.0.0.1:" + remotePorts[node - 1];
  }

  /** Starts the initial nodes (the first alone until its schema is applied) and waits until all are Up and ready. */
  public TestCluster start() {
    launch(1);
    Awaitility.await("node 1 bound (schema applied)").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
        .until(() -> portOpen(httpPorts[0]) || failedToStart(1));
    for (int i = 2; i <= initialNodes; i++) launch(i);
    for (int i = 1; i <= initialNodes; i++) awaitReady(i);
    awaitMembers(IntStream.rangeClosed(1, initialNodes).boxed().collect(Collectors.toSet()));
    return this;
  }

  /** Starts node {@code i} (again) and waits until it is Up and ready. */
  public void startNode(int i) {
    launch(i);
    awaitReady(i);
  }

  /** Starts node {@code i} without waiting for anything. */
  public void launch(int i) {
    NodeProcess node = nodes.computeIfAbsent(i, this::create);
    node.start();
  }

  private boolean failedToStart(int i) {
    NodeProcess node = nodes.get(i);
    if (node != null && !node.isAlive()) throw new AssertionError("node " + i + " exited:\n" + node.tail(60));
    return false;
  }

  private NodeProcess create(int i) {
    try {
      String firstBucket = ZonedDateTime.now(ZoneOffset.UTC).minusHours(1).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HH:00"));
      Path localConf = projectDir.resolve("cluster-config/local-" + Math.min(i, 3) + ".conf");
      Path file = dir.resolve("node-" + i + ".conf");
      Files.writeString(file, "include required(file(\"" + localConf + "\"))\n"
          + "segmentd.cassandra.contact-points = \"" + contactPoint + "\"\n"
          + "segmentd.cassandra.keyspace = \"" + keyspace + "\"\n"
          + "segmentd.http.interface = \"127.0.0.1\"\n"
          + "pekko.persistence.cassandra.events-by-tag.first-time-bucket = \"" + firstBucket + "\"\n"
          // a persistence id written by two nodes fails its recovery instead of being repaired quietly
          + "pekko.persistence.cassandra.journal.replay-filter.mode = fail\n"
          + "pekko.cluster.split-brain-resolver.stable-after = 5s\n"
          + extraConfig + "\n");
      Map<String, String> env = new HashMap<>();
      env.put("SEGMENTD_NODE_NAME", "node-" + i);
      env.put("SEGMENTD_HTTP_PORT", Integer.toString(httpPorts[i - 1]));
      env.put("SEGMENTD_MANAGEMENT_PORT", Integer.toString(managementPorts[i - 1]));
      env.put("SEGMENTD_REMOTE_PORT", Integer.toString(remotePorts[i - 1]));
      // the nodes that form the cluster, plus this one: a later node finds the running cluster through them
      env.put("SEGMENTD_CLUSTER_CONTACT_POINTS", IntStream.rangeClosed(1, Math.max(initialNodes, i))
          .mapToObj(n -> "127.0.0.1:" + managementPorts[n - 1]).collect(Collectors.joining(",")));
      // the server's own logging (the test classpath's logback-test.xml is quieter)
      List<String> jvm = List.of("-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
          "-Dlogback.configurationFile=" + projectDir.resolve("src/main/resources/logback.xml"));
      return new NodeProcess("node-" + i, file, dir.resolve("node-" + i + ".log"), env, jvm);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public void awaitReady(int i) {
    ApiClient management = new ApiClient(managementPorts[i - 1]);
    Awaitility.await("node " + i + " ready").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
        .until(() -> failedToStart(i) || management.getRaw("http://127.0.0.1:" + managementPorts[i - 1] + "/ready").status() == 200);
  }

  /** Member addresses with their status, as node {@code i} sees them. */
  public Map<String, String> members(int i) {
    JsonNode json = management(i, "/cluster/members").json();
    Map<String, String> members = new LinkedHashMap<>();
    for (JsonNode m : json.get("members")) members.put(m.get("node").asText(), m.get("status").asText());
    return members;
  }

  /** Waits until every live node sees exactly {@code expected} as Up members (and no unreachable one). */
  public void awaitMembers(Set<Integer> expected) {
    Map<String, String> want = new TreeMap<>();
    for (int i : expected) want.put(address(i), "Up");
    Awaitility.await("members " + expected).atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
        .untilAsserted(() -> {
          for (int i : expected) {
            JsonNode json = management(i, "/cluster/members").json();
            if (json.get("unreachable").size() > 0) throw new AssertionError("unreachable: " + json.get("unreachable"));
            org.junit.jupiter.api.Assertions.assertEquals(want, new TreeMap<>(members(i)), "as node " + i + " sees it");
          }
        });
  }

  /** Shard id to entity count of a sharded type on node {@code i}. */
  public Map<String, Integer> shards(int i, String typeName) {
    JsonNode json = management(i, "/cluster/shards/" + typeName).json();
    Map<String, Integer> shards = new TreeMap<>();
    for (JsonNode region : json.get("regions")) shards.put(region.get("shardId").asText(), region.get("numEntities").asInt());
    return shards;
  }

  /** A graceful leave through the management API of the node itself (as {@code scripts/cluster leave} does). */
  public void leave(int i) {
    ApiClient.Response response = new ApiClient(managementPorts[i - 1]).putForm(
        "http://127.0.0.1:" + managementPorts[i - 1] + "/cluster/members/" + URLEncoder.encode(address(i), StandardCharsets.UTF_8),
        "operation=Leave");
    if (response.status() != 200) throw new AssertionError("leave answered " + response.status() + ": " + response.body());
    nodes.get(i).awaitExit(Duration.ofSeconds(90));
  }

  /** Waits until node {@code i}'s HTTP API is bound (its schema applied). */
  public void awaitBound(int i) {
    Awaitility.await("node " + i + " bound").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
        .until(() -> portOpen(httpPorts[i - 1]) || failedToStart(i));
  }

  public ApiClient.Response management(int i, String path) {
    return new ApiClient(managementPorts[i - 1]).getRaw("http://127.0.0.1:" + managementPorts[i - 1] + path);
  }

  public List<Integer> liveNodes() {
    List<Integer> live = new ArrayList<>();
    nodes.forEach((i, node) -> {
      if (node.isAlive()) live.add(i);
    });
    return live;
  }

  private static boolean portOpen(int port) {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    nodes.values().parallelStream().forEach(node -> {
      try {
        node.kill();
      } catch (RuntimeException e) {
        System.err.println("could not stop " + node.name() + ": " + e.getMessage());
      }
    });
  }
}
