package io.segmentd.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.segmentd.http.InvalidRequest;
import io.segmentd.http.RejectedEvent;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import io.segmentd.segmentation.ProfileSettings;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Turns Segment Tracking API payloads ({@code /v1/batch}, {@code /v1/track}, ...) into validated
 * events, checking every field against the spec and the configured limits.
 *
 * <p>A request that cannot be read as a whole (not JSON, no {@code batch} array, an invalid
 * shared {@code context} or {@code sentAt}) is refused with an {@link InvalidRequest}. Within a
 * batch each event stands alone: the valid ones are {@link Parsed#events() kept}, the others
 * {@link Parsed#rejected() listed} with their index and reason, because tracking SDKs drop a
 * whole batch that gets a 4xx, and one bad event must not cost the good ones. A batch with no
 * valid event at all is refused with the list.
 */
public final class SegmentPayloadParser {
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final ObjectMapper mapper;
  private final IngestSettings limits;
  private final ProfileSettings profile;

  public SegmentPayloadParser(ObjectMapper mapper, IngestSettings limits, ProfileSettings profile) {
    this.mapper = mapper;
    this.limits = limits;
    this.profile = profile;
  }

  /** The events of a request that passed, and those that did not. */
  public record Parsed(List<CustomerEvent> events, List<RejectedEvent> rejected) {}

  /** A {@code /v1/batch} body: {@code {"batch": [ ... ], "context": {...}, "sentAt": "..."}}. */
  public Parsed parseBatch(byte[] body, Instant receivedAt) {
    ObjectNode root = readObject(body);
    JsonNode batch = root.get("batch");
    if (batch == null || !batch.isArray()) {
      throw new InvalidRequest("invalid_batch", "the body must have a \"batch\" array of events");
    }
    if (batch.isEmpty()) throw new InvalidRequest("invalid_batch", "\"batch\" is empty");
    JsonNode sharedContext = optionalObject(root, "context", "context", "invalid_batch");
    if (sharedContext != null) checkTree(sharedContext, "context", "invalid_batch");
    Instant sentAt = instant(root.get("sentAt"), "sentAt", "invalid_batch");
    List<CustomerEvent> events = new ArrayList<>(batch.size());
    List<RejectedEvent> rejected = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      String where = "batch[" + i + "]";
      try {
        JsonNode item = batch.get(i);
        if (!item.isObject()) throw new InvalidRequest("invalid_event", where + " is not a JSON object");
        events.add(parseEvent((ObjectNode) item, typeOf(item, where), sharedContext, sentAt, where, receivedAt));
      } catch (InvalidRequest e) {
        rejected.add(new RejectedEvent(i, e.error(), e.detail()));
      }
    }
    if (events.isEmpty()) {
      throw new InvalidRequest("invalid_batch", "no event of the batch is valid; nothing was recorded", rejected);
    }
    return new Parsed(events, rejected);
  }

  /** One line of an NDJSON import: an event object with its {@code type}, as in a batch. */
  public CustomerEvent parseLine(byte[] line, long number, Instant receivedAt) {
    String where = "line " + number;
    ObjectNode item = readObject(line, where);
    return parseEvent(item, typeOf(item, where), null, null, where, receivedAt);
  }

  private static EventType typeOf(JsonNode item, String where) {
    JsonNode type = item.get("type");
    if (type == null || type.isNull()) throw new InvalidRequest("invalid_event", where + ".type is missing");
    if (!type.isTextual()) throw new InvalidRequest("invalid_event", where + ".type must be a string, was " + kind(type));
    return EventType.parse(type.asText()).orElseThrow(() -> new InvalidRequest("invalid_event",
        where + ".type '" + printable(type.asText()) + "' is not one of track, identify, page, screen, group, alias"));
  }

  /** A single-call body such as {@code /v1/track}; the call type comes from the path. */
  public CustomerEvent parseSingle(byte[] body, EventType type, Instant receivedAt) {
    ObjectNode root = readObject(body);
    JsonNode declared = root.get("type");
    if (declared != null && !declared.isNull() && !(declared.isTextual() && type.wireName().equals(declared.asText()))) {
      throw new InvalidRequest("invalid_event", "type " + (declared.isTextual() ? "'" + printable(declared.asText()) + "'" : kind(declared))
          + " does not match the endpoint /v1/" + type.wireName());
    }
    return parseEvent(root, type, null, null, "event", receivedAt);
  }

  private ObjectNode readObject(byte[] body) {
    return readObject(body, "the body");
  }

  private ObjectNode readObject(byte[] body, String what) {
    if (body.length == 0) throw new InvalidRequest("invalid_json", what + " is empty");
    JsonNode root;
    try {
      // Strictly UTF-8 (RFC 8259): overlong forms, encoded surrogates and stray bytes are refused, not guessed at.
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body)).toString();
      root = mapper.readTree(text);
    } catch (CharacterCodingException e) {
      throw new InvalidRequest("invalid_json", what + " is not valid UTF-8 (" + e.getClass().getSimpleName() + ")");
    } catch (JsonProcessingException e) {
      var at = e.getLocation();
      throw new InvalidRequest("invalid_json", what + " is not valid JSON: " + printable(e.getOriginalMessage())
          + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
    } catch (java.io.IOException e) {
      throw new InvalidRequest("invalid_json", what + " could not be read: " + printable(String.valueOf(e.getMessage())));
    }
    if (root == null || !root.isObject()) throw new InvalidRequest("invalid_json", what + " must be a JSON object");
    return (ObjectNode) root;
  }

  private CustomerEvent parseEvent(ObjectNode item, EventType type, JsonNode sharedContext, Instant batchSentAt, String where,
                                   Instant receivedAt) {
    // Strings that are not valid Unicode could not be written to the journal: refuse them first, anywhere.
    String badText = firstInvalidUnicode(item, where);
    if (badText != null) throw new InvalidRequest("invalid_unicode", badText + " holds a lone UTF-16 surrogate (not valid Unicode)");
    JsonNode context = optionalObject(item, "context", where + ".context", "invalid_event");
    if (context != null) checkTree(context, where + ".context", "invalid_event");
    optionalObject(item, "integrations", where + ".integrations", "invalid_event");
    String field = type == EventType.IDENTIFY || type == EventType.GROUP ? "traits" : "properties";
    JsonNode propertiesNode = optionalObject(item, field, where + "." + field, "invalid_event");
    if (propertiesNode != null) checkTree(propertiesNode, where + "." + field, "invalid_event");
    byte[] encoded = encode(item, where);
    if (encoded.length > limits.maxEventBytes()) {
      throw new InvalidRequest("event_too_large", where + " is " + encoded.length
          + " bytes; the limit is " + limits.maxEventBytes() + " bytes per event (segmentd.ingest.max-event-bytes)");
    }
    String customerId = customerId(item, where);
    String groupId = id(item, "groupId", where);
    String previousId = id(item, "previousId", where);
    String mergeFrom = switch (type) {
      case IDENTIFY -> {
        String anonymous = id(item, "anonymousId", where);
        yield anonymous != null && !anonymous.isEmpty() && !anonymous.equals(customerId) ? anonymous : null;
      }
      case ALIAS -> {
        if (previousId == null || previousId.isEmpty()) {
          throw new InvalidRequest("invalid_event", where + ".previousId (the id merged into userId) is missing");
        }
        yield previousId.equals(customerId) ? null : previousId;
      }
      default -> null;
    };
    String name = switch (type) {
      case TRACK -> {
        String event = name(item, "event", where);
        if (event == null || event.isBlank()) throw new InvalidRequest("invalid_event", where + ".event (the event name) is missing");
        yield event;
      }
      case PAGE, SCREEN -> name(item, "name", where);
      default -> null;
    };
    Instant timestamp = eventTime(item, where, batchSentAt, receivedAt);
    Map<String, Object> properties = propertiesNode == null ? Map.of() : mapper.convertValue(propertiesNode, MAP);
    if (type == EventType.GROUP && groupId != null) {
      // The group a customer joins is the point of the call: kept with its traits, where rules can read it.
      properties = new java.util.LinkedHashMap<>(properties);
      properties.put("groupId", groupId);
    }
    if (type == EventType.TRACK && (name.equals(profile.orderEvent()) || name.equals(profile.refundEvent()))) {
      checkAmount(properties, where, name);
    }
    String timezone = timezone(context, sharedContext, where);
    String messageId = id(item, "messageId", where);
    if (messageId != null && !item.get("messageId").isTextual()) {
      throw new InvalidRequest("invalid_id", where + ".messageId must be a string, was a number");
    }
    if (messageId == null || messageId.isBlank()) {
      // sentAt changes with every retry of the same event: it is not part of what the event is.
      ObjectNode content = item.deepCopy();
      content.remove("sentAt");
      messageId = contentId(customerId, encode(content, where));
    }
    return new CustomerEvent(customerId,
        new BehaviorEvent(messageId, type, name, timestamp, receivedAt, timezone, properties), mergeFrom);
  }

  private String customerId(JsonNode item, String where) {
    String id = id(item, "userId", where);
    // anonymousId is checked even when userId names the customer: a bad one is refused all the same.
    String anonymous = id(item, "anonymousId", where);
    if (id == null || id.isEmpty()) id = anonymous;
    if (id == null || id.isEmpty()) throw new InvalidRequest("invalid_id", where + " has neither userId nor anonymousId");
    return id;
  }

  /**
   * An identifier: a string, or an integer (some SDKs send numeric user ids; {@code 42} is the id
   * {@code "42"}). Never a boolean, a fraction, an object or an array; at most max-id-length
   * characters, none of them control characters. Null when absent.
   */
  private String id(JsonNode item, String field, String where) {
    JsonNode node = item.get(field);
    if (node == null || node.isNull()) return null;
    String id;
    if (node.isTextual()) id = node.asText();
    else if (node.isIntegralNumber()) id = node.bigIntegerValue().toString();
    else throw new InvalidRequest("invalid_id", where + "." + field + " must be a string (or an integer), was " + kind(node));
    checkPlain(id, where + "." + field, limits.maxIdLength(), "segmentd.ingest.max-id-length", "invalid_id");
    return id;
  }

  private String name(JsonNode item, String field, String where) {
    JsonNode node = item.get(field);
    if (node == null || node.isNull()) return null;
    if (!node.isTextual()) throw new InvalidRequest("invalid_event", where + "." + field + " must be a string, was " + kind(node));
    String name = node.asText();
    checkPlain(name, where + "." + field, limits.maxNameLength(), "segmentd.ingest.max-name-length", "invalid_event");
    return name;
  }

  /** Ids and names: at most {@code limit} characters, none of them control characters. */
  private static void checkPlain(String value, String where, int limit, String setting, String error) {
    if (value.length() > limit) {
      throw new InvalidRequest(error, where + " is " + value.length() + " characters; the limit is " + limit + " (" + setting + ")");
    }
    int control = firstControl(value);
    if (control >= 0) {
      throw new InvalidRequest(error, where + " holds the control character U+" + String.format("%04X", (int) value.charAt(control))
          + " at " + control);
    }
  }

  /**
   * When it happened: {@code timestamp}, else {@code originalTimestamp}, else the time of receipt;
   * corrected as Segment does when the client's clock is off ({@code sentAt}, the event's or the
   * batch's, more than clock-skew-tolerance from the time of receipt: the time + (receivedAt -
   * sentAt)), and only then judged against the earliest accepted time and the future skew.
   */
  private Instant eventTime(JsonNode item, String where, Instant batchSentAt, Instant receivedAt) {
    Instant at = instant(item.get("timestamp"), where + ".timestamp", "invalid_timestamp");
    Instant original = instant(item.get("originalTimestamp"), where + ".originalTimestamp", "invalid_timestamp");
    String field = "timestamp";
    if (at == null) {
      at = original;
      field = "originalTimestamp";
    }
    Instant sentAt = instant(item.get("sentAt"), where + ".sentAt", "invalid_timestamp");
    if (sentAt == null) sentAt = batchSentAt;
    if (at == null) return receivedAt;
    String corrected = "";
    if (sentAt != null) {
      Duration skew = Duration.between(sentAt, receivedAt);
      if (skew.abs().compareTo(limits.clockSkewTolerance()) > 0) {
        at = at.plus(skew);
        corrected = " (corrected by " + skew + " for the client's clock, from sentAt)";
      }
    }
    if (at.isBefore(limits.earliestEventTime())) {
      throw new InvalidRequest("invalid_timestamp", where + "." + field + " " + at + corrected
          + " is before the earliest accepted time " + limits.earliestEventTime() + " (segmentd.ingest.earliest-event-time)");
    }
    if (at.isAfter(receivedAt.plus(limits.maxFutureSkew()))) {
      throw new InvalidRequest("invalid_timestamp", where + "." + field + " " + at + corrected
          + " is more than " + limits.maxFutureSkew() + " ahead of the server clock (segmentd.ingest.max-future-skew)");
    }
    return at;
  }

  /** An ISO-8601 date-time with an offset, or null when absent. */
  private static Instant instant(JsonNode node, String where, String error) {
    if (node == null || node.isNull()) return null;
    if (!node.isTextual()) throw new InvalidRequest(error, where + " must be an ISO-8601 string, was " + kind(node));
    try {
      return OffsetDateTime.parse(node.asText()).toInstant();
    } catch (DateTimeException e) {
      throw new InvalidRequest(error, where + " '" + printable(node.asText())
          + "' is not an ISO-8601 date-time with an offset, such as 2011-06-30T12:00:00Z");
    }
  }

  private static JsonNode optionalObject(JsonNode item, String field, String where, String error) {
    JsonNode node = item.get(field);
    if (node == null || node.isNull()) return null;
    if (!node.isObject()) throw new InvalidRequest(error, where + " must be a JSON object, was " + kind(node));
    return node;
  }

  /** Depth, size, key lengths and numbers of a properties/traits/context tree. */
  private void checkTree(JsonNode tree, String where, String error) {
    checkTree(tree, where, where, error, 0, new int[1]);
  }

  private void checkTree(JsonNode node, String root, String where, String error, int depth, int[] values) {
    if (node.isContainerNode()) {
      if (depth >= limits.maxDepth()) {
        throw new InvalidRequest(error, where + " is nested deeper than " + limits.maxDepth() + " levels (segmentd.ingest.max-depth)");
      }
      if ((values[0] += node.size()) > limits.maxProperties()) {
        throw new InvalidRequest(error, root + " holds more than " + limits.maxProperties() + " values (segmentd.ingest.max-properties)");
      }
      if (node.isObject()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (e.getKey().length() > limits.maxPropertyKeyLength()) {
            throw new InvalidRequest(error, where + " has a key of " + e.getKey().length() + " characters; the limit is "
                + limits.maxPropertyKeyLength() + " (segmentd.ingest.max-property-key-length)");
          }
          checkTree(e.getValue(), root, where + "." + printable(shortened(e.getKey())), error, depth + 1, values);
        }
      } else {
        for (int i = 0; i < node.size(); i++) checkTree(node.get(i), root, where + "[" + i + "]", error, depth + 1, values);
      }
    } else if (node.isNumber()) {
      // Numbers segments add up must stay ordinary: 1e400000000 would stall every sum it entered.
      BigDecimal number = node.decimalValue();
      if (number.precision() > 38 || Math.abs(number.scale()) > 18) {
        throw new InvalidRequest(error, where + " = " + shortened(node.asText())
            + " is out of range (at most 38 digits, 18 of them after the point)");
      }
    }
  }

  private static void checkAmount(Map<String, Object> properties, String where, String name) {
    for (String key : List.of("revenue", "total")) {
      Object value = properties.get(key);
      if (value != null && !(value instanceof Number)) {
        throw new InvalidRequest("invalid_event", where + ".properties." + key + " of '" + printable(name) + "' must be a number, was "
            + (value instanceof String ? "a string" : value instanceof Boolean ? "a boolean" : value instanceof List ? "an array" : "an object"));
      }
    }
  }

  private static String timezone(JsonNode context, JsonNode sharedContext, String where) {
    JsonNode tz = context == null ? null : context.get("timezone");
    String place = where + ".context.timezone";
    if ((tz == null || tz.isNull()) && sharedContext != null) {
      tz = sharedContext.get("timezone");
      place = "context.timezone";
    }
    if (tz == null || tz.isNull()) return null;
    if (!tz.isTextual()) throw new InvalidRequest("invalid_event", place + " must be a string, was " + kind(tz));
    try {
      return ZoneId.of(tz.asText()).getId();
    } catch (DateTimeException e) {
      throw new InvalidRequest("invalid_event", place + " '" + printable(shortened(tz.asText())) + "' is not an IANA time zone");
    }
  }

  /** The first string (key or value) of a tree that is not valid UTF-16, by its path; null when all are. */
  private static String firstInvalidUnicode(JsonNode node, String where) {
    if (node.isTextual()) return validUtf16(node.asText()) ? null : where;
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!validUtf16(e.getKey())) return where + " (a key)";
        String bad = firstInvalidUnicode(e.getValue(), where + "." + printable(shortened(e.getKey())));
        if (bad != null) return bad;
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        String bad = firstInvalidUnicode(node.get(i), where + "[" + i + "]");
        if (bad != null) return bad;
      }
    }
    return null;
  }

  static boolean validUtf16(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static int firstControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) return i;
    }
    return -1;
  }

  /** Echoed input stays short and free of control characters (answers and logs are read by people). */
  private static String printable(String s) {
    StringBuilder out = new StringBuilder(Math.min(s.length(), 120));
    for (int i = 0; i < s.length() && out.length() < 120; i++) {
      char c = s.charAt(i);
      out.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
    }
    if (s.length() > 120) out.append("...");
    return out.toString();
  }

  private static String shortened(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }

  private static String kind(JsonNode node) {
    if (node.isTextual()) return "a string";
    if (node.isBoolean()) return "a boolean";
    if (node.isIntegralNumber()) return "an integer";
    if (node.isNumber()) return "a number";
    if (node.isArray()) return "an array";
    if (node.isObject()) return "an object";
    return "null";
  }

  private byte[] encode(JsonNode node, String where) {
    try {
      return mapper.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new InvalidRequest("invalid_event", where + " holds a value that cannot be written: " + printable(e.getOriginalMessage()));
    }
  }

  /** Without a messageId a retried identical event must still count once: derive the id from its content. */
  private static String contentId(String customerId, byte[] encoded) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(customerId.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      return "sha256:" + HexFormat.of().formatHex(sha.digest(encoded));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
