package io.segmentd.segmentation;

import static io.segmentd.testing.Events.identify;
import static io.segmentd.testing.Events.order;
import static io.segmentd.testing.Events.page;
import static io.segmentd.testing.Events.refund;
import static io.segmentd.testing.Events.track;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.segmentd.testing.TestSettings;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ProfileTest {
  private final ProfileSettings settings = TestSettings.profile();
  private static final Instant END = Instant.parse("2030-01-01T00:00:00Z");

  @Test
  void revenueIsNetOfRefundsAndMayGoNegative() {
    Profile p = Profile.EMPTY.plus(List.of(
        order("m1", "2024-01-01T00:00:00Z", "o1", "10.00"),
        refund("m2", "2024-01-02T00:00:00Z", "o1", "25.50")), settings);
    Profile.Purchasing purchasing = p.purchasingAsOf(END);
    assertEquals(1, purchasing.orders());
    assertEquals(new BigDecimal("-15.50"), purchasing.revenue());
    assertEquals(new BigDecimal("25.50"), purchasing.refunded());
  }

  @Test
  void refundWithoutAmountRefundsTheWholeOrder() {
    var noAmount = new BehaviorEvent("m2", EventType.TRACK, "Order Refunded", Instant.parse("2024-01-02T00:00:00Z"),
        Instant.parse("2024-01-02T00:00:00Z"), null, java.util.Map.of("order_id", "o1"));
    Profile p = Profile.EMPTY.plus(List.of(order("m1", "2024-01-01T00:00:00Z", "o1", "42.00"), noAmount), settings);
    assertEquals(new BigDecimal("0.00"), p.purchasingAsOf(END).revenue());
  }

  @Test
  void anOrderIdIsCountedOnceEvenUnderANewMessageId() {
    Profile p = Profile.EMPTY
        .plus(List.of(order("m1", "2024-01-01T00:00:00Z", "o1", "10.00")), settings)
        .plus(List.of(order("m9", "2024-01-01T00:05:00Z", "o1", "10.00")), settings);
    assertEquals(1, p.purchasingAsOf(END).orders());
    assertEquals(2, p.eventCount());
  }

  @Test
  void lateEventsLandAtTheirOwnTime() {
    Profile p = Profile.EMPTY
        .plus(List.of(order("m2", "2024-03-01T00:00:00Z", "o2", "5")), settings)
        .plus(List.of(order("m1", "2024-01-01T00:00:00Z", "o1", "7")), settings);
    assertEquals(Instant.parse("2024-01-01T00:00:00Z"), p.firstSeenAt());
    assertEquals(Instant.parse("2024-03-01T00:00:00Z"), p.lastSeenAt());
    assertEquals(Instant.parse("2024-01-01T00:00:00Z"), p.purchasingAsOf(END).firstOrderAt());
    assertEquals(1, p.purchasingAsOf(Instant.parse("2024-02-01T00:00:00Z")).orders());
  }

  @Test
  void identifyIsSeenButIsNotAnInteraction() {
    Profile p = Profile.EMPTY.plus(List.of(identify("m1", "2024-01-01T00:00:00Z")), settings);
    assertEquals(1, p.eventCount());
    assertEquals(0, p.interactions(END, Duration.ofDays(100_000)));
  }

  @Test
  void arrivalOrderNeverChangesTheProfile() {
    Random random = new Random(42);
    for (int round = 0; round < 50; round++) {
      List<BehaviorEvent> events = new ArrayList<>();
      Instant t = Instant.parse("2023-01-01T00:00:00Z");
      for (int i = 0; i < 30; i++) {
        t = t.plus(Duration.ofMinutes(random.nextInt(60 * 24 * 20)));
        String at = t.toString();
        events.add(switch (random.nextInt(4)) {
          case 0 -> order("m" + i, at, "o" + random.nextInt(10), Integer.toString(random.nextInt(100)));
          case 1 -> refund("m" + i, at, "o" + random.nextInt(10), Integer.toString(random.nextInt(20)));
          case 2 -> page("m" + i, at);
          default -> track("m" + i, at, "Product Viewed");
        });
      }
      Profile inOrder = foldInChunks(events, 1);
      List<BehaviorEvent> shuffled = new ArrayList<>(events);
      Collections.shuffle(shuffled, random);
      assertEquals(inOrder, foldInChunks(shuffled, 1 + random.nextInt(7)), "round " + round);
      assertEquals(inOrder, foldInChunks(shuffled, events.size()), "round " + round);
    }
  }

  private Profile foldInChunks(List<BehaviorEvent> events, int chunk) {
    Profile p = Profile.EMPTY;
    for (int i = 0; i < events.size(); i += chunk) {
      p = p.plus(events.subList(i, Math.min(events.size(), i + chunk)), settings);
    }
    return p;
  }
}
