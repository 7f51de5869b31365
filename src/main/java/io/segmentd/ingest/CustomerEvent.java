package io.segmentd.ingest;

import io.segmentd.segmentation.BehaviorEvent;

/** A validated event and the customer it belongs to. */
public record CustomerEvent(String customerId, BehaviorEvent event) {}
