package io.segmentd.segmentation.custom;

/** A user-defined segment {@code custom:<name>}, at a version, with its rule and the JSON it was read from. */
public record CustomDefinition(String id, int version, String description, Rule rule, String source) {}
