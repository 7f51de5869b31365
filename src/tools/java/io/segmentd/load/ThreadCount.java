package io.segmentd.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * The live thread count of a segmentd node, read once a second by the load generator so a run shows
 * whether it stays flat under load: from {@code /proc/<pid>/status} ("Threads:") when the node runs
 * on this machine, else from its Prometheus endpoint ({@code jvm_threads_live_threads}).
 */
public interface ThreadCount {
  OptionalInt current();

  static ThreadCount ofPid(long pid) {
    Path status = Path.of("/proc", Long.toString(pid), "status");
    return () -> {
      try {
        for (String line : Files.readAllLines(status)) {
          if (line.startsWith("Threads:")) return OptionalInt.of(Integer.parseInt(line.substring(8).trim()));
        }
      } catch (IOException | NumberFormatException gone) {
        // the process ended or is not ours to read: no reading this second
      }
      return OptionalInt.empty();
    };
  }

  /** {@code url} is the node's metrics endpoint, e.g. http://127.0.0.1:8080/metrics. */
  static ThreadCount ofMetrics(String url, HttpClient http) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build();
    return () -> {
      try {
        String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        for (String line : body.split("\n")) {
          if (line.startsWith("jvm_threads_live_threads")) {
            return OptionalInt.of((int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
          }
        }
      } catch (IOException | NumberFormatException e) {
        // unreachable this second
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return OptionalInt.empty();
    };
  }

  ThreadCount NONE = OptionalInt::empty;
}
