package io.segmentd.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.segmentd.customer.CustomerSettings;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.util.Map;

/** The shipped configuration of segmentd, optionally with overrides, for unit tests. */
public final class TestSettings {
  private TestSettings() {}

  public static Config segmentd(Map<String, Object> overrides) {
    return ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.load()).resolve().getConfig("segmentd");
  }

  public static CustomerSettings customer(Map<String, Object> overrides) {
    return CustomerSettings.fromConfig(segmentd(overrides));
  }

  /** With overrides written in HOCON, e.g. custom segment definitions. */
  public static CustomerSettings customer(String hocon) {
    return CustomerSettings.fromConfig(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve().getConfig("segmentd"));
  }

  public static SegmentEngine engine() {
    return SegmentEngine.fromConfig(segmentd(Map.of()).getConfig("segments"));
  }

  public static ProfileSettings profile() {
    return profile(engine());
  }

  /** The shipped profile settings, keeping what {@code engine}'s rules read. */
  public static ProfileSettings profile(SegmentEngine engine) {
    return ProfileSettings.fromConfig(segmentd(Map.of()).getConfig("profile"), engine);
  }
}
