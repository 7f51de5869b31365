package io.segmentd.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FastInstantModuleTest {
  private static final ObjectMapper STANDARD = CBORMapper.builder().addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();
  private static final ObjectMapper FAST = CBORMapper.builder().addModule(new JavaTimeModule()).addModule(new FastInstantModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();

  @Test
  void everyInstantJacksonWritesReadsBackAsJacksonReadsIt() throws Exception {
    Random random = new Random(3);
    for (int i = 0; i < 20_000; i++) {
      Instant instant = Instant.ofEpochSecond(random.nextLong(-2_000_000_000L, 40_000_000_000L),
          switch (i % 4) { case 0 -> 0; case 1 -> random.nextInt(1000) * 1_000_000; case 2 -> random.nextInt(1_000_000) * 1000; default -> random.nextInt(1_000_000_000); });
      byte[] written = STANDARD.writeValueAsBytes(instant);
      assertEquals(STANDARD.readValue(written, Instant.class), FAST.readValue(written, Instant.class), STANDARD.readValue(written, String.class));
    }
  }

  @Test
  void otherFormsGoToJacksonsOwnReader() throws Exception {
    ObjectMapper json = JsonMapper.builder().addModule(new JavaTimeModule()).addModule(new FastInstantModule()).build();
    assertEquals(Instant.parse("2011-12-09T11:50:00Z"), json.readValue("\"2011-12-09T12:50:00+01:00\"", Instant.class));
    assertEquals(Instant.ofEpochSecond(1_323_431_400L, 5), json.readValue("1323431400.000000005", Instant.class));
    assertNull(FastInstantModule.parseUtc("2011-02-30T00:00:00Z"));
    assertNull(FastInstantModule.parseUtc("2011-12-09T24:00:00Z"));
    assertNull(FastInstantModule.parseUtc("2011-12-09T12:50:00.Z"));
    assertNull(FastInstantModule.parseUtc("+12011-12-09T12:50:00Z"));
    assertEquals(Instant.parse("2011-12-09T12:50:00.12Z"), FastInstantModule.parseUtc("2011-12-09T12:50:00.12Z"));
  }
}
