package io.segmentd.replay;

import io.segmentd.customer.Customer;
import java.nio.ByteBuffer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/** Turns journal rows back into the entity's events with the serializers the entity wrote them with. */
public final class JournalDecoder {
  private final Serialization serialization;

  public JournalDecoder(ActorSystem system) {
    this.serialization = SerializationExtension.get(system);
  }

  /** A row that does not deserialize, or not into a Customer event. */
  public static final class Undecodable extends RuntimeException {
    public Undecodable(JournalRow row, Throwable cause) {
      super(row.persistenceId() + " #" + row.sequenceNr() + " (serializer " + row.serId() + ", manifest '" + row.serManifest() + "'): "
          + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
    }
  }

  public Customer.Event decode(JournalRow row) {
    Object event = decodeAny(row);
    if (event instanceof Customer.Event customerEvent) return customerEvent;
    throw new Undecodable(row, new IllegalStateException("not a Customer event: " + event.getClass().getName()));
  }

  /** Whatever the row's serializer gives (a snapshot's state, for one). */
  public Object decodeAny(JournalRow row) {
    ByteBuffer buffer = row.event().duplicate();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    scala.util.Try<Object> decoded;
    try {
      decoded = serialization.deserialize(bytes, row.serId(), row.serManifest());
    } catch (RuntimeException e) {
      throw new Undecodable(row, e);
    }
    // A failure may be a checked exception (NotSerializableException), which Try.get() would throw undeclared.
    if (decoded.isFailure()) throw new Undecodable(row, decoded.failed().get());
    return decoded.get();
  }

  /** Every row of a journal decoded, in sequence order. */
  public CustomerHistory history(JournalScan.Journal journal) {
    var entries = new java.util.ArrayList<CustomerHistory.Entry>(journal.rows().size());
    for (JournalRow row : journal.rows()) entries.add(new CustomerHistory.Entry(row.sequenceNr(), row.writtenAtMillis(), decode(row)));
    return new CustomerHistory(CustomerHistory.customerId(journal.persistenceId()), entries);
  }
}
