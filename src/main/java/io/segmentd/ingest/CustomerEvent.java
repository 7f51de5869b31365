package io.segmentd.ingest;

import io.segmentd.segmentation.BehaviorEvent;

/**
 * A validated event and the customer it belongs to. {@code mergeFrom}: another customer id the
 * event merges into this one (the anonymousId of an identify that names a userId too, the
 * previousId of an alias), or null.
 */
public record CustomerEvent(String customerId, BehaviorEvent event, String mergeFrom) {
  public CustomerEvent(String customerId, BehaviorEvent event) {
    this(customerId, event, null);
  }
}
