package io.segmentd.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.segmentd.readside.SegmentChange;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SizeTrendsTest {
  private static SegmentChange change(String direction, String at) {
    return new SegmentChange("loyalty:loyal", 0, 1, "c", 1, direction, Instant.parse(at), Instant.parse(at), "m", 1, Map.of());
  }

  @Test
  void evenlySpacedTimesIncludeBothEnds() {
    assertEquals(List.of(Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2024-01-02T00:00:00Z"), Instant.parse("2024-01-03T00:00:00Z")),
        SizeTrends.times(Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2024-01-03T00:00:00Z"), 3));
  }

  @Test
  void aSizeIsTheCountNowLessLaterEntriesPlusLaterExits() {
    List<Instant> times = SizeTrends.times(Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2024-01-04T00:00:00Z"), 4);
    // 3 members now. A change exactly at one of the times already counts there (the 2nd, 00:00).
    List<SegmentChange> changes = List.of(
        change("entered", "2023-12-01T00:00:00Z"),
        change("entered", "2024-01-01T12:00:00Z"),
        change("exited", "2024-01-02T06:00:00Z"),
        change("entered", "2024-01-02T00:00:00Z"),
        change("entered", "2024-01-03T18:00:00Z"));
    assertEquals(List.of(1L, 3L, 2L, 3L), SizeTrends.sizes(3, times, changes));
  }
}
