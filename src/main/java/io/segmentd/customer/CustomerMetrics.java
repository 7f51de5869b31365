package io.segmentd.customer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** What the customers of this node report: how many run, stop and recover, and how long their journal writes take. */
public final class CustomerMetrics {
  /** For a customer run alone (tests): counted, never scraped. */
  public static final CustomerMetrics NONE = new CustomerMetrics(new SimpleMeterRegistry());

  private final AtomicLong active = new AtomicLong();
  private final Counter stopped;
  private final Timer recovery;
  private final Timer journalWrite;

  public CustomerMetrics(MeterRegistry registry) {
    Gauge.builder("segmentd.entities.active", active, AtomicLong::get)
        .description("customer entities running on this node").register(registry);
    stopped = Counter.builder("segmentd.entities.passivations")
        .description("customer entities stopped on this node: passivated when idle, handed off in a rebalance, or stopped with the node")
        .register(registry);
    recovery = Timer.builder("segmentd.entities.recovery")
        .description("customer entities started on this node, and how long reading their snapshot and journal took")
        .publishPercentileHistogram().register(registry);
    journalWrite = Timer.builder("segmentd.journal.write")
        .description("from a customer's write to the journal's confirmation (one atomic write of a command's events)")
        .publishPercentileHistogram().register(registry);
  }

  void started() {
    active.incrementAndGet();
  }

  void stopped() {
    active.decrementAndGet();
    stopped.increment();
  }

  void recovered(long nanos) {
    recovery.record(nanos, TimeUnit.NANOSECONDS);
  }

  void written(long nanos) {
    journalWrite.record(nanos, TimeUnit.NANOSECONDS);
  }
}
