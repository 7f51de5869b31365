package io.segmentd.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The node's Micrometer registry, scraped by Prometheus at {@code GET /metrics}, and the meters of
 * ingestion, re-evaluation and HTTP (the customers', the read side's and the JVM's register here too).
 */
public final class Metrics extends AllDirectives {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter accepted;
  private final Counter duplicates;
  private final Counter erased;
  private final Timer acknowledgement;
  private final Counter due;
  private final Counter done;

  public Metrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    accepted = events("accepted", "events written to the journal");
    duplicates = events("duplicate", "events acknowledged again without being written (a message id already recorded)");
    erased = events("erased", "events of erased customers refused (segmentd.erasure.later-events = refuse), acknowledged unwritten");
    acknowledgement = Timer.builder("segmentd.ingest.acknowledgement")
        .description("from a request's arrival to its acknowledgement, after the journal confirmed its events")
        .publishPercentileHistogram().register(registry);
    due = Counter.builder("segmentd.reevaluations.due")
        .description("customers woken because a membership may change with time (a window edge passed)").register(registry);
    done = Counter.builder("segmentd.reevaluations.done")
        .description("woken customers that re-evaluated and wrote what time changed").register(registry);
  }

  private Counter events(String result, String description) {
    return Counter.builder("segmentd.ingest.events").tag("result", result).description(description).register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public Timer acknowledgementTimer() {
    return acknowledgement;
  }

  public void recorded(int acceptedEvents, int duplicateEvents, int erasedEvents) {
    accepted.increment(acceptedEvents);
    duplicates.increment(duplicateEvents);
    erased.increment(erasedEvents);
  }

  /** Events refused before the journal, by the code their answer gives. */
  public void rejected(String reason, int events) {
    Counter.builder("segmentd.ingest.rejected").tag("reason", reason)
        .description("events refused and not recorded, by reason (a whole request refused counts once)")
        .register(registry).increment(events);
  }

  /** An answered request, by route template (bounded: never a raw path) and status. */
  public void answered(String method, String route, int status, Duration took) {
    Timer.builder("http.server.requests").tag("method", method).tag("route", route).tag("status", Integer.toString(status))
        .description("HTTP requests answered by the API").register(registry).record(took);
  }

  /** A customer woken because its re-evaluation is due. */
  public void reevaluationDue() {
    due.increment();
  }

  /** A woken customer that re-evaluated. */
  public void reevaluationDone() {
    done.increment();
  }

  public Route route() {
    return path("metrics", () -> get(() -> complete(HttpEntities.create(
        ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8"),
        registry.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8)))));
  }
}
