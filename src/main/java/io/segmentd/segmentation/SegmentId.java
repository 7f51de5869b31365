package io.segmentd.segmentation;

/** Segment ids are {@code family:name}, e.g. {@code engagement:high}. */
public final class SegmentId {
  private SegmentId() {}

  public static String of(String family, String name) {
    return family + ":" + name;
  }

  public static String family(String segmentId) {
    int colon = segmentId.indexOf(':');
    return colon < 0 ? segmentId : segmentId.substring(0, colon);
  }
}
