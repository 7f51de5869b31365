package io.segmentd.segmentation;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * A refund of (part of) an order. {@code amount} is positive and is subtracted from revenue; null
 * means the whole order, resolved when evaluated so that a refund arriving before its order counts
 * the same.
 */
public record Refund(String orderKey, Instant at, BigDecimal amount, String messageId) {}
