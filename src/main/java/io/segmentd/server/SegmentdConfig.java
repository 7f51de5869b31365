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
    Config application = ConfigFactory.parseResourcesAnySyntax("application");
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
    List<String> contactPoints = list(config.getString("segmentd.cluster.contact-points"));
    if (!contactPoints.isEmpty()) {
      String service = config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name");
      List<Map<String, Object>> endpoints = contactPoints.stream().map(SegmentdConfig::endpoint).toList();
      config = config.withValue("pekko.discovery.config.services." + service + ".endpoints", ConfigValueFactory.fromIterable(endpoints));
    }
    checkFrameSize(config);
    return config;
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
