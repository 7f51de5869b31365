package io.segmentd.load;

import java.util.List;

/** One {@code POST /v1/batch} request: its events in order, each with the customer it is about. */
public record Batch(List<Event> events) {

  /** One event of a batch: its customer and its JSON (a Segment Tracking API call). */
  public record Event(String customerId, String json) {}

  public int size() {
    return events.size();
  }

  /** The request body. */
  public String body() {
    StringBuilder body = new StringBuilder(events.size() * 256).append("{\"batch\":[");
    for (int i = 0; i < events.size(); i++) {
      if (i > 0) body.append(',');
      body.append(events.get(i).json());
    }
    return body.append("]}").toString();
  }
}
