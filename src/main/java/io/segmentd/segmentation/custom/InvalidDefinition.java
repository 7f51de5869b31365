package io.segmentd.segmentation.custom;

/** A custom segment definition that cannot be loaded; the message names the bad part by its path. */
public final class InvalidDefinition extends RuntimeException {
  private final String path;

  public InvalidDefinition(String path, String problem) {
    super(path + ": " + problem);
    this.path = path;
  }

  public String path() {
    return path;
  }
}
