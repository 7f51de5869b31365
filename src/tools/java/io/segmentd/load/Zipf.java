package io.segmentd.load;

import java.util.SplittableRandom;

/**
 * Draws ranks 0..n-1 from a Zipf (power) law: rank k has weight 1/(k+1)^s, so a few customers send
 * most events, as on real platforms. Inverse CDF over a precomputed table (n up to a few million).
 */
public final class Zipf {
  private final double[] cdf;

  public Zipf(int n, double exponent) {
    if (n < 1) throw new IllegalArgumentException("n must be positive");
    cdf = new double[n];
    double sum = 0;
    for (int k = 0; k < n; k++) {
      sum += 1 / Math.pow(k + 1, exponent);
      cdf[k] = sum;
    }
    for (int k = 0; k < n; k++) cdf[k] /= sum;
  }

  public int sample(SplittableRandom random) {
    double u = random.nextDouble();
    int low = 0;
    int high = cdf.length - 1;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (cdf[mid] < u) low = mid + 1; else high = mid;
    }
    return low;
  }
}
