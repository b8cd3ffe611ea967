package keel.agent.files;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file's Keel block is malformed (a begin marker without an end marker, an end marker without a
 * begin marker, or more than one block), so Keel cannot tell which lines are its own. The file is
 * left exactly as it was: a person has to repair or remove the partial block before the agent
 * writes it again.
 */
public final class BrokenBlockException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  BrokenBlockException(Path file, String problem) {
    super(file + ": " + problem + "; refusing to write it so as not to corrupt it. Remove the partial"
        + " block by hand, or complete it with a line '" + ManagedBlockFile.END + "', and Keel will"
        + " rewrite it.");
    this.file = file;
  }

  /** The file whose block is broken. */
  public Path file() {
    return file;
  }
}
