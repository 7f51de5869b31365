package io.segmentd.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The body of every error response: a stable code, a sentence for humans, and the refused events of a batch. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ApiError(String error, String detail, List<RejectedEvent> rejected) {
  public ApiError(String error, String detail) {
    this(error, detail, List.of());
  }
}
