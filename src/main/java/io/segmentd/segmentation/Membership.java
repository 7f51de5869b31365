package io.segmentd.segmentation;

import java.util.Map;

/** A segment a customer is in, with the values that put them there (the "why"). */
public record Membership(String segment, Map<String, String> values) {

  public String family() {
    return SegmentId.family(segment);
  }
}
