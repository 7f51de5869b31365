package io.segmentd.readside;

import java.time.Instant;
import java.util.Map;

/** One entered/exited transition as the changes log keeps it: at {@code position} of its segment's log of {@code slice}. */
public record SegmentChange(String segment, int slice, long position, String customerId, long sequenceNr, String direction,
                            Instant at, String trigger, int ruleVersion, Map<String, String> values) {}
