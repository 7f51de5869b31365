package io.segmentd.segmentation.custom;

/** A user-defined segment {@code custom:<name>}, at a version, with its rule. */
public record CustomDefinition(String id, int version, String description, Rule rule) {}
