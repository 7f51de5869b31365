package io.segmentd.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.server.SegmentdNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.TestNodes;
import java.io.InputStreamReader;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The demo's importer, through the HTTP API, gives each customer exactly the orders and revenue of the CSV. */
@ExtendWith(CassandraExtension.class)
class OnlineRetailImportIntegrationTest {
  private static final Path CSV = Path.of(System.getProperty("segmentd.project.dir", "."), "data/online-retail/online_retail.csv.gz");
  private static SegmentdNode node;

  @BeforeAll
  static void importSomeCustomers(LocalCassandra cassandra) throws Exception {
    node = TestNodes.start(cassandra, "it_online_retail", Clock.systemUTC());
    var result = OnlineRetailImport.importFile("--file", CSV.toString(), "--url", "http://127.0.0.1:" + node.httpPort(),
        "--customers", "17850,12347,12346,14911", "--summary", "false");
    assertEquals(4, result.customers());
    assertEquals(541_909, result.linesRead());
    assertEquals(135_080, result.linesWithoutCustomer());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  /** The demo's shift: whole weeks, so the last invoice is in the week before the target and weekdays and local times stay. */
  @org.junit.jupiter.api.Test
  void shiftedTimesMoveByWholeWeeksToEndInTheWeekBeforeTheTarget() throws Exception {
    var shifted = OnlineRetailImport.importFile("--file", CSV.toString(), "--url", "http://127.0.0.1:" + node.httpPort(),
        "--customers", "17850", "--summary", "false", "--id-prefix", "shifted-", "--shift-to", "2026-11-30T04:00:00Z");
    assertEquals(0, shifted.shift().toDays() % 7);
    assertEquals(5467, shifted.shift().toDays(), "781 weeks: 2011-12-09 12:50 + 781 weeks is 2026-11-27, in the week before the target");
    JsonNode original = new ApiClient(node.httpPort()).get("/v1/customers/17850").json();
    JsonNode moved = new ApiClient(node.httpPort()).get("/v1/customers/shifted-17850").json();
    java.time.Instant first = java.time.Instant.parse(original.get("firstSeenAt").asText());
    java.time.Instant firstMoved = java.time.Instant.parse(moved.get("firstSeenAt").asText());
    assertEquals(first.plus(shifted.shift()), firstMoved);
    assertEquals(first.atZone(java.time.ZoneId.of("Europe/London")).getDayOfWeek(), firstMoved.atZone(java.time.ZoneId.of("Europe/London")).getDayOfWeek());
    assertEquals(original.get("purchasing").get("orders"), moved.get("purchasing").get("orders"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"17850", "12347", "12346", "14911"})
  void ordersAndRevenueEqualTheCsv(String customerId) throws Exception {
    Set<String> orders = new HashSet<>();
    BigDecimal revenue = BigDecimal.ZERO;
    try (Reader reader = new InputStreamReader(new GZIPInputStream(Files.newInputStream(CSV)), StandardCharsets.UTF_8)) {
      for (CSVRecord row : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(reader)) {
        if (!row.get("CustomerID").equals(customerId)) continue;
        if (!row.get("InvoiceNo").startsWith("C")) orders.add(row.get("InvoiceNo"));
        revenue = revenue.add(new BigDecimal(row.get("UnitPrice")).multiply(new BigDecimal(row.get("Quantity"))));
      }
    }
    JsonNode profile = new ApiClient(node.httpPort()).get("/v1/customers/" + customerId).json();
    assertEquals(orders.size(), profile.get("purchasing").get("orders").asInt());
    assertEquals(0, revenue.compareTo(profile.get("purchasing").get("revenue").decimalValue()),
        "CSV says " + revenue + ", profile says " + profile.get("purchasing").get("revenue"));
  }
}
