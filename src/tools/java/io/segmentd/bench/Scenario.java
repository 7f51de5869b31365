package io.segmentd.bench;

/** One scenario of {@code scripts/bench}: runs its loads and adds its rows to the context's table. */
public interface Scenario {
  String name();

  String description();

  void run(BenchContext ctx) throws Exception;
}
