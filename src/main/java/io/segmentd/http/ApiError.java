package io.segmentd.http;

/** The body of every error response: a stable code and a sentence for humans. */
public record ApiError(String error, String detail) {}
