package io.segmentd.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.Arrays;
import java.util.List;

/** Loads the configuration, turning {@code SEGMENTD_CASSANDRA=host:port,host:port} into the driver's list. */
public final class SegmentdConfig {
  private SegmentdConfig() {}

  public static Config load() {
    return resolve(ConfigFactory.load());
  }

  /** Applies the derived settings on top of an already loaded config (tests layer their own). */
  public static Config resolve(Config loaded) {
    List<String> points = Arrays.stream(loaded.getString("segmentd.cassandra.contact-points").split(","))
        .map(String::strip).filter(s -> !s.isEmpty()).toList();
    return loaded.withValue("datastax-java-driver.basic.contact-points", ConfigValueFactory.fromIterable(points));
  }
}
