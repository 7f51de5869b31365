package io.segmentd.replay;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The Murmur3 token ring cut into equal ranges {@code (start, end]}. Cassandra never gives a
 * partition the token {@code Long.MIN_VALUE}, so the ranges together hold every partition once.
 */
public record TokenRanges(List<Range> ranges) {

  public record Range(int index, long start, long end) {}

  public static TokenRanges split(int count) {
    if (count < 1) throw new IllegalArgumentException("token ranges must be at least 1, not " + count);
    BigInteger min = BigInteger.valueOf(Long.MIN_VALUE);
    BigInteger width = BigInteger.valueOf(Long.MAX_VALUE).subtract(min);
    List<Range> ranges = new ArrayList<>(count);
    long start = Long.MIN_VALUE;
    for (int i = 0; i < count; i++) {
      long end = i == count - 1 ? Long.MAX_VALUE
          : min.add(width.multiply(BigInteger.valueOf(i + 1)).divide(BigInteger.valueOf(count))).longValueExact();
      ranges.add(new Range(i, start, end));
      start = end;
    }
    return new TokenRanges(List.copyOf(ranges));
  }

  public int size() {
    return ranges.size();
  }
}
