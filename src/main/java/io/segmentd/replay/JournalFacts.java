package io.segmentd.replay;

import io.segmentd.customer.Customer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Which of a journal's batches of facts are the customer's own. */
final class JournalFacts {
  private JournalFacts() {}

  /**
   * The batches recorded at or before {@code knownAt} (all when null), unless the customer was
   * merged into another by then: its facts are that customer's since (its journal ends there).
   */
  static List<Customer.EventsRecorded> batches(List<?> journalEvents, Instant knownAt) {
    List<Customer.EventsRecorded> batches = new ArrayList<>();
    for (Object event : journalEvents) {
      if (event instanceof Customer.MergedInto merged && (knownAt == null || !merged.recordedAt().isAfter(knownAt))) return List.of();
      if (event instanceof Customer.EventsRecorded recorded && (knownAt == null || !recorded.recordedAt().isAfter(knownAt))) {
        batches.add(recorded);
      }
    }
    return batches;
  }
}
