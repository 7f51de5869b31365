package io.segmentd.ingest;

import io.segmentd.http.InvalidRequest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import io.segmentd.segmentation.ProfileSettings;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Turns Segment Tracking API payloads ({@code /v1/batch}, {@code /v1/track}, ...) into validated
 * events. Either every event of a request is valid, or an {@link InvalidRequest} names the first
 * problem and nothing is recorded.
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

  /** A {@code /v1/batch} body: {@code {"batch": [ ... ], "context": {...}}}. */
  public List<CustomerEvent> parseBatch(byte[] body, Instant receivedAt) {
    JsonNode root = readObject(body);
    JsonNode batch = root.get("batch");
    if (batch == null || !batch.isArray()) {
      throw new InvalidRequest("invalid_batch", "the body must have a \"batch\" array of events");
    }
    if (batch.isEmpty()) throw new InvalidRequest("invalid_batch", "\"batch\" is empty");
    JsonNode sharedContext = root.path("context");
    List<CustomerEvent> events = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      JsonNode item = batch.get(i);
      String where = "batch[" + i + "]";
      if (!item.isObject()) throw new InvalidRequest("invalid_event", where + " is not a JSON object");
      String type = text(item, "type");
      if (type == null) throw new InvalidRequest("invalid_event", where + ".type is missing");
      EventType eventType = EventType.parse(type).orElseThrow(() -> new InvalidRequest("invalid_event",
          where + ".type '" + type + "' is not one of track, identify, page, screen, group, alias"));
      events.add(parseEvent((ObjectNode) item, eventType, sharedContext, where, receivedAt));
    }
    return events;
  }

  /** A single-call body such as {@code /v1/track}; the call type comes from the path. */
  public CustomerEvent parseSingle(byte[] body, EventType type, Instant receivedAt) {
    ObjectNode root = readObject(body);
    JsonNode declared = root.get("type");
    if (declared != null && !type.wireName().equals(declared.asText())) {
      throw new InvalidRequest("invalid_event",
          "type '" + declared.asText() + "' does not match the endpoint /v1/" + type.wireName());
    }
    return parseEvent(root, type, root.path("context"), "event", receivedAt);
  }

  private ObjectNode readObject(byte[] body) {
    if (body.length == 0) throw new InvalidRequest("invalid_json", "the request body is empty");
    JsonNode root;
    try {
      root = mapper.readTree(body);
    } catch (JsonProcessingException e) {
      var at = e.getLocation();
      throw new InvalidRequest("invalid_json", "the body is not valid JSON: " + e.getOriginalMessage()
          + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
    } catch (java.io.IOException e) {
      throw new InvalidRequest("invalid_json", "the body could not be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) throw new InvalidRequest("invalid_json", "the body must be a JSON object");
    return (ObjectNode) root;
  }

  private CustomerEvent parseEvent(ObjectNode item, EventType type, JsonNode sharedContext, String where, Instant receivedAt) {
    byte[] encoded = encode(item, where);
    if (encoded.length > limits.maxEventBytes()) {
      throw new InvalidRequest("event_too_large", where + " is " + encoded.length
          + " bytes; the limit is " + limits.maxEventBytes() + " bytes per event (segmentd.ingest.max-event-bytes)");
    }
    String customerId = customerId(item, where);
    String name = switch (type) {
      case TRACK -> {
        String event = text(item, "event");
        if (event == null || event.isBlank()) throw new InvalidRequest("invalid_event", where + ".event (the event name) is missing");
        yield event;
      }
      case PAGE, SCREEN -> text(item, "name");
      default -> null;
    };
    Instant timestamp = timestamp(item, where, receivedAt);
    Map<String, Object> properties = properties(item, type, where);
    checkNumbers(properties, where);
    if (type == EventType.TRACK && (name.equals(profile.orderEvent()) || name.equals(profile.refundEvent()))) {
      checkAmount(properties, where, name);
    }
    String timezone = timezone(item.path("context"), sharedContext, where);
    String messageId = text(item, "messageId");
    if (messageId == null || messageId.isBlank()) messageId = contentId(customerId, encoded);
    return new CustomerEvent(customerId,
        new BehaviorEvent(messageId, type, name, timestamp, receivedAt, timezone, properties));
  }

  private String customerId(JsonNode item, String where) {
    String id = text(item, "userId");
    if (id == null || id.isEmpty()) id = text(item, "anonymousId");
    if (id == null || id.isEmpty()) throw new InvalidRequest("invalid_event", where + " has neither userId nor anonymousId");
    if (id.length() > limits.maxCustomerIdLength()) {
      throw new InvalidRequest("invalid_event", where + " userId is " + id.length()
          + " characters; the limit is " + limits.maxCustomerIdLength());
    }
    return id;
  }

  private Instant timestamp(JsonNode item, String where, Instant receivedAt) {
    JsonNode node = item.get("timestamp");
    if (node == null || node.isNull()) return receivedAt;
    if (!node.isTextual()) throw new InvalidRequest("invalid_timestamp", where + ".timestamp must be an ISO-8601 string");
    Instant at;
    try {
      at = OffsetDateTime.parse(node.asText()).toInstant();
    } catch (DateTimeException e) {
      throw new InvalidRequest("invalid_timestamp", where + ".timestamp '" + node.asText()
          + "' is not an ISO-8601 date-time with an offset, such as 2011-06-30T12:00:00Z");
    }
    if (at.isBefore(limits.earliestEventTime())) {
      throw new InvalidRequest("invalid_timestamp", where + ".timestamp " + at
          + " is before the earliest accepted time " + limits.earliestEventTime() + " (segmentd.ingest.earliest-event-time)");
    }
    if (at.isAfter(receivedAt.plus(limits.maxFutureSkew()))) {
      throw new InvalidRequest("invalid_timestamp", where + ".timestamp " + at
          + " is more than " + limits.maxFutureSkew() + " ahead of the server clock (segmentd.ingest.max-future-skew)");
    }
    return at;
  }

  private Map<String, Object> properties(JsonNode item, EventType type, String where) {
    String field = type == EventType.IDENTIFY || type == EventType.GROUP ? "traits" : "properties";
    JsonNode node = item.get(field);
    if (node == null || node.isNull()) return Map.of();
    if (!node.isObject()) throw new InvalidRequest("invalid_event", where + "." + field + " must be a JSON object");
    return mapper.convertValue(node, MAP);
  }

  /** Numbers segments add up must stay ordinary: 1e400000000 would stall every sum it entered. */
  private static void checkNumbers(Map<String, Object> properties, String where) {
    properties.forEach((key, value) -> {
      if (value instanceof Number n) {
        BigDecimal number = new BigDecimal(n.toString());
        if (number.precision() > 38 || Math.abs(number.scale()) > 18) {
          throw new InvalidRequest("invalid_event", where + ".properties." + key + " = " + value
              + " is out of range (at most 38 digits, 18 of them after the point)");
        }
      }
    });
  }

  private static void checkAmount(Map<String, Object> properties, String where, String name) {
    for (String key : List.of("revenue", "total")) {
      Object value = properties.get(key);
      if (value != null && !(value instanceof Number)) {
        throw new InvalidRequest("invalid_event", where + ".properties." + key + " of '" + name + "' must be a number, got " + value);
      }
    }
  }

  private static String timezone(JsonNode context, JsonNode sharedContext, String where) {
    JsonNode tz = context.path("timezone");
    if (tz.isMissingNode() || tz.isNull()) tz = sharedContext.path("timezone");
    if (tz.isMissingNode() || tz.isNull()) return null;
    try {
      return ZoneId.of(tz.asText()).getId();
    } catch (DateTimeException e) {
      throw new InvalidRequest("invalid_event", where + ".context.timezone '" + tz.asText() + "' is not an IANA time zone");
    }
  }

  private static String text(JsonNode item, String field) {
    JsonNode node = item.get(field);
    if (node == null || node.isNull()) return null;
    if (node.isIntegralNumber()) return node.bigIntegerValue().toString();
    return node.isValueNode() ? node.asText() : null;
  }

  private byte[] encode(JsonNode node, String where) {
    try {
      return mapper.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      // e.g. a number whose scale no JSON writer accepts
      throw new InvalidRequest("invalid_event", where + " holds a value out of range: " + e.getOriginalMessage());
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
