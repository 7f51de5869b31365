package io.segmentd.segmentation;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Comparator;

/**
 * A completed order, keyed by its order id so a re-sent order is counted once; when the same
 * order id arrives twice, the earliest (then lowest message id) wins, whatever the arrival order.
 * {@code discounted}: a coupon or discount was applied.
 */
public record Order(String key, Instant at, BigDecimal amount, String messageId, boolean discounted) {
  static final Comparator<Order> PRECEDENCE = Comparator.comparing(Order::at).thenComparing(Order::messageId);
}
