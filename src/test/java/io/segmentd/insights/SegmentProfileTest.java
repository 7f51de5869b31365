package io.segmentd.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SegmentProfileTest {
  @Test
  void theWilsonIntervalOfHalfOfTenIsTheTextbookOne() {
    double[] ci = SegmentProfile.wilson(5, 10);
    assertEquals(0.2366, Math.round(ci[0] * 10_000) / 10_000.0);
    assertEquals(0.7634, Math.round(ci[1] * 10_000) / 10_000.0);
  }

  @Test
  void aSampledShareComesWithItsIntervalAndAnExactOneWithout() {
    List<Set<String>> members = new ArrayList<>();
    for (int i = 0; i < 10; i++) members.add(i < 5 ? Set.of("trait:plan=pro") : Set.of());
    List<Set<String>> everyone = new ArrayList<>(members);
    for (int i = 0; i < 10; i++) everyone.add(i < 1 ? Set.of("trait:plan=pro") : Set.of());
    SegmentProfile.Attribute sampled = SegmentProfile.of("s", members, 1000, everyone, 20, 3).attributes().get(0);
    assertEquals(new SegmentProfile.Attribute("trait:plan=pro", "trait", 5, 0.5, SegmentProfile.wilson(5, 10)[0], SegmentProfile.wilson(5, 10)[1],
        6, 0.3, null, null, 0.5 / 0.3), sampled);
    assertEquals(List.of(), SegmentProfile.of("s", members, 10, everyone, 20, 6).attributes(), "under min-members");
  }

  @Test
  void attributesAreWhatACustomerDidWhereAndWhenMostlyAndItsLatestTraits() {
    BehaviorEvent view = new BehaviorEvent("m1", EventType.TRACK, "Product Viewed", Instant.parse("2024-01-06T20:00:00Z"), null,
        "Europe/Berlin", Map.of("category", "shoes"));
    BehaviorEvent view2 = new BehaviorEvent("m2", EventType.TRACK, "Product Viewed", Instant.parse("2024-01-13T21:00:00Z"), null,
        "Europe/Berlin", Map.of());
    BehaviorEvent oldPlan = new BehaviorEvent("m3", EventType.IDENTIFY, "", Instant.parse("2024-01-01T09:00:00Z"), null, null,
        Map.of("plan", "free", "email", "a-very-long-address-that-identifies-someone@example.com"));
    BehaviorEvent newPlan = new BehaviorEvent("m4", EventType.IDENTIFY, "", Instant.parse("2024-02-01T09:00:00Z"), null, null,
        Map.of("plan", "pro"));
    assertEquals(Set.of("event:Product Viewed", "event:identify", "category:shoes", "trait:plan=pro", "weekday:Sat", "daypart:evening",
            "month:Jan", "segment:loyalty:one-time"),
        CustomerAttributes.of(List.of(view, oldPlan, newPlan, view2), Map.of("loyalty:one-time", new io.segmentd.segmentation.Membership(
            "loyalty:one-time", Map.of())), null));
  }
}
