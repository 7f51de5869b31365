package io.segmentd.server;

/** The body of every error response: a stable code and a sentence for humans. */
public record ApiError(String error, String detail) {}
