package io.segmentd.segmentation;

import java.time.Instant;
import java.util.List;

/** One behavioral family: the segments of a customer in it as of an instant, and when that can next change. */
public interface SegmentFamily {

  String name();

  List<Membership> evaluate(Profile profile, Instant asOf);

  /**
   * Instants after {@code asOf} at which {@link #evaluate} may answer with other segments without
   * any new event (a window edge passing), ascending. The engine finds the first at which it does,
   * so a family may offer more than will matter, but must not leave one out.
   */
  List<Instant> changeCandidates(Profile profile, Instant asOf);

  /**
   * True when, without new events, the family's segments once changed never come back to what
   * they were (counts only fall as events leave windows): the engine may then search its
   * candidates by bisection.
   */
  default boolean monotone() {
    return false;
  }

  /** Declares what the family reads of events, so the profile keeps it. */
  default void describe(FactShape.Builder shape) {}
}
