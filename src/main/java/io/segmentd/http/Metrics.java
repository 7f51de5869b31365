package io.segmentd.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** The node's Micrometer registry, scraped by Prometheus at {@code GET /metrics}. */
public final class Metrics extends AllDirectives {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter accepted;
  private final Counter duplicates;
  private final Timer ingest;
  private final Counter wakeUps;

  public Metrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    accepted = Counter.builder("segmentd.ingest.events").tag("result", "accepted")
        .description("events written to the journal").register(registry);
    duplicates = Counter.builder("segmentd.ingest.events").tag("result", "duplicate")
        .description("events acknowledged again without being written (a message id already recorded)").register(registry);
    ingest = Timer.builder("segmentd.ingest.request").description("time from request to journal confirmation")
        .publishPercentileHistogram().register(registry);
    wakeUps = Counter.builder("segmentd.reevaluation.wakeups")
        .description("customers woken by the schedule because a membership may change with time").register(registry);
  }

  public void wokeUp() {
    wakeUps.increment();
  }

  public MeterRegistry registry() {
    return registry;
  }

  public Timer ingestTimer() {
    return ingest;
  }

  public void recorded(int acceptedEvents, int duplicateEvents) {
    accepted.increment(acceptedEvents);
    duplicates.increment(duplicateEvents);
  }

  public Route route() {
    return path("metrics", () -> get(() -> complete(HttpEntities.create(
        ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8"),
        registry.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8)))));
  }
}
