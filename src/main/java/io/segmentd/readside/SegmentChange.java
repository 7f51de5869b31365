package io.segmentd.readside;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** One entered/exited transition as the read side keeps it; {@code offset} is its journal tag offset. */
public record SegmentChange(String segment, int slice, UUID offset, String customerId, long sequenceNr, String direction,
                            Instant at, String trigger, int ruleVersion, Map<String, String> values) {}
