package io.segmentd.insights;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a segment's members share compared with everyone: per attribute, how many members have it
 * and what share that is, the same for everyone, and the lift (segment share / overall share).
 * Computed from the attribute sets of the members (or a uniform sample of them) and of everyone
 * (or a sample); a share from a sample comes with a 95 % Wilson interval.
 */
public final class SegmentProfile {
  private SegmentProfile() {}

  /**
   * {@code segmentShareLow/High}, {@code overallShareLow/High}: the 95 % Wilson interval of a share
   * computed from a sample (null when exact).
   */
  public record Attribute(String attribute, String kind, long inSegment, double segmentShare, Double segmentShareLow,
                          Double segmentShareHigh, long overall, double overallShare, Double overallShareLow, Double overallShareHigh,
                          Double lift) {}

  /**
   * {@code members}/{@code population}: how many there are; {@code sampled}: how many were read;
   * {@code exact}: both were read whole.
   */
  public record Sample(long members, long membersSampled, long population, long populationSampled, boolean exact) {}

  public record Report(String segment, Sample sample, List<Attribute> attributes) {}

  /**
   * @param minMembers attributes fewer sampled members have are left out (noise)
   */
  public static Report of(String segment, List<Set<String>> members, long memberCount, List<Set<String>> population, long populationCount,
                          int minMembers) {
    boolean membersExact = members.size() == memberCount;
    boolean populationExact = population.size() == populationCount;
    Map<String, long[]> counts = new HashMap<>();
    for (Set<String> m : members) for (String a : m) counts.computeIfAbsent(a, k -> new long[2])[0]++;
    for (Set<String> p : population) for (String a : p) counts.computeIfAbsent(a, k -> new long[2])[1]++;
    List<Attribute> out = new ArrayList<>();
    counts.forEach((attribute, c) -> {
      if (c[0] < minMembers || members.isEmpty()) return;
      double share = (double) c[0] / members.size();
      double overall = population.isEmpty() ? 0 : (double) c[1] / population.size();
      double[] segmentCi = membersExact ? null : wilson(c[0], members.size());
      double[] overallCi = populationExact || population.isEmpty() ? null : wilson(c[1], population.size());
      out.add(new Attribute(attribute, attribute.substring(0, attribute.indexOf(':')), c[0], share,
          segmentCi == null ? null : segmentCi[0], segmentCi == null ? null : segmentCi[1], c[1], overall,
          overallCi == null ? null : overallCi[0], overallCi == null ? null : overallCi[1], overall == 0 ? null : share / overall));
    });
    out.sort(Comparator.comparing(Attribute::lift, Comparator.nullsFirst(Comparator.reverseOrder()))
        .thenComparing(Attribute::inSegment, Comparator.reverseOrder()).thenComparing(Attribute::attribute));
    return new Report(segment, new Sample(memberCount, members.size(), populationCount, population.size(), membersExact && populationExact),
        out);
  }

  /** The 95 % Wilson score interval of {@code k} successes in {@code n}. */
  static double[] wilson(long k, long n) {
    double z = 1.959963984540054;
    double p = (double) k / n;
    double denominator = 1 + z * z / n;
    double centre = (p + z * z / (2.0 * n)) / denominator;
    double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denominator;
    return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
  }
}
