package keel.agent.files;

import java.io.IOException;

/**
 * The system calls of one write that change the file, in the order they happen: a seam for tests
 * that inspect the file between two of them.
 */
enum WriteStep {
  /** The temporary file with the new content was renamed over the file. */
  RENAMED,
  /** In place: the file was extended with newlines to the new length (growing). */
  EXTENDED,
  /** In place: the new content (padded with newlines when shrinking) was written at offset 0. */
  WRITTEN,
  /** In place: the padding was cut off (shrinking). */
  TRUNCATED;

  /** Called after each step of a write, with the file lock held. */
  @FunctionalInterface
  interface Listener {
    Listener NONE = step -> {};

    void after(WriteStep step) throws IOException;
  }
}
