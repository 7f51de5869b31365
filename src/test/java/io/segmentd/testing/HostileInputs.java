package io.segmentd.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * A catalogue of hostile requests to the ingestion API, each with the answer the README documents:
 * its status and error code (the top-level {@code error}, or for a batch refused as a whole
 * because its only event is bad, the code of {@code rejected[0]}).
 */
public final class HostileInputs {
  private HostileInputs() {}

  /** One request: where it goes, its bytes and headers, and the documented answer. */
  public record Case(String name, String path, byte[] body, Map<String, String> headers, int status, String error) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** A valid track event's fields, as JSON members, for a customer of its own. */
  private static final String VALID = "\"type\": \"track\", \"userId\": \"hostile\", \"event\": \"Viewed\", \"messageId\": \"h-1\","
      + " \"timestamp\": \"2024-02-01T00:00:00Z\", \"properties\": {\"k\": \"v\"}";

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A batch of one event made of {@code members} (JSON object members). */
  private static String batchOf(String members) {
    return "{\"batch\": [{" + members + "}]}";
  }

  /** The valid event with {@code field} (top level) set to the raw JSON {@code value}, or removed when null. */
  private static String withField(String field, String value) {
    StringBuilder members = new StringBuilder();
    boolean replaced = false;
    for (String member : List.of("\"type\": \"track\"", "\"userId\": \"hostile\"", "\"event\": \"Viewed\"", "\"messageId\": \"h-1\"",
        "\"timestamp\": \"2024-02-01T00:00:00Z\"", "\"properties\": {\"k\": \"v\"}")) {
      String name = member.substring(1, member.indexOf('"', 1));
      if (name.equals(field)) {
        replaced = true;
        if (value == null) continue;
        member = "\"" + field + "\": " + value;
      }
      if (!members.isEmpty()) members.append(", ");
      members.append(member);
    }
    if (!replaced && value != null) members.append(", \"").append(field).append("\": ").append(value);
    return batchOf(members.toString());
  }

  public static List<Case> all() {
    List<Case> cases = new ArrayList<>();
    malformedJson(cases);
    wrongTypes(cases);
    stringsHugeAndEmpty(cases);
    nesting(cases);
    invalidUtf8(cases);
    invalidUtf16(cases);
    controlCharactersInIds(cases);
    numbers(cases);
    timestamps(cases);
    sizes(cases);
    missingIds(cases);
    injection(cases);
    encodings(cases);
    return cases;
  }

  private static void add(List<Case> cases, String name, String body, int status, String error) {
    cases.add(new Case(name, "/v1/batch", utf8(body), Map.of(), status, error));
  }

  private static void malformedJson(List<Case> cases) {
    String[][] bodies = {
        {"empty body", ""}, {"whitespace", "   \n\t "}, {"truncated object", "{\"batch\": [{\"type\": \"track\""},
        {"unclosed array", "{\"batch\": ["}, {"stray bracket", "{\"batch\": [}"}, {"trailing garbage", batchOf(VALID) + " xyz"},
        {"single quotes", "{'batch': [{'type': 'track'}]}"}, {"unquoted keys", "{batch: [{type: \"track\"}]}"},
        {"comment", "{\"batch\": [/* c */]}"}, {"trailing comma", "{\"batch\": [{" + VALID + "},]}"},
        {"NaN", "{\"batch\": [{" + VALID.replace("{\"k\": \"v\"}", "{\"k\": NaN}") + "}]}"},
        {"Infinity", "{\"batch\": [{" + VALID.replace("{\"k\": \"v\"}", "{\"k\": Infinity}") + "}]}"},
        {"-Infinity", "{\"batch\": [{" + VALID.replace("{\"k\": \"v\"}", "{\"k\": -Infinity}") + "}]}"},
        {"hex number", "{\"batch\": [{" + VALID.replace("{\"k\": \"v\"}", "{\"k\": 0x1F}") + "}]}"},
        {"leading zero", "{\"batch\": [{" + VALID.replace("{\"k\": \"v\"}", "{\"k\": 007}") + "}]}"},
        {"bad escape", "{\"batch\": [{" + VALID.replace("\"v\"", "\"\\x41\"") + "}]}"},
        {"raw newline in string", "{\"batch\": [{" + VALID.replace("\"v\"", "\"a\nb\"") + "}]}"},
        {"unterminated string", "{\"batch\": [{\"type\": \"track}]}"}, {"just a quote", "\""}, {"undefined", "undefined"},
        {"two documents", batchOf(VALID) + batchOf(VALID)}, {"number with 2000 digits", "{\"batch\": [{" + VALID.replace("{\"k\": \"v\"}",
            "{\"k\": " + "9".repeat(2000) + "}") + "}]}"},
        {"5000 nested arrays", "{\"batch\": " + "[".repeat(5000) + "]".repeat(5000) + "}"},
        {"5000 nested objects", "{\"batch\": [{" + VALID.replace("{\"k\": \"v\"}", "{\"a\":".repeat(5000) + "1" + "}".repeat(5000)) + "}]}"},
    };
    for (String[] b : bodies) add(cases, "malformed JSON: " + b[0], b[1], 400, "invalid_json");
    String[][] shapes = {
        {"null", "null", "invalid_json"}, {"array", "[]", "invalid_json"}, {"string", "\"batch\"", "invalid_json"},
        {"number", "42", "invalid_json"}, {"boolean", "true", "invalid_json"}, {"no batch", "{\"events\": []}", "invalid_batch"},
        {"batch not an array", "{\"batch\": {}}", "invalid_batch"}, {"batch a string", "{\"batch\": \"x\"}", "invalid_batch"},
        {"batch empty", "{\"batch\": []}", "invalid_batch"}, {"batch null", "{\"batch\": null}", "invalid_batch"},
        {"event is a string", "{\"batch\": [\"track\"]}", "invalid_event"}, {"event is null", "{\"batch\": [null]}", "invalid_event"},
        {"event is an array", "{\"batch\": [[]]}", "invalid_event"}, {"event is a number", "{\"batch\": [1]}", "invalid_event"},
        {"shared context not an object", "{\"context\": 5, \"batch\": [{" + VALID + "}]}", "invalid_batch"},
        {"shared sentAt not a time", "{\"sentAt\": \"soon\", \"batch\": [{" + VALID + "}]}", "invalid_batch"},
    };
    for (String[] b : shapes) add(cases, "wrong shape: " + b[0], b[1], 400, b[2]);
  }

  private static void wrongTypes(List<Case> cases) {
    String[][] fields = {
        // field, code for a wrong type
        {"type", "invalid_event"}, {"userId", "invalid_id"}, {"messageId", "invalid_id"}, {"event", "invalid_event"},
        {"timestamp", "invalid_timestamp"}, {"originalTimestamp", "invalid_timestamp"}, {"sentAt", "invalid_timestamp"},
        {"properties", "invalid_event"}, {"context", "invalid_event"}, {"integrations", "invalid_event"},
        {"anonymousId", "invalid_id"}, {"groupId", "invalid_id"}, {"previousId", "invalid_id"},
    };
    String[][] values = {{"true", "a boolean"}, {"false", "a boolean"}, {"{}", "an object"}, {"[]", "an array"},
        {"[\"x\"]", "an array"}, {"1.5", "a fraction"}, {"{\"id\": \"x\"}", "an object"}};
    for (String[] f : fields) {
      for (String[] v : values) {
        boolean objectField = f[0].equals("properties") || f[0].equals("context") || f[0].equals("integrations");
        if (objectField && v[0].startsWith("{")) continue; // an object is right there
        add(cases, "wrong type: " + f[0] + " = " + v[0], withField(f[0], v[0]), 400, f[1]);
      }
      if (!f[0].endsWith("Id") && !f[0].equals("type") && !f[0].equals("event")) {
        add(cases, "wrong type: " + f[0] + " = 7", withField(f[0], "7"), 400, f[1]);
      }
    }
    for (String[] v : values) {
      add(cases, "wrong type: context.timezone = " + v[0], withField("context", "{\"timezone\": " + v[0] + "}"), 400, "invalid_event");
      add(cases, "wrong type: traits of identify = " + v[0].replace("{", "(").replace("}", ")"),
          v[0].startsWith("{") ? batchOf("\"type\": \"identify\", \"userId\": \"hostile\", \"traits\": [" + v[0] + "]")
              : batchOf("\"type\": \"identify\", \"userId\": \"hostile\", \"traits\": " + v[0]), 400, "invalid_event");
    }
    add(cases, "wrong type: page name = 5", batchOf("\"type\": \"page\", \"userId\": \"hostile\", \"name\": 5"), 400, "invalid_event");
    add(cases, "wrong type: revenue of an order = \"ten\"", batchOf("\"type\": \"track\", \"userId\": \"hostile\", \"event\": \"Order Completed\","
        + " \"properties\": {\"revenue\": \"ten\"}"), 400, "invalid_event");
    add(cases, "wrong type: total of an order = true", batchOf("\"type\": \"track\", \"userId\": \"hostile\", \"event\": \"Order Completed\","
        + " \"properties\": {\"total\": true}"), 400, "invalid_event");
    add(cases, "unknown type", withField("type", "\"trak\""), 400, "invalid_event");
    add(cases, "type of another case", withField("type", "\"TRACK\""), 400, "invalid_event");
    add(cases, "type missing", withField("type", null), 400, "invalid_event");
    add(cases, "type null", withField("type", "null"), 400, "invalid_event");
  }

  private static void stringsHugeAndEmpty(List<Case> cases) {
    add(cases, "empty event name", withField("event", "\"\""), 400, "invalid_event");
    add(cases, "blank event name", withField("event", "\"   \""), 400, "invalid_event");
    add(cases, "no event name", withField("event", null), 400, "invalid_event");
    add(cases, "event name of 257 characters", withField("event", "\"" + "e".repeat(257) + "\""), 400, "invalid_event");
    add(cases, "event name of 20,000 characters", withField("event", "\"" + "e".repeat(20_000) + "\""), 400, "invalid_event");
    add(cases, "page name of 300 characters", batchOf("\"type\": \"page\", \"userId\": \"hostile\", \"name\": \"" + "p".repeat(300) + "\""),
        400, "invalid_event");
    for (String id : List.of("userId", "messageId", "anonymousId", "groupId", "previousId")) {
      add(cases, id + " of 257 characters", withField(id, "\"" + "i".repeat(257) + "\""), 400, "invalid_id");
      add(cases, id + " of 30,000 characters", withField(id, "\"" + "i".repeat(30_000) + "\""), 400, "invalid_id");
    }
    add(cases, "property key of 257 characters", withField("properties", "{\"" + "k".repeat(257) + "\": 1}"), 400, "invalid_event");
    add(cases, "property key of 10,000 characters", withField("properties", "{\"" + "k".repeat(10_000) + "\": 1}"), 400, "invalid_event");
    add(cases, "context key of 300 characters", withField("context", "{\"" + "c".repeat(300) + "\": 1}"), 400, "invalid_event");
    add(cases, "time zone of 5,000 characters", withField("context", "{\"timezone\": \"" + "Z".repeat(5000) + "\"}"), 400, "invalid_event");
    add(cases, "empty time zone", withField("context", "{\"timezone\": \"\"}"), 400, "invalid_event");
    add(cases, "empty timestamp", withField("timestamp", "\"\""), 400, "invalid_timestamp");
    add(cases, "empty type", withField("type", "\"\""), 400, "invalid_event");
  }

  private static void nesting(List<Case> cases) {
    for (int depth : new int[] {17, 18, 50, 200, 400}) {
      add(cases, "properties nested " + depth + " deep", withField("properties", "{\"a\":".repeat(depth) + "1" + "}".repeat(depth)),
          400, "invalid_event");
      add(cases, "properties arrays nested " + depth + " deep", withField("properties", "{\"a\": " + "[".repeat(depth) + "]".repeat(depth) + "}"),
          400, "invalid_event");
    }
    add(cases, "context nested 40 deep", withField("context", "{\"a\":".repeat(40) + "1" + "}".repeat(40)), 400, "invalid_event");
    StringBuilder wide = new StringBuilder("{");
    for (int i = 0; i < 5001; i++) wide.append(i == 0 ? "" : ",").append("\"p").append(i).append("\": ").append(i);
    add(cases, "5,001 properties", withField("properties", wide + "}"), 400, "invalid_event");
    add(cases, "an array of 5,001 values", withField("properties", "{\"a\": [" + "1,".repeat(5000) + "1]}"), 400, "invalid_event");
  }

  private static void invalidUtf8(List<Case> cases) {
    byte[][] sequences = {
        {(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xFE}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
        {(byte) 0x80}, {(byte) 0xE2, (byte) 0x82}};
    String[] names = {"invalid 2-byte", "0xFF", "0xFE", "overlong slash", "overlong 3-byte", "UTF-8-encoded surrogate",
        "5-byte sequence", "lone continuation byte", "truncated 3-byte"};
    for (int i = 0; i < sequences.length; i++) {
      for (String place : List.of("userId", "event", "properties")) {
        String template = place.equals("properties") ? withField("properties", "{\"k\": \"aXb\"}") : withField(place, "\"aXb\"");
        byte[] before = utf8(template.substring(0, template.indexOf("aXb") + 1));
        byte[] after = utf8(template.substring(template.indexOf("aXb") + 2));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before);
        out.writeBytes(sequences[i]);
        out.writeBytes(after);
        cases.add(new Case("invalid UTF-8 (" + names[i] + ") in " + place, "/v1/batch", out.toByteArray(), Map.of(), 400, "invalid_json"));
      }
    }
  }

  private static void invalidUtf16(List<Case> cases) {
    String[] escapes = {"\\ud800", "\\udc00", "\\ud800\\ud800", "a\\udbff", "\\udfff\\ud800"};
    for (String e : escapes) {
      add(cases, "lone surrogate " + e + " in userId", withField("userId", "\"" + e + "\""), 400, "invalid_unicode");
      add(cases, "lone surrogate " + e + " in event", withField("event", "\"" + e + "\""), 400, "invalid_unicode");
      add(cases, "lone surrogate " + e + " in messageId", withField("messageId", "\"" + e + "\""), 400, "invalid_unicode");
      add(cases, "lone surrogate " + e + " in a property value", withField("properties", "{\"k\": \"" + e + "\"}"), 400, "invalid_unicode");
      add(cases, "lone surrogate " + e + " in a property key", withField("properties", "{\"" + e + "\": 1}"), 400, "invalid_unicode");
      add(cases, "lone surrogate " + e + " in a nested value", withField("properties", "{\"k\": [{\"n\": \"" + e + "\"}]}"), 400, "invalid_unicode");
      add(cases, "lone surrogate " + e + " in the context", withField("context", "{\"timezone\": \"" + e + "\"}"), 400, "invalid_unicode");
      add(cases, "lone surrogate " + e + " in an unknown field", withField("extra", "\"" + e + "\""), 400, "invalid_unicode");
    }
  }

  private static void controlCharactersInIds(List<Case> cases) {
    for (String c : List.of("\\u0000", "\\u0001", "\\n", "\\r\\nSet-Cookie: a=b", "\\u007f", "\\u009b")) {
      for (String id : List.of("userId", "anonymousId", "messageId")) {
        add(cases, "control character " + c + " in " + id, withField(id, "\"a" + c + "b\""), 400, "invalid_id");
      }
      add(cases, "control character " + c + " in the event name", withField("event", "\"a" + c + "b\""), 400, "invalid_event");
    }
  }

  private static void numbers(List<Case> cases) {
    String[] absurd = {"1e400000000", "-1e400000000", "1e309", "-1e309", "1e-400", "123456789012345678901234567890123456789012",
        "0.0000000000000000001", "1e39", "9.99999999999999999999999999999999999999999", "-0.00000000000000000000000000001"};
    for (String n : absurd) {
      add(cases, "absurd number " + n + " in properties", withField("properties", "{\"n\": " + n + "}"), 400, "invalid_event");
      add(cases, "absurd number " + n + " nested", withField("properties", "{\"n\": {\"m\": [" + n + "]}}"), 400, "invalid_event");
      add(cases, "absurd number " + n + " as revenue", batchOf("\"type\": \"track\", \"userId\": \"hostile\", \"event\": \"Order Completed\","
          + " \"properties\": {\"revenue\": " + n + "}"), 400, "invalid_event");
    }
  }

  private static void timestamps(List<Case> cases) {
    String[] bad = {"yesterday", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-02-01T25:00:00Z", "2024-02-01 00:00:00Z",
        "2024-02-01T00:00:00", "2024-02-01", "+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z", "1999-12-31T23:59:59.999Z", "2099-01-01T00:00:00Z", "2024-03-01T00:05:01Z", "2024-02-01T00:00:00+25:00",
        "1709251200", "2024-02-01T00:00:00Z; DROP TABLE messages"};
    for (String t : bad) {
      add(cases, "timestamp " + t, withField("timestamp", "\"" + t + "\""), 400, "invalid_timestamp");
      add(cases, "originalTimestamp " + t, withField("timestamp", null).replace("\"type\"", "\"originalTimestamp\": \"" + t + "\", \"type\""),
          400, "invalid_timestamp");
    }
    for (String t : List.of("soon", "2024-02-30T00:00:00Z", "")) {
      add(cases, "sentAt " + t, withField("sentAt", "\"" + t + "\""), 400, "invalid_timestamp");
    }
  }

  private static void sizes(List<Case> cases) {
    add(cases, "event of 40 KB", withField("properties", "{\"p\": \"" + "y".repeat(40_000) + "\"}"), 400, "event_too_large");
    add(cases, "event of 33 KB in many properties", withField("properties", manyProperties(330, 100)), 400, "event_too_large");
    StringBuilder big = new StringBuilder("{\"batch\": [");
    for (int i = 0; i < 30; i++) big.append(i == 0 ? "" : ",").append("{").append(VALID.replace("\"v\"", "\"" + "x".repeat(20_000) + "\"")).append("}");
    add(cases, "body of 600 KB", big + "]}", 413, "request_too_large");
    add(cases, "body of 3 MB (over the server's limit too)", "{\"batch\": [{" + VALID.replace("\"v\"", "\"" + "x".repeat(3_000_000) + "\"") + "}]}",
        413, "request_too_large");
    add(cases, "body of 600 KB of whitespace", " ".repeat(600_000) + batchOf(VALID), 413, "request_too_large");
  }

  private static String manyProperties(int count, int size) {
    StringBuilder out = new StringBuilder("{");
    for (int i = 0; i < count; i++) out.append(i == 0 ? "" : ",").append("\"p").append(i).append("\": \"").append("z".repeat(size)).append("\"");
    return out.append("}").toString();
  }

  private static void missingIds(List<Case> cases) {
    add(cases, "no userId nor anonymousId", withField("userId", null), 400, "invalid_id");
    add(cases, "userId null", withField("userId", "null"), 400, "invalid_id");
    add(cases, "userId empty", withField("userId", "\"\""), 400, "invalid_id");
    add(cases, "userId empty and anonymousId empty", withField("userId", "\"\"").replace("\"type\"", "\"anonymousId\": \"\", \"type\""), 400,
        "invalid_id");
    add(cases, "userId null and anonymousId null", withField("userId", "null").replace("\"type\"", "\"anonymousId\": null, \"type\""), 400,
        "invalid_id");
    cases.add(new Case("single call without ids", "/v1/track", utf8("{\"event\": \"E\"}"), Map.of(), 400, "invalid_id"));
  }

  private static void injection(List<Case> cases) {
    String[] attacks = {"' OR 1=1; --", "'); DROP KEYSPACE segmentd; --", "<script>alert(1)</script>", "../../etc/passwd",
        "${jndi:ldap://example.invalid/a}", "%00", "{{7*7}}", "`rm -rf /`", "\\\" OR \\\"\\\"=\\\"", "$(reboot)"};
    for (String a : attacks) {
      add(cases, "injection " + a + " as type", withField("type", "\"" + a + "\""), 400, "invalid_event");
      add(cases, "injection " + a + " as timestamp", withField("timestamp", "\"" + a + "\""), 400, "invalid_timestamp");
      add(cases, "injection " + a + " as time zone", withField("context", "{\"timezone\": \"" + a + "\"}"), 400, "invalid_event");
    }
  }

  private static void encodings(List<Case> cases) {
    cases.add(new Case("gzip header on a plain body", "/v1/batch", utf8(batchOf(VALID)), Map.of("Content-Encoding", "gzip"), 400, "invalid_body"));
    cases.add(new Case("deflate header on a plain body", "/v1/batch", utf8(batchOf(VALID)), Map.of("Content-Encoding", "deflate"), 400,
        "invalid_body"));
    cases.add(new Case("gzip of 2 MB of zeros (a small body that expands past the limit)", "/v1/batch",
        gzip(utf8("{\"batch\": [{" + VALID.replace("\"v\"", "\"" + "0".repeat(2_000_000) + "\"") + "}]}")), Map.of("Content-Encoding", "gzip"),
        413, "request_too_large"));
    cases.add(new Case("unknown encoding", "/v1/batch", utf8(batchOf(VALID)), Map.of("Content-Encoding", "br"), 415, "unsupported_encoding"));
    cases.add(new Case("gzip of invalid JSON", "/v1/batch", gzip(utf8("{\"batch\": [")), Map.of("Content-Encoding", "gzip"), 400, "invalid_json"));
  }

  public static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }
}
