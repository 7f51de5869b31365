package io.segmentd.segmentation;

import java.time.Instant;
import java.util.Optional;

/** One behavioral family: puts a customer in at most one of its segments as of an instant. */
public interface SegmentFamily {

  String name();

  Optional<Membership> evaluate(Profile profile, Instant asOf);
}
