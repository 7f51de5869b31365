package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 9, "two times": one history sent live and in order (the node's clock at each event's
 * time) and the same history imported a year late, shuffled, in batches. The late customer's
 * timeline in event time equals the live customer's persisted transitions; as-of answers show
 * nothing later than the instant asked for, and equal what the live system answered then.
 */
@ExtendWith(CassandraExtension.class)
class TwoTimesIntegrationTest {
  private static final MutableClock clock = new MutableClock(Instant.parse("2024-01-01T00:00:00Z"));
  private static SegmentdNode node;
  private static ApiClient api;

  @BeforeAll
  static void start(LocalCassandra cassandra) {
    node = TestNodes.start(cassandra, "it_two_times", clock);
    api = new ApiClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  private record Sent(String messageId, Instant at, String json) {}

  private record Change(String segment, String direction, String at, String trigger) {}

  @Test
  void aLateShuffledImportReadsAsTheTimelineTheLiveSystemPersisted() {
    List<Sent> history = history(new Random(9));
    Instant last = history.get(history.size() - 1).at();

    // Live, in order: the clock at each event's time; /segments recorded as the live system answered.
    Map<Instant, JsonNode> liveAnswers = new LinkedHashMap<>();
    for (int i = 0; i < history.size(); i++) {
      Sent event = history.get(i);
      clock.set(event.at());
      assertEquals(200, api.post("/v1/batch", "{\"batch\": [" + event.json().replace("$USER", "tt-live") + "]}").status());
      if (i % 3 == 0) liveAnswers.put(event.at(), segmentsNow("tt-live"));
      if (i % 4 == 1 && i + 1 < history.size()) {
        // between two events, after windows may have moved
        Instant between = event.at().plus(Duration.between(event.at(), history.get(i + 1).at()).dividedBy(2));
        clock.set(between);
        liveAnswers.put(between, segmentsNow("tt-live"));
      }
    }
    List<Change> persisted = changes(api.get("/v1/customers/tt-live/history?order=recorded").json());
    assertTrue(persisted.size() > 10, "a history with changes: " + persisted);
    assertEquals(persisted, changes(api.get("/v1/customers/tt-live/history?to=" + last).json()),
        "the live customer's derived timeline is what it persisted");

    // A year later, the same history imported shuffled, in three batches.
    Instant importedAt = last.plus(Duration.ofDays(365));
    clock.set(importedAt);
    List<Sent> shuffled = new ArrayList<>(history);
    Collections.shuffle(shuffled, new Random(90));
    int third = shuffled.size() / 3;
    List<Instant> batchTimes = new ArrayList<>();
    for (List<Sent> batch : List.of(shuffled.subList(0, third), shuffled.subList(third, 2 * third),
        shuffled.subList(2 * third, shuffled.size()))) {
      StringBuilder body = new StringBuilder("{\"batch\": [");
      for (int i = 0; i < batch.size(); i++) body.append(i == 0 ? "" : ",").append(batch.get(i).json().replace("$USER", "tt-late"));
      assertEquals(200, api.post("/v1/batch", body.append("]}").toString()).status());
      batchTimes.add(clock.instant());
      clock.advance(Duration.ofHours(1));
    }

    JsonNode timeline = api.get("/v1/customers/tt-late/history?order=event&to=" + last).json();
    assertEquals("event", timeline.get("order").asText());
    assertEquals(persisted, changes(timeline), "late import in event time == live in order");
    // Every derived change was known only once its facts were recorded: at the import.
    for (JsonNode t : timeline.get("transitions")) {
      assertTrue(!Instant.parse(t.get("recordedAt").asText()).isBefore(importedAt), t.toString());
    }
    // What the live customer persisted was recorded as it happened: never before its event time, and
    // by the last event for what holds from before it (edges after it are recorded once the clock passes them).
    for (JsonNode t : api.get("/v1/customers/tt-live/history?order=recorded").json().get("transitions")) {
      Instant at = Instant.parse(t.get("at").asText());
      Instant recordedAt = Instant.parse(t.get("recordedAt").asText());
      assertTrue(!recordedAt.isBefore(at), t.toString());
      assertTrue(at.isAfter(last) || !recordedAt.isAfter(last), t.toString());
    }
    // The late customer's own transitions: net, all recorded at the import.
    for (JsonNode t : api.get("/v1/customers/tt-late/history?order=recorded").json().get("transitions")) {
      assertTrue(batchTimes.contains(Instant.parse(t.get("recordedAt").asText())), t.toString());
    }
    // What did we believe before the import? Nothing. After the first batch: only its facts.
    assertEquals(0, api.get("/v1/customers/tt-late/history?knownAt=" + importedAt.minusSeconds(1)).json().get("transitions").size());
    assertEquals(0, api.get("/v1/customers/tt-late/history?order=recorded&knownAt=" + importedAt.minusSeconds(1)).json()
        .get("transitions").size());
    // from/to on event time
    Instant middle = history.get(history.size() / 2).at();
    List<Change> secondHalf = persisted.stream().filter(c -> !Instant.parse(c.at()).isBefore(middle)).toList();
    assertEquals(secondHalf, changes(api.get("/v1/customers/tt-late/history?from=" + middle + "&to=" + last).json()));
    assertEquals(400, api.get("/v1/customers/tt-late/history?order=sideways").status());

    // As of: what the live system answered then, for both customers; every field as of the instant.
    for (Map.Entry<Instant, JsonNode> answer : liveAnswers.entrySet()) {
      Instant at = answer.getKey();
      for (String customer : List.of("tt-live", "tt-late")) {
        JsonNode asOf = api.get("/v1/customers/" + customer + "/segments?asOf=" + at).json();
        assertEquals(answer.getValue().get("segments"), asOf.get("segments"), customer + " as of " + at);
        assertEquals(answer.getValue().get("memberships"), asOf.get("memberships"), customer + " as of " + at);
        JsonNode profile = api.get("/v1/customers/" + customer + "?asOf=" + at).json();
        List<Sent> upTo = history.stream().filter(e -> !e.at().isAfter(at)).toList();
        assertEquals(upTo.size(), profile.get("eventCount").asInt(), customer + " as of " + at);
        assertEquals(history.get(0).at().toString(), profile.get("firstSeenAt").asText());
        assertEquals(upTo.get(upTo.size() - 1).at().toString(), profile.get("lastSeenAt").asText(), customer + " as of " + at);
        assertEquals(answer.getValue().get("segments"), profile.get("segments"), customer + " as of " + at);
      }
    }
  }

  private static JsonNode segmentsNow(String customer) {
    ApiClient.Response response = api.get("/v1/customers/" + customer + "/segments");
    assertEquals(200, response.status(), response.body());
    return response.json();
  }

  private static List<Change> changes(JsonNode history) {
    List<Change> changes = new ArrayList<>();
    for (JsonNode t : history.get("transitions")) {
      changes.add(new Change(t.get("segment").asText(), t.get("direction").asText(), t.get("at").asText(),
          t.get("cause").get("trigger").asText()));
    }
    return changes;
  }

  /**
   * About four months of a shopper's events, at odd seconds (never on a window's step edge, so no
   * time-caused change shares an instant with an event). "$USER" is the customer.
   */
  private static List<Sent> history(Random random) {
    List<Sent> events = new ArrayList<>();
    Instant t = Instant.parse("2024-01-03T09:00:07Z");
    for (int i = 0; i < 30; i++) {
      t = t.plus(Duration.ofMinutes(30 + random.nextInt(60 * 24 * 9))).plusSeconds(2);
      String id = "tt-" + i;
      String json = switch (random.nextInt(4)) {
        case 0 -> "{\"type\": \"track\", \"userId\": \"$USER\", \"messageId\": \"" + id + "\", \"timestamp\": \"" + t
            + "\", \"event\": \"Order Completed\", \"properties\": {\"order_id\": \"o-" + i + "\", \"revenue\": " + (20 + random.nextInt(400)) + "}}";
        case 1 -> "{\"type\": \"track\", \"userId\": \"$USER\", \"messageId\": \"" + id + "\", \"timestamp\": \"" + t
            + "\", \"event\": \"Product Viewed\"}";
        default -> "{\"type\": \"page\", \"userId\": \"$USER\", \"messageId\": \"" + id + "\", \"timestamp\": \"" + t + "\", \"name\": \"Home\"}";
      };
      events.add(new Sent(id, t, json));
    }
    return events;
  }
}
