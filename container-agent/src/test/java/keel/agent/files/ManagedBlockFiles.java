package keel.agent.files;

import java.nio.file.Path;

/** Ways to build a {@link ManagedBlockFile} for tests in other packages. */
public final class ManagedBlockFiles {
  private ManagedBlockFiles() {}

  /** A managed file that is always rewritten in place, as on a bind mount where rename fails. */
  public static ManagedBlockFile inPlaceOnly(Path file) {
    return new ManagedBlockFile(file, null, true, ManagedBlockFile.Replacer.RENAME, step -> {});
  }
}
