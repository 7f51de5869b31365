package io.segmentd.load;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Realistic e-commerce traffic as Segment Tracking API calls: customers drawn from a power law,
 * each visit a session of page views and product views/clicks that may go down the funnel to
 * "Checkout Started" and "Order Completed", email opens, refunds of earlier orders, late events
 * (event time hours or days behind) and resent messages (same messageId), and new customers.
 *
 * <p>Thread-safe: the load loops draw batches from completion callbacks on several threads, and one
 * lock around a batch's generation costs far less than the request it feeds.
 */
public final class TrafficModel {
  private static final String[] PAGES = {"Home", "Category", "Search Results", "Product", "Cart", "Help"};
  private static final String[] CATEGORIES = {"shoes", "shirts", "bags", "books", "toys", "garden", "kitchen"};
  private static final String[] ZONES = {"Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo"};
  private static final int REMEMBERED = 4_096;

  /**
   * @param prefix customer and message ids start with it, so runs never collide
   * @param customers the known population, drawn by rank from a Zipf law of {@code zipfExponent}
   * @param newCustomerRate share of sessions by a customer never seen before
   * @param lateRate share of events whose event time is 1 h to {@code lateMax} behind
   * @param duplicateRate share of events that are a resend of a recent event (same messageId)
   * @param refundRate share of orders later refunded (in a later session of the customer, or any)
   * @param emailRate share of sessions that start with an "Email Opened"
   */
  public record Settings(String prefix, int customers, double zipfExponent, double newCustomerRate,
      double lateRate, Duration lateMax, double duplicateRate, double refundRate, double emailRate) {}

  private final Settings settings;
  private final Zipf zipf;
  private final SplittableRandom random;
  private final AtomicLong messages = new AtomicLong();
  private long newCustomers;
  // recent events (for resends) and orders (for refunds): fixed rings, so memory stays bounded
  private final String[] recentEvents = new String[REMEMBERED];
  private final String[] recentEventCustomers = new String[REMEMBERED];
  private final String[] recentOrders = new String[REMEMBERED];
  private long eventsSeen;
  private long ordersSeen;

  public TrafficModel(Settings settings, long seed) {
    this.settings = settings;
    this.zipf = new Zipf(Math.max(1, settings.customers()), settings.zipfExponent());
    this.random = new SplittableRandom(seed);
  }

  public Settings settings() {
    return settings;
  }

  /** A batch of {@code size} events of sessions of customers drawn from the population, around now. */
  public synchronized Batch next(int size, Instant now) {
    List<Batch.Event> events = new ArrayList<>(size);
    while (events.size() < size) {
      String customer = random.nextDouble() < settings.newCustomerRate()
          ? settings.prefix() + "-new-" + (newCustomers++)
          : settings.prefix() + "-" + zipf.sample(random);
      Instant start = now.minusSeconds(random.nextInt(600));
      session(customer, start, now, events, size);
    }
    return new Batch(events);
  }

  /** A batch of {@code size} events of one customer, its sessions spread over [from, to). */
  public synchronized Batch history(String customer, int size, Instant from, Instant to) {
    List<Batch.Event> events = new ArrayList<>(size);
    long span = Math.max(1, Duration.between(from, to).toSeconds() - 3_600);
    while (events.size() < size) {
      session(customer, from.plusSeconds(random.nextLong(span)), to, events, size);
    }
    return new Batch(events);
  }

  /** Appends one visit of {@code customer} starting at {@code start}, up to {@code limit} events. */
  private void session(String customer, Instant start, Instant notAfter, List<Batch.Event> out, int limit) {
    Instant[] at = {start};
    Emitter emit = json -> {
      if (out.size() >= limit) return;
      if (random.nextDouble() < settings.duplicateRate() && eventsSeen > 0) {
        // a client retry: the same message again, to the customer it was about
        int slot = (int) (random.nextLong(Math.min(eventsSeen, REMEMBERED)));
        out.add(new Batch.Event(recentEventCustomers[slot], recentEvents[slot]));
        return;
      }
      out.add(new Batch.Event(customer, json));
      int slot = (int) (eventsSeen++ % REMEMBERED);
      recentEvents[slot] = json;
      recentEventCustomers[slot] = customer;
    };
    String zone = ZONES[Math.floorMod(customer.hashCode(), ZONES.length)];
    if (random.nextDouble() < settings.emailRate()) {
      emit.add(track(customer, "Email Opened", time(at, notAfter), "\"campaign_id\":\"c-" + random.nextInt(50) + "\"", zone));
    }
    int pages = 1 + random.nextInt(4);
    for (int i = 0; i < pages; i++) emit.add(page(customer, PAGES[random.nextInt(PAGES.length)], time(at, notAfter), zone));
    int products = 1 + random.nextInt(5);
    String category = CATEGORIES[random.nextInt(CATEGORIES.length)];
    String product = null;
    double price = 0;
    for (int i = 0; i < products; i++) {
      product = "p-" + random.nextInt(5_000);
      price = 5 + random.nextInt(20_000) / 100.0;
      String props = String.format(Locale.ROOT, "\"product_id\":\"%s\",\"category\":\"%s\",\"price\":%.2f", product, category, price);
      emit.add(track(customer, "Product Viewed", time(at, notAfter), props, zone));
      if (random.nextDouble() < 0.3) emit.add(track(customer, "Product Clicked", time(at, notAfter), props, zone));
    }
    // the funnel: of those who view, some add to cart, fewer start a checkout, fewer order
    if (random.nextDouble() >= 0.25) return;
    emit.add(track(customer, "Product Added", time(at, notAfter),
        String.format(Locale.ROOT, "\"product_id\":\"%s\",\"price\":%.2f,\"quantity\":1", product, price), zone));
    if (random.nextDouble() >= 0.5) return;
    double revenue = price * (1 + random.nextInt(3));
    emit.add(track(customer, "Checkout Started", time(at, notAfter), String.format(Locale.ROOT, "\"revenue\":%.2f", revenue), zone));
    if (random.nextDouble() >= 0.6) return;
    String orderId = "o-" + settings.prefix() + "-" + messages.incrementAndGet();
    String coupon = random.nextDouble() < 0.2 ? ",\"coupon\":\"SAVE10\"" : "";
    emit.add(track(customer, "Order Completed", time(at, notAfter),
        String.format(Locale.ROOT, "\"order_id\":\"%s\",\"revenue\":%.2f,\"currency\":\"EUR\"%s", orderId, revenue, coupon), zone));
    recentOrders[(int) (ordersSeen++ % REMEMBERED)] = customer + "\u0000" + orderId + "\u0000" + String.format(Locale.ROOT, "%.2f", revenue);
    if (random.nextDouble() < settings.refundRate()) {
      // a refund of a recent order (often another customer's: refunds arrive on their own schedule)
      String[] order = recentOrders[(int) random.nextLong(Math.min(ordersSeen, REMEMBERED))].split("\u0000");
      if (out.size() < limit) {
        String json = track(order[0], "Order Refunded", time(at, notAfter), "\"order_id\":\"" + order[1] + "\",\"revenue\":" + order[2], zone);
        out.add(new Batch.Event(order[0], json));
      }
    }
  }

  private interface Emitter {
    void add(String json);
  }

  /** The next event time of a session: seconds to a minute later, never ahead of now; sometimes late. */
  private Instant time(Instant[] at, Instant notAfter) {
    at[0] = at[0].plusSeconds(2 + random.nextInt(60));
    if (at[0].isAfter(notAfter)) at[0] = notAfter;
    if (random.nextDouble() < settings.lateRate()) {
      long lateSeconds = 3_600 + random.nextLong(Math.max(1, settings.lateMax().toSeconds() - 3_600));
      return at[0].minusSeconds(lateSeconds);
    }
    return at[0];
  }

  private String messageId() {
    return settings.prefix() + "-m" + messages.incrementAndGet();
  }

  private String page(String customer, String name, Instant at, String zone) {
    return "{\"type\":\"page\",\"userId\":\"" + customer + "\",\"name\":\"" + name + "\",\"messageId\":\"" + messageId()
        + "\",\"timestamp\":\"" + at + "\",\"context\":{\"timezone\":\"" + zone + "\"}}";
  }

  private String track(String customer, String event, Instant at, String properties, String zone) {
    return "{\"type\":\"track\",\"userId\":\"" + customer + "\",\"event\":\"" + event + "\",\"messageId\":\"" + messageId()
        + "\",\"timestamp\":\"" + at + "\",\"properties\":{" + properties + "},\"context\":{\"timezone\":\"" + zone + "\"}}";
  }
}
