package io.segmentd.customer;

import io.segmentd.segmentation.SegmentEngine;

/**
 * Where a customer gets the definitions it evaluates with: fixed ones from configuration, or
 * ones that change while it runs (custom segments managed over the admin API).
 */
@FunctionalInterface
public interface EngineSource {
  SegmentEngine current();

  static EngineSource fixed(SegmentEngine engine) {
    return () -> engine;
  }
}
