package io.segmentd.customer;

import io.segmentd.segmentation.SegmentEngine;

/**
 * Where a customer gets the definitions it evaluates with: fixed ones from configuration, or
 * ones that change while it runs (custom segments managed over the admin API).
 */
@FunctionalInterface
public interface EngineSource {
  SegmentEngine current();

  /**
   * Whether {@link #current} holds every definition yet: stored ones are read from Cassandra, and
   * until they are, customers hold their commands rather than leave segments they cannot see.
   */
  default boolean ready() {
    return true;
  }

  static EngineSource fixed(SegmentEngine engine) {
    return () -> engine;
  }
}
