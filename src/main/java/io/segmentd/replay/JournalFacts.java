package io.segmentd.replay;

import io.segmentd.customer.Customer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Which of a journal's batches of facts are the customer's own. */
final class JournalFacts {
  private JournalFacts() {}

  /**
   * The batches recorded at or before {@code knownAt} (all when null) after the last merge into
   * another customer or erasure known by then: a merged customer's facts are the other's, an
   * erased one's are gone (its deletion may still be under way).
   */
  static List<Customer.EventsRecorded> batches(List<?> journalEvents, Instant knownAt) {
    List<Customer.EventsRecorded> batches = new ArrayList<>();
    for (Object event : journalEvents) {
      Instant endedAt = event instanceof Customer.MergedInto m ? m.recordedAt() : event instanceof Customer.Erased e ? e.recordedAt() : null;
      if (endedAt != null && (knownAt == null || !endedAt.isAfter(knownAt))) batches.clear();
      if (event instanceof Customer.EventsRecorded recorded && (knownAt == null || !recorded.recordedAt().isAfter(knownAt))) {
        batches.add(recorded);
      }
    }
    return batches;
  }
}
