package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SegmentdConfigTest {

  private static Config resolve(Map<String, Object> overrides) {
    return SegmentdConfig.resolve(ConfigFactory.load(ConfigFactory.parseMap(overrides)
        .withFallback(ConfigFactory.parseResourcesAnySyntax("application"))));
  }

  @Test
  void anOperatorsFileIsLayeredOverTheDefaults() throws Exception {
    Path file = Files.createTempFile("node", ".conf");
    Files.writeString(file, "include required(file(\"" + Path.of(System.getProperty("segmentd.project.dir", "."))
        .resolve("cluster-config/local-2.conf") + "\"))\n");
    Config config = SegmentdConfig.load(Optional.of(file.toFile()));
    assertEquals(8081, config.getInt("segmentd.http.port"));
    assertEquals("bootstrap", config.getString("segmentd.cluster.join"));
    assertEquals(3, config.getList("pekko.discovery.config.services.segmentd.endpoints").size());
    assertEquals("30d", config.getString("segmentd.segments.engagement.window"), "the defaults are still there");
  }

  @Test
  void aMissingFileIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SegmentdConfig.load(Optional.of(new File("/nope.conf"))));
    assertTrue(e.getMessage().contains("/nope.conf"), e.getMessage());
  }

  @Test
  void joiningItselfWhileSeedsAreSetIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> resolve(Map.of("segmentd.cluster.seed-nodes", "pekko://segmentd@10.0.0.1:25520")));
    assertTrue(e.getMessage().contains("SEGMENTD_CLUSTER_JOIN=seed-nodes"), e.getMessage());
    assertEquals(List.of("pekko://segmentd@10.0.0.1:25520"), resolve(Map.of("segmentd.cluster.join", "seed-nodes",
        "segmentd.cluster.seed-nodes", "pekko://segmentd@10.0.0.1:25520")).getStringList("pekko.cluster.seed-nodes"));
  }

  @Test
  void seedNodesModeWithoutSeedsAndUnknownModesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> resolve(Map.of("segmentd.cluster.join", "seed-nodes")));
    assertThrows(IllegalArgumentException.class, () -> resolve(Map.of("segmentd.cluster.join", "gossip")));
  }

  @Test
  void aFrameThatCannotCarryOneCustomersBatchIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> resolve(Map.of("segmentd.ingest.max-request-bytes", "600k")));
    assertTrue(e.getMessage().contains("maximum-frame-size"), e.getMessage());
  }

  @Test
  void anEmptyKeyOrTokenIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(Map.of("segmentd.http.read-token", " ")));
    assertTrue(e.getMessage().contains("segmentd.http.read-token"), e.getMessage());
  }
}
