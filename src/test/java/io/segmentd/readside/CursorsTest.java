package io.segmentd.readside;

import io.segmentd.readside.SegmentChangesFeed.ChangesCursor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.segmentd.http.InvalidRequest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CursorsTest {
  private static final UUID OFFSET = UUID.fromString("1f0c7e6a-cd3b-11ef-8080-808080808080");

  @Test
  void changesCursorSurvivesSlicesWithoutEventsAtEitherEnd() {
    for (int slice : new int[] {0, 3, 7}) {
      ChangesCursor cursor = ChangesCursor.start(8).with(slice, OFFSET);
      String text = cursor.render();
      assertArrayEquals(cursor.offsets(), ChangesCursor.parse(text, 8).offsets(), text);
    }
    assertEquals(".......", ChangesCursor.start(8).render());
    assertArrayEquals(ChangesCursor.start(8).offsets(), ChangesCursor.parse(".......", 8).offsets());
  }

  @Test
  void foreignChangesCursorsAreRefused() {
    assertEquals("invalid_parameter", assertThrows(InvalidRequest.class, () -> ChangesCursor.parse("..", 8)).error());
    assertThrows(InvalidRequest.class, () -> ChangesCursor.parse("x.......", 8));
  }

  @Test
  void memberCursorRoundTripsIdsWithColons() {
    SegmentStore.Position position = new SegmentStore.Position(17, "user:42:eu");
    assertEquals(position, SegmentStore.Position.decode(position.encode()));
    assertThrows(InvalidRequest.class, () -> SegmentStore.Position.decode("%%%"));
  }
}
