package io.segmentd.segmentation;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One behavioral family: the segments of a customer in it as of an instant, and when that can next change. */
public interface SegmentFamily {

  String name();

  List<Membership> evaluate(Profile profile, Instant asOf);

  /**
   * The values that describe the customer with respect to {@code segment} as of {@code asOf},
   * whether in it or not: what an exit from it records (the values that ended the membership).
   * {@code evaluated}: this family's memberships at {@code asOf}. The default suits families whose
   * segments are levels of one measure (at most one membership, with the same values whatever
   * the level): the values of the family's membership, if any.
   */
  default Map<String, String> explain(String segment, Profile profile, Instant asOf, List<Membership> evaluated) {
    return evaluated.isEmpty() ? Map.of() : evaluated.get(0).values();
  }

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
