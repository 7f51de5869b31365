package io.segmentd.query;

import io.segmentd.segmentation.Membership;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The segments queries answer for, and where their members are: a configured segment's rows are
 * under its id; a stored custom segment's under its active version ({@code custom:<name>@<v>}),
 * which changes in one step when a new version's backfill is done.
 */
public interface SegmentDirectory {
  /** Every segment id queries answer for, in catalog order. */
  List<String> ids();

  /** The read-side key of a segment's members, counts and changes; empty for an unknown segment. */
  Optional<String> readSideKey(String id);

  /** The version of the definition queries answer from. */
  int version(String id);

  /** A custom segment's definition as written (JSON); empty for a built-in one. */
  Optional<String> customDefinition(String id);

  /** A customer's memberships as queries show them: stored segments under their plain id, active versions only. */
  Map<String, Membership> shown(Map<String, Membership> memberships);
}
