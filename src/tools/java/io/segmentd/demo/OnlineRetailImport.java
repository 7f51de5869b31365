package io.segmentd.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.segmentd.http.JsonSupport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Imports the UCI Online Retail data set through segmentd's public HTTP API (exactly as a platform
 * would send it), then prints a summary and how many customers sit in each segment as of the data
 * set's last event.
 *
 * <p>Each invoice becomes one {@code Order Completed} at its own time (a {@code C} invoice one
 * {@code Order Refunded}), with the invoice number as order id and message id, so a re-run is
 * acknowledged without counting anything twice.
 */
public final class OnlineRetailImport {
  private static final ObjectMapper MAPPER = JsonSupport.MAPPER;

  private final Options options;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  record Options(Path file, URI url, String writeKey, String readToken, ZoneId zone, int concurrency,
                 int batchEvents, long batchBytes, long maxEventBytes, boolean summary, java.util.Set<String> customers,
                 String idPrefix, String via, String shiftTo) {
    static Options parse(String[] args) {
      Map<String, String> given = new HashMap<>();
      for (int i = 0; i + 1 < args.length; i += 2) {
        if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + args[i]);
        given.put(args[i].substring(2), args[i + 1]);
      }
      return new Options(
          Path.of(given.getOrDefault("file", "data/online-retail/online_retail.csv.gz")),
          URI.create(given.getOrDefault("url", "http://localhost:8080")),
          given.getOrDefault("write-key", env("SEGMENTD_WRITE_KEY", "dev-write-key")),
          given.getOrDefault("read-token", env("SEGMENTD_READ_TOKEN", "dev-read-token")),
          ZoneId.of(given.getOrDefault("zone", "Europe/London")),
          Integer.parseInt(given.getOrDefault("concurrency", "4")),
          Integer.parseInt(given.getOrDefault("batch-events", "500")),
          Long.parseLong(given.getOrDefault("batch-bytes", "450000")),
          Long.parseLong(given.getOrDefault("max-event-bytes", "32000")),
          !"false".equals(given.getOrDefault("summary", "true")),
          given.containsKey("customers") ? java.util.Set.of(given.get("customers").split(",")) : java.util.Set.of(),
          given.getOrDefault("id-prefix", ""),
          // import: one streamed NDJSON POST /v1/import; batch: POST /v1/batch requests, `concurrency` at once
          given.getOrDefault("via", "import"),
          // "now" (or an instant): every time moved so the last invoice falls then; "none" keeps the data set's own times
          given.getOrDefault("shift-to", "none"));
    }

    private static String env(String name, String fallback) {
      String value = System.getenv(name);
      return value == null || value.isEmpty() ? fallback : value;
    }
  }

  /** {@code shift}: how far every time was moved (zero: the data set's own times). */
  public record Result(int customers, int events, long linesRead, long linesWithoutCustomer, Duration elapsed, Instant lastEventAt,
                       Duration shift) {}

  /**
   * How far every time moves: whole weeks, so that the last invoice falls in the week before
   * {@code --shift-to} while every weekday and local time of day (occasions) stays what it was.
   */
  private Duration shift = Duration.ZERO;

  private OnlineRetailImport(Options options) {
    this.options = options;
  }

  private void decideShift() {
    if (options.shiftTo().equals("none")) return;
    Instant target = options.shiftTo().equals("now") ? Instant.now() : Instant.parse(options.shiftTo());
    shift = Duration.ofDays(7 * Math.floorDiv(Duration.between(datasetEnd, target).toDays(), 7));
  }

  private Instant at(OnlineRetailCsv.Invoice invoice) {
    return invoice.at().plus(shift);
  }

  public static void main(String[] args) throws Exception {
    System.exit(run(args));
  }

  public static int run(String[] args) throws Exception {
    Options options = Options.parse(args);
    OnlineRetailImport importer = new OnlineRetailImport(options);
    Result result = importer.importAll();
    double seconds = result.elapsed().toMillis() / 1000.0;
    System.out.printf("%nImported the UCI Online Retail data set through %s%n", options.url());
    System.out.printf("  invoice lines read        %,d%n", result.linesRead());
    System.out.printf("  lines without CustomerID  %,d (skipped)%n", result.linesWithoutCustomer());
    System.out.printf("  customers                 %,d%n", result.customers());
    System.out.printf("  events (invoices)         %,d%n", result.events());
    System.out.printf("  elapsed                   %.1f s%n", seconds);
    System.out.printf("  rate                      %,.0f events/s%n", result.events() / Math.max(seconds, 0.001));
    System.out.printf("  times                     %s%n", result.shift().isZero() ? "the data set's own (2010-12-01 .. 2011-12-09)"
        : "shifted by " + result.shift().toDays() / 7 + " weeks (weekdays and times of day kept), so the last invoice is at "
            + result.lastEventAt());
    if (options.summary()) importer.printSegments(result);
    return 0;
  }

  public static Result importFile(String... args) throws Exception {
    return new OnlineRetailImport(Options.parse(args)).importAll();
  }

  Result importAll() throws IOException, InterruptedException {
    OnlineRetailCsv.DataSet data = read();
    decideShift();
    if (options.via().equals("import")) return importNdjson(data);
    if (!options.via().equals("batch")) throw new IllegalArgumentException("--via is import or batch, not " + options.via());
    List<byte[]> batches = batches(data.invoices());
    Instant started = Instant.now();
    Semaphore inFlight = new Semaphore(options.concurrency());
    AtomicLong sent = new AtomicLong();
    List<CompletableFuture<Void>> requests = new ArrayList<>();
    long lastProgress = 0;
    int total = data.invoices().size();
    for (byte[] batch : batches) {
      inFlight.acquire();
      CompletableFuture<Void> request = postWithRetry(batch, 0).thenRun(() -> {
        sent.addAndGet(countEvents(batch));
        inFlight.release();
      });
      request.exceptionally(e -> { inFlight.release(); return null; });
      requests.add(request);
      long now = System.nanoTime();
      if (now - lastProgress > 1_000_000_000L) {
        lastProgress = now;
        progress(sent.get(), total, started);
      }
    }
    CompletableFuture.allOf(requests.toArray(CompletableFuture[]::new)).join();
    progress(sent.get(), total, started);
    Duration elapsed = Duration.between(started, Instant.now());
    int customers = (int) data.invoices().stream().map(OnlineRetailCsv.Invoice::customerId).distinct().count();
    Instant last = data.invoices().stream().map(this::at).max(Instant::compareTo).orElseThrow();
    return new Result(customers, total, data.lines(), data.linesWithoutCustomer(), elapsed, last, shift);
  }

  /**
   * The whole data set as one NDJSON stream to {@code POST /v1/import}, serialized while it is
   * sent; the node reads it as fast as its journal confirms. Sent again (counting nothing twice)
   * if the node stopped it early.
   */
  private Result importNdjson(OnlineRetailCsv.DataSet data) throws IOException, InterruptedException {
    Instant started = Instant.now();
    List<OnlineRetailCsv.Invoice> invoices = data.invoices();
    int total = invoices.size();
    String basic = Base64.getEncoder().encodeToString((options.writeKey() + ":").getBytes(StandardCharsets.UTF_8));
    JsonNode summary = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      AtomicLong serialized = new AtomicLong();
      java.io.InputStream lines = new java.io.InputStream() {
        private int next;
        private byte[] current = new byte[0];
        private int at;
        private long lastProgress;

        @Override
        public int read() throws IOException {
          if (at == current.length && !advance()) return -1;
          return current[at++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (at == current.length && !advance()) return -1;
          int n = Math.min(len, current.length - at);
          System.arraycopy(current, at, b, off, n);
          at += n;
          return n;
        }

        private boolean advance() throws IOException {
          if (next == total) return false;
          byte[] event = MAPPER.writeValueAsBytes(event(invoices.get(next++)));
          current = java.util.Arrays.copyOf(event, event.length + 1);
          current[event.length] = '\n';
          at = 0;
          serialized.set(next);
          long now = System.nanoTime();
          if (now - lastProgress > 1_000_000_000L) {
            lastProgress = now;
            progress(next, total, started);
          }
          return true;
        }
      };
      HttpRequest request = HttpRequest.newBuilder(options.url().resolve("/v1/import"))
          .header("Content-Type", "application/x-ndjson")
          .header("Authorization", "Basic " + basic)
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> lines))
          .build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      summary = readTree(response.body());
      if (response.statusCode() == 200) break;
      if (response.statusCode() != 503 && response.statusCode() != 429) {
        throw new IllegalStateException("POST /v1/import answered " + response.statusCode() + ": " + response.body());
      }
      System.err.printf("%n  the node stopped the import (%s); sending it again%n", summary.path("detail").asText());
      Thread.sleep(1000L << attempt);
    }
    if (!summary.path("success").asBoolean()) throw new IllegalStateException("POST /v1/import did not finish: " + summary);
    if (summary.path("rejected").asLong() > 0) throw new IllegalStateException("POST /v1/import refused lines: " + summary.path("errors"));
    progress(total, total, started);
    Duration elapsed = Duration.between(started, Instant.now());
    int customers = (int) invoices.stream().map(OnlineRetailCsv.Invoice::customerId).distinct().count();
    Instant last = invoices.stream().map(this::at).max(Instant::compareTo).orElseThrow();
    return new Result(customers, total, data.lines(), data.linesWithoutCustomer(), elapsed, last, shift);
  }

  /** The data set, or only the customers given with {@code --customers}. */
  /** The data set's last invoice, whichever customers are imported: every import of it moves by the same shift. */
  private Instant datasetEnd;

  private OnlineRetailCsv.DataSet read() throws IOException {
    OnlineRetailCsv.DataSet all = OnlineRetailCsv.read(options.file(), options.zone());
    datasetEnd = all.invoices().stream().map(OnlineRetailCsv.Invoice::at).max(Instant::compareTo).orElseThrow();
    if (options.customers().isEmpty()) return all;
    return new OnlineRetailCsv.DataSet(
        all.invoices().stream().filter(i -> options.customers().contains(i.customerId())).toList(),
        all.lines(), all.linesWithoutCustomer());
  }

  private static void progress(long sent, int total, Instant started) {
    double seconds = Math.max(Duration.between(started, Instant.now()).toMillis() / 1000.0, 0.001);
    System.err.printf("\r  imported %,d / %,d events (%.0f%%), %,.0f events/s", sent, total,
        100.0 * sent / Math.max(total, 1), sent / seconds);
  }

  private List<byte[]> batches(List<OnlineRetailCsv.Invoice> invoices) throws IOException {
    List<byte[]> batches = new ArrayList<>();
    ArrayNode current = MAPPER.createArrayNode();
    long bytes = 0;
    for (OnlineRetailCsv.Invoice invoice : invoices) {
      ObjectNode event = event(invoice);
      int size = MAPPER.writeValueAsBytes(event).length;
      if (!current.isEmpty() && (current.size() >= options.batchEvents() || bytes + size > options.batchBytes())) {
        batches.add(MAPPER.writeValueAsBytes(MAPPER.createObjectNode().set("batch", current)));
        current = MAPPER.createArrayNode();
        bytes = 0;
      }
      current.add(event);
      bytes += size;
    }
    if (!current.isEmpty()) batches.add(MAPPER.writeValueAsBytes(MAPPER.createObjectNode().set("batch", current)));
    return batches;
  }

  /** The Segment track call for one invoice; products beyond the per-event size limit are counted, not sent. */
  ObjectNode event(OnlineRetailCsv.Invoice invoice) throws IOException {
    ObjectNode event = MAPPER.createObjectNode();
    event.put("type", "track");
    // --id-prefix imports the same history as new customers (benchmarks on a warm node)
    event.put("userId", options.idPrefix() + invoice.customerId());
    event.put("event", invoice.isCancellation() ? "Order Refunded" : "Order Completed");
    event.put("messageId", "online-retail:" + options.idPrefix() + invoice.invoiceNo());
    event.put("timestamp", at(invoice).toString());
    event.putObject("context").put("timezone", options.zone().getId());
    ObjectNode properties = event.putObject("properties");
    properties.put("order_id", invoice.invoiceNo());
    properties.put("revenue", invoice.amount().abs());
    properties.put("currency", "GBP");
    properties.put("country", invoice.country());
    ArrayNode products = properties.putArray("products");
    int omitted = 0;
    for (OnlineRetailCsv.Line line : invoice.lines()) {
      if (omitted > 0 || MAPPER.writeValueAsBytes(event).length > options.maxEventBytes() - 400) {
        omitted++;
        continue;
      }
      ObjectNode product = products.addObject();
      product.put("product_id", line.stockCode());
      product.put("name", line.description());
      product.put("quantity", Math.abs(line.quantity()));
      product.put("price", line.unitPrice());
    }
    if (omitted > 0) properties.put("products_omitted", omitted);
    return event;
  }

  private static int countEvents(byte[] batch) {
    try {
      return MAPPER.readTree(batch).get("batch").size();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private CompletableFuture<Void> postWithRetry(byte[] body, int attempt) {
    String basic = Base64.getEncoder().encodeToString((options.writeKey() + ":").getBytes(StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(options.url().resolve("/v1/batch"))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .header("Authorization", "Basic " + basic)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenCompose(response -> {
      if (response.statusCode() == 200) {
        // A batch is recorded event by event: an event the node refused is listed, not silently lost.
        JsonNode rejected = readTree(response.body()).path("rejected");
        if (!rejected.isEmpty()) throw new IllegalStateException("POST /v1/batch refused events: " + rejected);
        return CompletableFuture.completedFuture(null);
      }
      // Retrying is safe: message ids make the journal write idempotent.
      if ((response.statusCode() == 503 || response.statusCode() == 429) && attempt < 5) {
        return CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(1L << attempt, java.util.concurrent.TimeUnit.SECONDS))
            .thenCompose(v -> postWithRetry(body, attempt + 1));
      }
      throw new IllegalStateException("POST /v1/batch answered " + response.statusCode() + ": " + response.body());
    });
  }

  private static JsonNode readTree(String body) {
    try {
      return MAPPER.readTree(body);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("not JSON: " + body, e);
    }
  }

  /** How many customers sit in each segment as of the data set's last event. */
  void printSegments(Result result) throws Exception {
    OnlineRetailCsv.DataSet data = read();
    TreeSet<String> customers = new TreeSet<>();
    data.invoices().forEach(i -> customers.add(i.customerId()));
    Instant asOf = result.lastEventAt();
    Map<String, Integer> sizes = new TreeMap<>();
    Semaphore inFlight = new Semaphore(options.concurrency() * 2);
    List<CompletableFuture<Void>> reads = new ArrayList<>();
    for (String customer : customers) {
      inFlight.acquire();
      HttpRequest request = HttpRequest.newBuilder(options.url().resolve("/v1/customers/" + options.idPrefix() + customer + "?asOf=" + asOf))
          .header("Authorization", "Bearer " + options.readToken()).GET().build();
      reads.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenAccept(response -> {
        inFlight.release();
        if (response.statusCode() != 200) throw new IllegalStateException("GET " + request.uri() + " answered " + response.statusCode());
        try {
          for (JsonNode segment : MAPPER.readTree(response.body()).get("segments")) {
            synchronized (sizes) {
              sizes.merge(segment.asText(), 1, Integer::sum);
            }
          }
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).join();
    System.out.printf("%nCustomers per segment as of %s (the data set's last event%s), of %,d customers:%n", asOf,
        result.shift().isZero() ? "" : ", shifted", customers.size());
    // Every segment the families can produce, in family order, so empty ones show as 0.
    java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(
        io.segmentd.segmentation.SegmentCatalog.builtInSegments(com.typesafe.config.ConfigFactory.load().getConfig("segmentd.segments")));
    all.addAll(sizes.keySet());
    String family = "";
    for (String segment : all) {
      String f = segment.substring(0, segment.indexOf(':'));
      if (!f.equals(family)) {
        System.out.printf("  %s%n", f);
        family = f;
      }
      System.out.printf("    %-30s %,7d%n", segment, sizes.getOrDefault(segment, 0));
    }
  }
}
