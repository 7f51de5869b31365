package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.http.JsonSupport;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.JournalReader;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.TestNodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The real {@code @segment/analytics-node} and {@code @rudderstack/rudder-sdk-node} packages from
 * the npm registry, each with its default options (RudderStack gzips its bodies and sends
 * {@code originalTimestamp} and {@code sentAt}), send a known set of events to a running node:
 * every event is in the journal exactly once, at the event time the client meant. Needs Node and
 * npm on the PATH (as the build machine has); the packages are pinned by {@code src/test/sdk/package-lock.json}.
 */
@ExtendWith(CassandraExtension.class)
class RealSdkIntegrationTest {

  @Test
  void eventsFromTheRealSdksAreCountedOnceAtTheTimeTheClientMeant(LocalCassandra cassandra) throws Exception {
    Path work = Path.of("target", "sdk-check");
    Files.createDirectories(work);
    for (String file : List.of("package.json", "package-lock.json", "send.mjs")) {
      Files.copy(Path.of("src", "test", "sdk", file), work.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    if (!Files.isDirectory(work.resolve("node_modules"))) run(work, 300, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts");
    // The SDKs stamp events with the real clock: so does this node.
    try (SegmentdNode node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_sdk", LocalCassandra.freePort(), Map.of()),
        Clock.systemUTC())) {
      String prefix = "sdk-" + System.currentTimeMillis();
      JsonNode sent = JsonSupport.MAPPER.readTree(run(work, 120, "node", "send.mjs", "http://127.0.0.1:" + node.httpPort(),
          "dev-write-key", prefix));
      assertEquals("[]", sent.get("failures").toString(), "the SDKs reported failures");
      Instant started = Instant.parse(sent.get("started").asText());
      Instant finished = Instant.parse(sent.get("finished").asText());
      List<Instant> timed = new ArrayList<>();
      sent.get("timed").forEach(t -> timed.add(Instant.parse(t.asText())));
      try (JournalReader journal = new JournalReader(cassandra.contactPoint(), "it_sdk")) {
        for (JsonNode customer : sent.get("customers")) {
          List<BehaviorEvent> events = journal.events(customer.asText());
          assertEquals(sent.get("eventsPerCustomer").asInt(), events.size(), customer + ": " + events);
          assertEquals(events.size(), new TreeSet<>(events.stream().map(BehaviorEvent::messageId).toList()).size(), "each once");
          List<Instant> viewed = events.stream().filter(e -> "Product Viewed".equals(e.name())).map(BehaviorEvent::timestamp).sorted().toList();
          assertEquals(timed, viewed, customer + ": the times the client set");
          for (BehaviorEvent e : events) {
            if (!"Product Viewed".equals(e.name())) {
              assertTrue(!e.timestamp().isBefore(started.minusSeconds(1)) && !e.timestamp().isAfter(finished.plusSeconds(1)),
                  customer + ": " + e + " stamped outside the run");
            }
          }
        }
      }
    }
  }

  /** Runs a command in {@code dir}, fails the test on a non-zero exit, and returns its standard output. */
  private static String run(Path dir, int seconds, String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish in " + seconds + " s");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), String.join(" ", command) + " failed: " + text);
    return text.lines().reduce((a, b) -> b).orElse("");
  }
}
