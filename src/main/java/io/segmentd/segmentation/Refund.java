package io.segmentd.segmentation;

import java.math.BigDecimal;
import java.time.Instant;

/** A refund of (part of) an order; its amount is positive and is subtracted from revenue. */
public record Refund(String orderKey, Instant at, BigDecimal amount) {}
