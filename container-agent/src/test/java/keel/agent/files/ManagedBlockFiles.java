package keel.agent.files;

import static keel.agent.files.ManagedBlockFile.BEGIN;
import static keel.agent.files.ManagedBlockFile.END;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Ways to build and check a {@link ManagedBlockFile} for tests, also in other packages. */
public final class ManagedBlockFiles {
  private ManagedBlockFiles() {}

  /** A managed file that is always rewritten in place, as on a bind mount where rename fails. */
  public static ManagedBlockFile inPlaceOnly(Path file) {
    return inPlaceOnly(file, WriteStep.Listener.NONE);
  }

  /** A managed file that is always rewritten in place, telling {@code steps} each step. */
  static ManagedBlockFile inPlaceOnly(Path file, WriteStep.Listener steps) {
    return new ManagedBlockFile(file, null, true, AtomicReplace.Replacer.RENAME, steps);
  }

  /** A managed file replaced by {@code replacer} where it can be, telling {@code steps} each step. */
  static ManagedBlockFile renamingBy(
      Path file, AtomicReplace.Replacer replacer, WriteStep.Listener steps) {
    return new ManagedBlockFile(file, null, false, replacer, steps);
  }

  /** Keel's block with {@code body} (empty, or lines each ending with a newline), as in the file. */
  public static String block(String body) {
    return BEGIN + "\n" + body + END + "\n";
  }

  /**
   * Asserts that {@code write} fails on {@code file}'s broken block, with a message naming the file,
   * and leaves the file byte for byte as it was; returns the failure for more checks.
   */
  public static AbstractThrowableAssert<?, ? extends Throwable> assertRefusesBrokenBlock(
      Path file, ThrowingCallable write) throws IOException {
    byte[] before = Files.readAllBytes(file);
    AbstractThrowableAssert<?, ? extends Throwable> thrown =
        assertThatThrownBy(write)
            .isInstanceOf(BrokenBlockException.class)
            .hasMessageContaining(file.toString());
    assertThat(Files.readAllBytes(file)).as("the file with the broken block").isEqualTo(before);
    return thrown;
  }
}
