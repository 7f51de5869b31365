package io.segmentd.common;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Reads the instants the journal holds ({@code 2011-12-09T12:50:00Z}, written by Jackson as
 * ISO-8601 in UTC) without {@code DateTimeFormatter}, whose parsing was a third of a replay's
 * client CPU; anything else (offsets, numbers) goes to Jackson's own deserializer. Registered for
 * the journal's serializer in {@code serialization.conf}; the format written is unchanged.
 */
public final class FastInstantModule extends SimpleModule {
  public FastInstantModule() {
    super("segmentd-fast-instant");
    addDeserializer(Instant.class, new Deserializer());
  }

  static final class Deserializer extends StdDeserializer<Instant> {
    Deserializer() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      if (parser.hasToken(JsonToken.VALUE_STRING)) {
        Instant fast = parseUtc(parser.getText());
        if (fast != null) return fast;
      }
      return InstantDeserializer.INSTANT.deserialize(parser, context);
    }
  }

  /** {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}, or null when the text is not of that form. */
  static Instant parseUtc(String text) {
    int length = text.length();
    if (length < 20 || length > 30 || text.charAt(length - 1) != 'Z' || text.charAt(4) != '-' || text.charAt(7) != '-'
        || text.charAt(10) != 'T' || text.charAt(13) != ':' || text.charAt(16) != ':') {
      return null;
    }
    int year = digits(text, 0, 4);
    int month = digits(text, 5, 2);
    int day = digits(text, 8, 2);
    int hour = digits(text, 11, 2);
    int minute = digits(text, 14, 2);
    int second = digits(text, 17, 2);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
    int nanos = 0;
    if (length > 20) {
      if (text.charAt(19) != '.' || length == 21) return null;
      int fraction = digits(text, 20, length - 21);
      if (fraction < 0) return null;
      nanos = fraction;
      for (int i = length - 21; i < 9; i++) nanos *= 10;
    }
    try {
      long days = LocalDate.of(year, month, day).toEpochDay();
      return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
    } catch (DateTimeException e) {
      return null;
    }
  }

  /** The decimal number in text[from, from + count), or -1 if a character is not a digit. */
  private static int digits(String text, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') return -1;
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
