package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, which .ci/run
 * installs), against a node on the real Cassandra after a known ingestion: sign-in (a wrong token
 * refused on the page), the overview's charts, a segment's members page by page, a customer's
 * timeline with causes, and her segments as of an earlier date. Screenshots go to
 * target/dashboard-screenshots.
 */
@ExtendWith(CassandraExtension.class)
class DashboardBrowserIntegrationTest {
  private static final Path SCREENSHOTS = Path.of("target", "dashboard-screenshots");
  private static final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
  private static SegmentdNode node;
  private static ApiClient api;
  private static WebDriver browser;
  private static String base;

  @BeforeAll
  static void start(LocalCassandra cassandra) throws Exception {
    node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_dashboard", LocalCassandra.freePort(), Map.of()), clock);
    api = new ApiClient(node.httpPort());
    base = "http://127.0.0.1:" + node.httpPort();
    ingest();
    browser = chromium();
    Files.createDirectories(SCREENSHOTS);
  }

  @AfterAll
  static void stop() {
    if (browser != null) browser.quit();
    if (node != null) node.close();
  }

  /** 30 customers with one order each, and alice-b with two: one before 2024-01-10 and one after. */
  private static void ingest() {
    StringBuilder batch = new StringBuilder("{\"batch\": [");
    for (int i = 1; i <= 30; i++) {
      if (i > 1) batch.append(',');
      batch.append(String.format("""
          {"type": "track", "userId": "shopper-%02d", "messageId": "s-%d", "timestamp": "2024-02-%02dT10:00:00Z",
           "event": "Order Completed", "properties": {"order_id": "s-o-%d", "revenue": %d}}""", i, i, 1 + i % 28, i, 20 + i));
    }
    batch.append("""
        ,{"type": "page", "userId": "alice-b", "messageId": "a-1", "timestamp": "2024-01-05T09:00:00Z", "name": "Home"},
        {"type": "track", "userId": "alice-b", "messageId": "a-2", "timestamp": "2024-01-05T09:10:00Z", "event": "Order Completed",
         "properties": {"order_id": "a-o-1", "revenue": 80}},
        {"type": "track", "userId": "alice-b", "messageId": "a-3", "timestamp": "2024-02-20T11:00:00Z", "event": "Order Completed",
         "properties": {"order_id": "a-o-2", "revenue": 45}}
        ]}""");
    assertEquals(200, api.post("/v1/batch", batch.toString()).status());
    Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertEquals(30, count("loyalty:one-time"));
      assertEquals(1, count("loyalty:repeat"));
    });
  }

  private static long count(String segment) {
    return api.get("/v1/segments/" + segment).json().get("count").asLong();
  }

  private static WebDriver chromium() {
    File chromium = new File("/usr/bin/chromium");
    File driver = new File("/usr/bin/chromedriver");
    assertTrue(chromium.canExecute() && driver.canExecute(),
        "the browser test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does)");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    // As root, without a GPU, and without the background connections this closed network refuses.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1800");
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver).usingAnyFreePort()
        // Local time is UTC, so the as-of input means what the assertions say.
        .withEnvironment(Map.of("TZ", "UTC")).build();
    return new ChromeDriver(service, options);
  }

  /** A fresh tab: the sign-in page, with nothing kept from another test. */
  private static void signedOut() {
    browser.get(base + "/");
    ((JavascriptExecutor) browser).executeScript("window.sessionStorage.clear();");
    browser.navigate().refresh();
    waitFor(() -> visible("token"));
  }

  private static void signIn(String token, String role) {
    signedOut();
    type("token", token);
    click("sign-in");
    waitFor(() -> text("role").equals(role));
  }

  @Test
  void anAdminPreviewsAndSavesACustomSegment() throws Exception {
    signIn("dev-admin-token", "admin");
    browser.get(base + "/#/definitions");
    WebElement editor = new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> d.findElement(By.id("definition-editor")));
    type("definition-id", "custom:two-orders");
    editor.clear();
    editor.sendKeys("{\"description\": \"two orders or more\", \"rule\": {\"count\": {\"event\": \"Order Completed\"}, \"gte\": 2}}");

    // The preview folds every journal: of the 31 customers only alice-b has two orders.
    click("definition-preview");
    waitFor(() -> "1".equals(attribute("preview-entering", "data-value")));
    assertEquals("0", attribute("preview-leaving", "data-value"));
    assertEquals("alice-b", browser.findElement(By.id("preview-entering-sample")).getText().trim());
    screenshot("07-definition-preview");

    click("definition-save");
    waitFor(() -> !marks("#definitions tr[data-definition='custom:two-orders']").isEmpty());
    // Once backfilled, the segment answers with its one member.
    Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertEquals(1, count("custom:two-orders")));
    browser.get(base + "/#/segments/custom%3Atwo-orders");
    waitFor(() -> text("segment-count").equals("1") && rows("members").size() == 1);
    assertEquals(List.of("alice-b"), memberIds());

    // The journey page draws the stage flows of the same data.
    browser.get(base + "/#/journey");
    waitFor(() -> !marks("[data-chart='journey-flows'] [data-value]").isEmpty());
    screenshot("08-journey");
  }

  @Test
  void aMarketerSignsInAndExploresSegmentsAndACustomer() throws Exception {
    // A wrong token is refused on the page, and nothing else is shown.
    signedOut();
    type("token", "not-a-token");
    click("sign-in");
    waitFor(() -> visible("sign-in-error") && text("sign-in-error").contains("Token refused"));
    assertFalse(browser.findElement(By.id("app")).isDisplayed());
    screenshot("01-sign-in-refused");
    assertEquals(null, session("segmentd.token"));

    type("token", "dev-read-token");
    click("sign-in");
    waitFor(() -> text("role").equals("read"));
    // A reader is not offered what only admins may do.
    assertFalse(browser.findElement(By.cssSelector("a[data-nav='definitions']")).isDisplayed());
    // Kept for the tab only, never in the address.
    assertEquals("dev-read-token", session("segmentd.token"));
    assertFalse(browser.getCurrentUrl().contains("dev-read-token"));

    // The overview: current counts per family as the API gives them, sizes over the period, the RFM grid, journey flows.
    waitFor(() -> marks("[data-chart='counts-loyalty'] [data-value]").size() >= 6);
    Map<String, Long> loyalty = new java.util.TreeMap<>();
    for (JsonNode s : api.get("/v1/segments").json().get("segments")) {
      if (s.get("family").asText().equals("loyalty")) loyalty.put(s.get("id").asText(), s.get("count").asLong());
    }
    long shown = marks("[data-chart='counts-loyalty'] [data-value]").stream().mapToLong(e -> Math.round(Double.parseDouble(e.getAttribute("data-value")))).sum();
    assertEquals(loyalty.values().stream().mapToLong(Long::longValue).sum(), shown);
    assertEquals(31, shown);
    waitFor(() -> marks("[data-chart='sizes-loyalty'] [data-value]").stream().anyMatch(e -> Double.parseDouble(e.getAttribute("data-value")) == 30));
    waitFor(() -> !marks("[data-chart='rfm'] [data-cell]").isEmpty());
    long rfmShown = marks("[data-chart='rfm'] [data-cell]").stream()
        .collect(Collectors.toMap(e -> e.getAttribute("data-cell"), e -> Long.parseLong(e.getAttribute("data-count")), (a, b) -> a))
        .values().stream().mapToLong(Long::longValue).sum();
    assertEquals(31, rfmShown, "every customer with an order is in one RFM region");
    waitFor(() -> !marks("[data-chart='journey-flow'] [data-flow]").isEmpty());
    screenshot("02-overview");

    // A segment's members, page by page.
    browser.get(base + "/#/segments/loyalty%3Aone-time");
    waitFor(() -> text("segment-count").equals("30"));
    waitFor(() -> rows("members").size() == 25);
    assertEquals("page 1", text("members-page"));
    List<String> firstPage = memberIds();
    click("members-next");
    waitFor(() -> text("members-page").equals("page 2") && rows("members").size() == 5);
    List<String> secondPage = memberIds();
    Set<String> all = new TreeSet<>(firstPage);
    all.addAll(secondPage);
    assertEquals(30, all.size(), "two pages, no member twice");
    assertTrue(all.stream().allMatch(id -> id.startsWith("shopper-")), all.toString());
    screenshot("03-segment-members");
    click("members-prev");
    waitFor(() -> text("members-page").equals("page 1"));
    assertEquals(firstPage, memberIds());

    // A customer: her segments with the values behind them, and the timeline of events and transitions with causes.
    browser.get(base + "/#/customers");
    type("customer-search", "alice-b");
    click("customer-go");
    waitFor(() -> text("customer-id").contains("alice-b"));
    waitFor(() -> segmentsShown().contains("loyalty:repeat"));
    assertFalse(segmentsShown().contains("loyalty:one-time"));
    assertTrue(browser.findElement(By.cssSelector("#customer-segments li[data-segment='loyalty:repeat']")).getText().contains("orders"));
    waitFor(() -> !marks("#timeline li[data-kind='transition']").isEmpty());
    List<WebElement> events = marks("#timeline li[data-kind='event']");
    assertEquals(3, events.size(), "a-1, a-2 and a-3");
    WebElement repeat = marks("#timeline li[data-kind='transition']").stream()
        .filter(e -> "loyalty:repeat".equals(e.getAttribute("data-segment")) && "entered".equals(e.getAttribute("data-direction")))
        .findFirst().orElseThrow();
    assertEquals("a-3", repeat.findElement(By.className("cause")).getText(), "entered repeat because of the second order");
    screenshot("04-customer-timeline");

    // As of 2024-01-10 she had ordered once.
    ((JavascriptExecutor) browser).executeScript(
        "const i = document.getElementById('as-of'); i.value = '2024-01-10T00:00:00'; i.dispatchEvent(new Event('input', {bubbles: true}));");
    click("as-of-apply");
    waitFor(() -> segmentsShown().contains("loyalty:one-time"));
    assertFalse(segmentsShown().contains("loyalty:repeat"));
    screenshot("05-customer-as-of");
    click("as-of-now");
    waitFor(() -> segmentsShown().contains("loyalty:repeat"));

    // The operations page: the checks by name, this node a member.
    browser.get(base + "/#/operations");
    waitFor(() -> rows("cluster-members").size() == 1);
    waitFor(() -> browser.findElement(By.id("health-checks")).getText().contains("read-side"));
    screenshot("06-operations");

    click("sign-out");
    waitFor(() -> visible("token"));
    assertEquals(null, session("segmentd.token"));
  }

  private static List<String> memberIds() {
    List<String> ids = new ArrayList<>();
    for (WebElement row : rows("members")) ids.add(row.findElement(By.cssSelector("a")).getText().trim());
    return ids;
  }

  private Set<String> segmentsShown() {
    return marks("#customer-segments li[data-segment]").stream().map(e -> e.getAttribute("data-segment")).collect(Collectors.toSet());
  }

  private static List<WebElement> rows(String table) {
    return browser.findElements(By.cssSelector("#" + table + " tbody tr"));
  }

  private static List<WebElement> marks(String css) {
    return browser.findElements(By.cssSelector(css));
  }

  private static String attribute(String id, String name) {
    List<WebElement> found = browser.findElements(By.id(id));
    return found.isEmpty() ? null : found.get(0).getAttribute(name);
  }

  private static String session(String key) {
    return (String) ((JavascriptExecutor) browser).executeScript("return window.sessionStorage.getItem(arguments[0]);", key);
  }

  private static void type(String id, String text) {
    WebElement input = new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> d.findElement(By.id(id)));
    input.clear();
    input.sendKeys(text);
  }

  private static void click(String id) {
    new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> {
      WebElement e = d.findElement(By.id(id));
      return e.isDisplayed() && e.isEnabled() ? e : null;
    }).click();
  }

  private static boolean visible(String id) {
    List<WebElement> found = browser.findElements(By.id(id));
    return !found.isEmpty() && found.get(0).isDisplayed();
  }

  private static String text(String id) {
    List<WebElement> found = browser.findElements(By.id(id));
    return found.isEmpty() ? "" : found.get(0).getText().trim();
  }

  /** Polls the page (the DOM changes when the API answers); never a fixed sleep. */
  private static void waitFor(java.util.function.BooleanSupplier condition) {
    try {
      new WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
          .until(d -> condition.getAsBoolean());
    } catch (org.openqa.selenium.TimeoutException e) {
      // What the page showed when the wait gave up.
      try {
        screenshot("failed-wait");
      } catch (java.io.IOException ignored) {
        // the timeout is the failure to report
      }
      throw e;
    }
  }

  private static void screenshot(String name) throws java.io.IOException {
    Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }
}
