package io.segmentd.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Loads the configuration: an operator's file ({@code --config FILE} or {@code SEGMENTD_CONFIG})
 * over the defaults in {@code application.conf}, then the settings derived from comma-separated
 * environment values (Cassandra contact points, seed nodes, discovery endpoints).
 */
public final class SegmentdConfig {
  private SegmentdConfig() {}

  public static Config load() {
    return load(Optional.ofNullable(System.getenv("SEGMENTD_CONFIG")).filter(s -> !s.isBlank()).map(File::new));
  }

  public static Config load(Optional<File> file) {
    // application.conf, or what -Dconfig.file / -Dconfig.resource / -Dconfig.url name instead
    Config application = ConfigFactory.defaultApplication();
    Config layered = file.map(f -> {
      if (!f.isFile()) throw new IllegalArgumentException("configuration file " + f + " does not exist");
      return ConfigFactory.parseFile(f).withFallback(application);
    }).orElse(application);
    return resolve(ConfigFactory.load(layered));
  }

  /** Applies the derived settings on top of an already loaded config (tests layer their own). */
  public static Config resolve(Config loaded) {
    Config config = loaded.withValue("datastax-java-driver.basic.contact-points",
        ConfigValueFactory.fromIterable(list(loaded.getString("segmentd.cassandra.contact-points"))));
    List<String> seeds = list(config.getString("segmentd.cluster.seed-nodes"));
    if (!seeds.isEmpty()) config = config.withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds));
    checkJoin(config);
    checkSecrets(config);
    List<String> contactPoints = list(config.getString("segmentd.cluster.contact-points"));
    if (!contactPoints.isEmpty()) {
      String service = config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name");
      List<Map<String, Object>> endpoints = contactPoints.stream().map(SegmentdConfig::endpoint).toList();
      config = config.withValue("pekko.discovery.config.services." + service + ".endpoints", ConfigValueFactory.fromIterable(endpoints));
    }
    checkFrameSize(config);
    return config;
  }

  /** The keys and tokens that ship in the default configuration: known to anyone who read the README. */
  static final List<String> DEVELOPMENT_CREDENTIALS = List.of("dev-write-key", "dev-read-token", "dev-admin-token");

  /**
   * An empty key or token would let anyone in (an unset variable in production resolves to ""); a
   * development one, where they are not allowed (production.conf), nearly as much.
   */
  private static void checkSecrets(Config config) {
    for (String key : List.of("segmentd.http.write-key", "segmentd.http.read-token", "segmentd.http.admin-token")) {
      if (config.getString(key).isBlank()) throw new IllegalArgumentException(key + " is empty: set it (see README, Configuration)");
    }
    if (config.getBoolean("segmentd.http.allow-development-credentials")) return;
    String file = config.getString("segmentd.http.credentials-file");
    Config source = file.isBlank() ? config.getConfig("segmentd.http")
        : com.typesafe.config.ConfigFactory.parseFile(new File(file)).resolve();
    List<String> names = file.isBlank()
        ? List.of("write-key", "write-keys", "read-token", "read-tokens", "admin-token", "admin-tokens")
        : List.of("write-keys", "read-tokens", "admin-tokens");
    for (String name : names) {
      if (!source.hasPath(name)) continue;
      List<String> values = source.getValue(name).valueType() == com.typesafe.config.ConfigValueType.LIST
          ? source.getStringList(name) : List.of(source.getString(name));
      for (String value : values) {
        if (DEVELOPMENT_CREDENTIALS.contains(value)) {
          throw new IllegalArgumentException((file.isBlank() ? "segmentd.http." : file + ": ") + name + " is the development value '"
              + value + "', which this configuration does not allow (segmentd.http.allow-development-credentials = off): set your own");
        }
      }
    }
  }

  /** A node that joins itself while seeds are set would form a cluster of its own: two writers per customer. */
  private static void checkJoin(Config config) {
    String join = config.getString("segmentd.cluster.join");
    boolean seeds = !config.getStringList("pekko.cluster.seed-nodes").isEmpty();
    switch (join) {
      case "self" -> {
        if (seeds) throw new IllegalArgumentException("segmentd.cluster.join is self but seed nodes are set: "
            + "set SEGMENTD_CLUSTER_JOIN=seed-nodes to join them, or remove them");
      }
      case "seed-nodes" -> {
        if (!seeds) throw new IllegalArgumentException("segmentd.cluster.join = seed-nodes needs pekko.cluster.seed-nodes (SEGMENTD_SEED_NODES)");
      }
      case "bootstrap" -> {
        if (seeds) throw new IllegalArgumentException("segmentd.cluster.join is bootstrap but seed nodes are set: Cluster Bootstrap "
            + "only runs without seed nodes");
      }
      default -> throw new IllegalArgumentException("segmentd.cluster.join must be self, seed-nodes or bootstrap, not '" + join + "'");
    }
  }

  private static Map<String, Object> endpoint(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) throw new IllegalArgumentException("segmentd.cluster.contact-points: '" + hostPort + "' is not host:port");
    return Map.of("host", hostPort.substring(0, colon), "port", Integer.parseInt(hostPort.substring(colon + 1)));
  }

  /** A customer's batch crosses nodes as one remoting message: refuse a frame that cannot carry it. */
  private static void checkFrameSize(Config config) {
    long request = config.getBytes("segmentd.ingest.max-request-bytes");
    long frame = config.getBytes("pekko.remote.artery.advanced.maximum-frame-size");
    if (frame < 2 * request) {
      throw new IllegalArgumentException("pekko.remote.artery.advanced.maximum-frame-size (" + frame
          + " bytes) must be at least twice segmentd.ingest.max-request-bytes (" + request + " bytes): one customer's batch crosses nodes in one message");
    }
  }

  private static List<String> list(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }
}
