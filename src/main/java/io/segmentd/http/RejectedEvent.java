package io.segmentd.http;

/** One event of a batch that was refused while the others were recorded: its index, a code and why. */
public record RejectedEvent(int index, String error, String detail) {}
