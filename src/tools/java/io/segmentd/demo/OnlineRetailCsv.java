package io.segmentd.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads the UCI Online Retail data set (one row per invoice line) into invoices. An invoice whose
 * number starts with {@code C} is a cancellation; lines without a CustomerID are counted and skipped.
 */
public final class OnlineRetailCsv {
  private static final DateTimeFormatter WALL_CLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  public record Line(String stockCode, String description, int quantity, BigDecimal unitPrice) {
    BigDecimal amount() {
      return unitPrice.multiply(BigDecimal.valueOf(quantity));
    }
  }

  public record Invoice(String invoiceNo, String customerId, Instant at, String country, List<Line> lines) {
    public boolean isCancellation() {
      return invoiceNo.startsWith("C");
    }

    /** Sum of quantity x unit price over the lines; negative for a cancellation. */
    public BigDecimal amount() {
      return lines.stream().map(Line::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
    }
  }

  public record DataSet(List<Invoice> invoices, long lines, long linesWithoutCustomer) {}

  private OnlineRetailCsv() {}

  /** @param zone the zone the wall-clock InvoiceDate was written in (the retailer is in the UK) */
  public static DataSet read(Path file, ZoneId zone) throws IOException {
    Map<String, Invoice> invoices = new LinkedHashMap<>();
    long lines = 0;
    long anonymous = 0;
    var in = file.toString().endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(file), 1 << 16) : Files.newInputStream(file);
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
      for (CSVRecord row : format.parse(reader)) {
        lines++;
        String customer = row.get("CustomerID").strip();
        if (customer.isEmpty()) {
          anonymous++;
          continue;
        }
        if (customer.endsWith(".0")) customer = customer.substring(0, customer.length() - 2);
        String invoiceNo = row.get("InvoiceNo").strip();
        String customerId = customer;
        Invoice invoice = invoices.computeIfAbsent(invoiceNo, no -> new Invoice(no, customerId,
            LocalDateTime.parse(row.get("InvoiceDate").strip(), WALL_CLOCK).atZone(zone).toInstant(),
            row.get("Country").strip(), new ArrayList<>()));
        invoice.lines().add(new Line(row.get("StockCode").strip(), row.get("Description").strip(),
            Integer.parseInt(row.get("Quantity").strip()), new BigDecimal(row.get("UnitPrice").strip())));
      }
    }
    return new DataSet(List.copyOf(invoices.values()), lines, anonymous);
  }
}
