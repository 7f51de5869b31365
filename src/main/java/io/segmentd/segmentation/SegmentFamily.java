package io.segmentd.segmentation;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** One behavioral family: the segments of a customer in it as of an instant, and when that can next change. */
public interface SegmentFamily {

  String name();

  List<Membership> evaluate(Profile profile, Instant asOf);

  /**
   * The earliest instant after {@code asOf} at which {@link #evaluate} may answer differently
   * without any new event (a window edge passing); empty when only new events can change it.
   */
  Optional<Instant> nextChange(Profile profile, Instant asOf);
}
