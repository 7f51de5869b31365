package io.segmentd.readside;

import io.segmentd.readside.SegmentChangesFeed.ChangesCursor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.segmentd.http.InvalidRequest;
import org.junit.jupiter.api.Test;

class CursorsTest {
  @Test
  void changesCursorSurvivesSlicesWithoutEventsAtEitherEnd() {
    for (int slice : new int[] {0, 3, 7}) {
      ChangesCursor cursor = ChangesCursor.start(2, 8).with(slice, 41_017);
      String text = cursor.render();
      assertArrayEquals(cursor.positions(), ChangesCursor.parse(text, 8).positions(), text);
      assertEquals(2, ChangesCursor.parse(text, 8).generation(), text);
    }
    assertEquals("0.0.0.0.0.0.0.0.0", ChangesCursor.start(0, 8).render());
    assertArrayEquals(new long[8], ChangesCursor.parse("0.0.0.0.0.0.0.0.0", 8).positions());
  }

  @Test
  void foreignChangesCursorsAreRefused() {
    assertEquals("invalid_parameter", assertThrows(InvalidRequest.class, () -> ChangesCursor.parse("0.1", 8)).error());
    assertThrows(InvalidRequest.class, () -> ChangesCursor.parse("0.x.0.0.0.0.0.0.0", 8));
    assertThrows(InvalidRequest.class, () -> ChangesCursor.parse("0.-1.0.0.0.0.0.0.0", 8));
    assertThrows(InvalidRequest.class, () -> ChangesCursor.parse("0.0.0.0.0.0.0.0", 8), "one slice short");
    // the offsets cursor of the changes stream before positions
    assertThrows(InvalidRequest.class, () -> ChangesCursor.parse("1f0c7e6a-cd3b-11ef-8080-808080808080.......", 8));
  }

  @Test
  void memberCursorRoundTripsIdsWithColons() {
    SegmentStore.Position position = new SegmentStore.Position(17, "user:42:eu");
    assertEquals(position, SegmentStore.Position.decode(position.encode()));
    assertThrows(InvalidRequest.class, () -> SegmentStore.Position.decode("%%%"));
  }
}
