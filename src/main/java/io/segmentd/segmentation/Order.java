package io.segmentd.segmentation;

import java.math.BigDecimal;
import java.time.Instant;

/** A completed order, keyed by its order id so a re-sent order is counted once. */
public record Order(String key, Instant at, BigDecimal amount) {}
