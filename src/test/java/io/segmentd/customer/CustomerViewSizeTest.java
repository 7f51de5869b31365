package io.segmentd.customer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.segmentd.customer.Customer.Command;
import io.segmentd.customer.Customer.CustomerView;
import io.segmentd.customer.Customer.Event;
import io.segmentd.customer.Customer.State;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestSettings;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A {@code GetProfile} reply may cross nodes: it stays small however long the customer's history,
 * in the serializer the actor system is configured with.
 */
class CustomerViewSizeTest {
  private static final ActorTestKit testKit = ActorTestKit.create(
      // A thousand facts a command: on a loaded two-core machine one can outlast the default 3 s wait for its reply.
      ConfigFactory.parseString("pekko.actor.testkit.typed.single-expect-default = 30s").withFallback(EventSourcedBehaviorTestKit.config())
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseResources("serialization.conf").withFallback(ConfigFactory.defaultReference()).resolve()));
  private static final int FACTS = 20_000;

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void theReplyOfACustomerWithAFullFactLogIsSmall() {
    Instant start = Instant.parse("2024-01-01T00:00:00Z");
    MutableClock clock = new MutableClock(start.plus(Duration.ofDays(391)));
    // Serialization of each command and state is checked elsewhere (CustomerTest); here it would only be slow.
    var kit = EventSourcedBehaviorTestKit.<Command, Event, State>create(testKit.system(),
        Customer.create("long-history", TestSettings.customer(Map.of()), clock, ReevaluationScheduler.NONE),
        EventSourcedBehaviorTestKit.disabledSerializationSettings());
    List<BehaviorEvent> batch = new ArrayList<>();
    for (int i = 0; i < FACTS; i++) {
      // About 51 a day over 390 days: all within interaction-retention, so every one stays a fact.
      Instant at = start.plus(Duration.ofMinutes(i * 28L));
      batch.add(i % 40 == 0
          ? new BehaviorEvent("m" + i, EventType.TRACK, "Order Completed", at, at, "Europe/London",
              Map.of("order_id", "o" + i, "revenue", new BigDecimal("42.50"), "coupon", "SPRING"))
          : new BehaviorEvent("m" + i, EventType.TRACK, "Product Viewed", at, at, "Europe/London",
              Map.of("product_id", "sku-" + (i % 977), "category", "garden furniture", "price", new BigDecimal("129.99"))));
      if (batch.size() == 1000) {
        List<BehaviorEvent> events = List.copyOf(batch);
        kit.<StatusReply<Customer.Recorded>>runCommand(replyTo -> new Customer.RecordEvents(events, replyTo));
        batch.clear();
      }
    }

    CustomerView view = kit.<StatusReply<CustomerView>>runCommand(replyTo -> new Customer.GetProfile(null, replyTo)).reply().getValue();
    assertEquals(FACTS, view.eventCount());
    assertEquals(FACTS / 40, view.purchasing().orders());
    assertTrue(view.segments().size() >= 5, view.segments().toString());

    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    assertEquals("JacksonCborSerializer", serialization.findSerializerFor(view).getClass().getSimpleName());
    StatusReply<CustomerView> reply = StatusReply.success(view);
    byte[] bytes = serialization.serialize(reply).get();
    assertTrue(bytes.length < 8 * 1024, "the reply is " + bytes.length + " bytes");
    assertEquals(reply, serialization.deserialize(bytes, serialization.findSerializerFor(reply).identifier(),
        org.apache.pekko.serialization.Serializers.manifestFor(serialization.findSerializerFor(reply), reply)).get());
    // What the reply carried before, the whole profile, is as large as the state (one group per 15-minute step here).
    int stateBytes = serialization.serialize(kit.getState()).get().length;
    assertTrue(stateBytes > 256 * 1024, "the state is " + stateBytes + " bytes");
  }
}
