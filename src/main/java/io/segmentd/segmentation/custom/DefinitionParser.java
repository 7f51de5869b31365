package io.segmentd.segmentation.custom;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.segmentation.custom.Rule.Comparison;
import io.segmentd.segmentation.custom.Rule.Range;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses custom segment definitions written in the JSON rule language (see README, "Custom
 * segments"). Every problem is reported with the path of the offending part, e.g.
 * {@code custom:vip.rule.all[1].sum.within}.
 */
public final class DefinitionParser {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d|w)");
  private static final Pattern ID = Pattern.compile("custom:[a-z0-9][a-z0-9-]*");
  private static final Set<String> COMPARISONS = Set.of("gte", "gt", "lte", "lt", "eq");

  private DefinitionParser() {}

  /**
   * @param known segment ids a rule may refer to (built-in segments and earlier definitions)
   */
  public static CustomDefinition parse(JsonNode node, Set<String> known) {
    if (!node.isObject()) throw new InvalidDefinition("definition", "must be a JSON object");
    String id = text(node, "id", "definition");
    if (!ID.matcher(id).matches()) {
      throw new InvalidDefinition(id + ".id", "'" + id + "' must look like custom:<name> (lower case letters, digits, dashes)");
    }
    JsonNode version = node.get("version");
    if (version == null || !version.canConvertToInt() || version.asInt() < 1) {
      throw new InvalidDefinition(id + ".version", "must be a positive integer");
    }
    JsonNode rule = node.get("rule");
    if (rule == null) throw new InvalidDefinition(id + ".rule", "is missing");
    String description = node.hasNonNull("description") ? node.get("description").asText() : "";
    return new CustomDefinition(id, version.asInt(), description, rule(rule, id + ".rule", known), node.toString());
  }

  private static Rule rule(JsonNode node, String path, Set<String> known) {
    if (!node.isObject() || node.isEmpty()) throw new InvalidDefinition(path, "must be an object with one condition");
    if (node.has("all")) return new Rule.All(list(node.get("all"), path + ".all", known));
    if (node.has("any")) return new Rule.Any(list(node.get("any"), path + ".any", known));
    if (node.has("not")) return new Rule.Not(rule(node.get("not"), path + ".not", known));
    if (node.has("segment")) {
      String segment = node.get("segment").asText();
      if (!known.contains(segment)) {
        throw new InvalidDefinition(path + ".segment", "'" + segment + "' is not a known segment (built-in, or a custom one defined before)");
      }
      return new Rule.InSegment(segment);
    }
    for (String fn : List.of("count", "sum", "min", "max")) {
      if (node.has(fn)) return aggregate(node, fn, path, known);
    }
    if (node.has("lastOccurrence")) return occurrence(node, "lastOccurrence", true, path);
    if (node.has("firstOccurrence")) return occurrence(node, "firstOccurrence", false, path);
    Iterator<String> names = node.fieldNames();
    throw new InvalidDefinition(path + "." + names.next(),
        "unknown condition; use all, any, not, segment, count, sum, min, max, lastOccurrence or firstOccurrence");
  }

  private static List<Rule> list(JsonNode node, String path, Set<String> known) {
    if (!node.isArray() || node.isEmpty()) throw new InvalidDefinition(path, "must be a non-empty array of conditions");
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) rules.add(rule(node.get(i), path + "[" + i + "]", known));
    return List.copyOf(rules);
  }

  private static Rule aggregate(JsonNode node, String fn, String path, Set<String> known) {
    String here = path + "." + fn;
    JsonNode spec = node.get(fn);
    if (!spec.isObject()) throw new InvalidDefinition(here, "must be an object such as {\"event\": \"Order Completed\"}");
    Rule.Selector selector = selector(spec, here);
    String property = null;
    if (!fn.equals("count")) {
      property = text(spec, "property", here);
    }
    List<String> given = new ArrayList<>();
    node.fieldNames().forEachRemaining(f -> {
      if (COMPARISONS.contains(f)) given.add(f);
    });
    if (given.size() != 1) {
      throw new InvalidDefinition(path, "needs exactly one comparison of gte, gt, lte, lt, eq next to '" + fn + "'");
    }
    JsonNode threshold = node.get(given.get(0));
    if (!threshold.isNumber()) throw new InvalidDefinition(path + "." + given.get(0), "must be a number");
    return new Rule.Aggregate(path.substring(path.indexOf('.') + 1) + "." + fn, Rule.Function.valueOf(fn.toUpperCase(Locale.ROOT)),
        selector, property, Comparison.valueOf(given.get(0).toUpperCase(Locale.ROOT)), new BigDecimal(threshold.asText()));
  }

  private static Rule occurrence(JsonNode node, String field, boolean last, String path) {
    String here = path + "." + field;
    Rule.Selector selector = selector(node.get(field), here);
    boolean hasWithin = node.has("within");
    boolean hasMoreThan = node.has("moreThan");
    if (hasWithin == hasMoreThan) throw new InvalidDefinition(path, "'" + field + "' needs exactly one of within or moreThan");
    Duration within = hasWithin ? duration(node.get("within"), path + ".within") : null;
    Duration moreThan = hasMoreThan ? duration(node.get("moreThan"), path + ".moreThan") : null;
    return new Rule.Occurrence(path.substring(path.indexOf('.') + 1) + "." + field, last, selector, within, moreThan);
  }

  private static Rule.Selector selector(JsonNode spec, String path) {
    if (spec == null || !spec.isObject()) throw new InvalidDefinition(path, "must be an object such as {\"event\": \"Order Completed\"}");
    String event = text(spec, "event", path);
    String whereProperty = null;
    Object whereEquals = null;
    if (spec.has("where")) {
      JsonNode where = spec.get("where");
      whereProperty = text(where, "property", path + ".where");
      JsonNode equals = where.get("equals");
      if (equals == null || !equals.isValueNode() || equals.isNull()) {
        throw new InvalidDefinition(path + ".where.equals", "must be a string, number or boolean");
      }
      whereEquals = equals.isNumber() ? equals.decimalValue() : equals.isBoolean() ? (Object) equals.asBoolean() : equals.asText();
    }
    Range range = new Range.AllTime();
    if (spec.has("within") && spec.has("between")) throw new InvalidDefinition(path, "give within or between, not both");
    if (spec.has("within")) range = new Range.Within(duration(spec.get("within"), path + ".within"));
    if (spec.has("between")) {
      JsonNode between = spec.get("between");
      if (!between.isArray() || between.size() != 2) throw new InvalidDefinition(path + ".between", "must be [from, to] as ISO-8601 instants");
      Instant from = instant(between.get(0), path + ".between[0]");
      Instant to = instant(between.get(1), path + ".between[1]");
      if (!from.isBefore(to)) throw new InvalidDefinition(path + ".between", "from must be before to");
      range = new Range.Between(from, to);
    }
    return new Rule.Selector(event, whereProperty, whereEquals, range);
  }

  static Duration duration(JsonNode node, String path) {
    Matcher m = node == null ? null : DURATION.matcher(node.asText());
    if (m == null || !node.isTextual() || !m.matches()) {
      throw new InvalidDefinition(path, "'" + (node == null ? "" : node.asText()) + "' is not a duration such as 30d, 12h, 15m, 2w");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      default -> Duration.ofDays(7 * n);
    };
  }

  private static Instant instant(JsonNode node, String path) {
    try {
      return OffsetDateTime.parse(node.asText()).toInstant();
    } catch (DateTimeException e) {
      throw new InvalidDefinition(path, "'" + node.asText() + "' is not an ISO-8601 instant such as 2024-11-01T00:00:00Z");
    }
  }

  private static String text(JsonNode node, String field, String path) {
    JsonNode value = node == null ? null : node.get(field);
    if (value == null || !value.isTextual() || value.asText().isBlank()) {
      throw new InvalidDefinition(path + "." + field, "is missing or not a non-empty string");
    }
    return value.asText();
  }
}
