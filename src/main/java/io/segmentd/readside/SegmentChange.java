package io.segmentd.readside;

import java.time.Instant;
import java.util.Map;

/**
 * One entered/exited transition as the changes log keeps it: at {@code position} of its segment's
 * log of {@code slice}. {@code at}: the event time from which it holds; {@code recordedAt}: when
 * the customer wrote it (rows logged before it was kept read {@code at}).
 */
public record SegmentChange(String segment, int slice, long position, String customerId, long sequenceNr, String direction,
                            Instant at, Instant recordedAt, String trigger, int ruleVersion, Map<String, String> values) {
  public SegmentChange {
    recordedAt = recordedAt != null ? recordedAt : at;
  }
}
