package io.segmentd.admin;

import io.segmentd.definitions.LiveDefinitions;

import io.segmentd.replay.JournalDecoder;
import io.segmentd.replay.JournalScan;
import io.segmentd.replay.MembershipDiff;
import io.segmentd.replay.ParallelScan;
import io.segmentd.replay.Progress;
import io.segmentd.replay.TokenRanges;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import io.segmentd.segmentation.custom.CustomDefinition;
import io.segmentd.segmentation.custom.CustomFamily;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code POST /v1/segments/{id}/preview}: a proposed definition against the journals, as
 * {@code replay diff} does for a file: every customer's journal folded and evaluated under the
 * active version and under the proposal at one instant. Writes nothing.
 */
final class Preview {
  private final java.util.function.Supplier<JournalScan> scans;
  private volatile JournalScan scan;
  private final JournalDecoder decoder;
  private final ProfileSettings profile;
  private final int ranges;
  private final int parallelism;
  private final int samples;

  /** {@code scans}: made on the first preview (it prepares statements, so it needs Cassandra). */
  Preview(java.util.function.Supplier<JournalScan> scans, JournalDecoder decoder, ProfileSettings profile, int ranges, int parallelism, int samples) {
    this.scans = scans;
    this.decoder = decoder;
    this.profile = profile;
    this.ranges = ranges;
    this.parallelism = parallelism;
    this.samples = samples;
  }

  record Result(String segment, Instant at, Optional<Integer> activeVersion, long customers, MembershipDiff.SegmentDiff diff) {}

  /**
   * @param current the engine the node runs; {@code activeKey} the read-side id of the active version in it (none for a new segment)
   * @param proposed the proposal, under its plain id
   */
  Result run(String id, SegmentEngine current, Optional<String> activeKey, CustomDefinition proposed, Instant at) throws Exception {
    List<CustomDefinition> others = new ArrayList<>();
    for (CustomDefinition d : current.custom().definitions()) {
      if (!LiveDefinitions.unversioned(d.id()).equals(id)) others.add(d);
    }
    others.add(new CustomDefinition(id, proposed.version(), proposed.description(), proposed.rule(), proposed.source()));
    SegmentEngine next = current.withCustom(new CustomFamily(List.copyOf(others)));
    MembershipDiff diff = new MembershipDiff(samples, Set.of(id));
    Progress quiet = new Progress("preview", ranges, 0, new PrintStream(OutputStream.nullOutputStream()), false, Clock.systemUTC(),
        java.time.Duration.ofDays(1));
    if (scan == null) scan = scans.get();
    ParallelScan.histories(scan, decoder, TokenRanges.split(ranges).ranges(), parallelism, quiet, history -> {
      if (history.eventCount() == 0) return;
      Profile folded = history.profile(profile);
      Map<String, Membership> before = current.evaluate(folded, at);
      boolean was = activeKey.map(before::containsKey).orElse(false);
      boolean will = next.evaluate(folded, at).containsKey(id);
      diff.customer(history.customerId(), was ? Set.of(id) : Set.of(), will ? Set.of(id) : Set.of());
    });
    MembershipDiff.Report report = diff.report();
    MembershipDiff.SegmentDiff only = report.segments().stream().filter(d -> d.segment().equals(id)).findFirst()
        .orElse(new MembershipDiff.SegmentDiff(id, true, 0, 0, 0, 0, List.of(), List.of()));
    return new Result(id, at, activeKey.flatMap(LiveDefinitions::versionOf), report.customers(), only);
  }

}
