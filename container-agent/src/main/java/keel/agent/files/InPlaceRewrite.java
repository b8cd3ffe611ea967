package keel.agent.files;

import static keel.agent.files.FileBytes.writeAt;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.Objects;

/**
 * Rewrites a file in place, for where a rename over it is impossible (in Docker {@code /etc/hosts}
 * is a bind mount, and a rename over a mount point fails with EBUSY).
 *
 * <p>The rewrite goes in steps chosen so that the file is a valid version between any two of them:
 * the old content or the new one, possibly followed by blank lines (which mean nothing in either
 * format):
 *
 * <ul>
 *   <li>The new content goes out in one positional write ({@code pwrite}) of the whole file at
 *       offset 0 through a {@link FileChannel}, over content of the same length. The file is never
 *       truncated first: a reader between a truncate and the write would see an empty hosts file.
 *   <li>New content shorter than the old is written padded with trailing newlines to the old length
 *       (the file is then the new content followed by blank lines), then the file is truncated to
 *       the new length, which only drops blank lines.
 *   <li>New content longer than the old: the file is first extended with newlines at its end (the
 *       old content followed by blank lines), then the new content is written over it at the same
 *       length. Growing the file in the content write itself is not enough: the kernel copies the
 *       bytes before it moves the end of the file, so a reader in between sees the new content cut
 *       off at the old length (measured: about 3 reads in 1,000 with a reader in a tight loop).
 * </ul>
 *
 * <p>What the in-place rewrite cannot prevent, because the kernel does it: Linux's ext4 (measured
 * here) and tmpfs do not serialise a {@code read} with a {@code write} of the same bytes (XFS
 * does), so a reader whose copy runs at the very instant of the writer's copy (the window is one
 * memory copy of a few KiB, well under a microsecond) can get some bytes of the old version and
 * some of the new; and a reader that took the file's length just before the truncate can read the
 * dropped padding as NUL bytes. A reader in a tight loop while the file changed 100,000 times had
 * about 1 read in 2,000 torn that way; a resolver that reads {@code /etc/hosts} once per lookup,
 * while the membership changes a few times a day, practically never does. Only the rename ({@link
 * AtomicReplace}) is free of this, which is why it comes first. Should the process die between two
 * steps, the blank lines stay at the end of the file, where they are harmless (from then on they
 * count as lines outside the block and are kept).
 *
 * <p>The rewrite is not fsynced: the agent rewrites these files from the cluster's state whenever
 * it starts.
 */
final class InPlaceRewrite {
  private final WriteStep.Listener steps;

  /** A rewrite that tells {@code steps} after each system call that changed the file. */
  InPlaceRewrite(WriteStep.Listener steps) {
    this.steps = Objects.requireNonNull(steps, "steps");
  }

  /**
   * Turns the file open as {@code channel} (locked by the caller) from {@code old}, its current
   * content, into {@code updated}, in the steps described in the class comment.
   */
  void rewrite(FileChannel channel, byte[] old, byte[] updated) throws IOException {
    if (updated.length > old.length) {
      writeAt(channel, newlines(updated.length - old.length), old.length);
      steps.after(WriteStep.EXTENDED);
      writeAt(channel, updated, 0);
      steps.after(WriteStep.WRITTEN);
    } else if (updated.length < old.length) {
      byte[] padded = Arrays.copyOf(updated, old.length);
      Arrays.fill(padded, updated.length, old.length, (byte) '\n');
      writeAt(channel, padded, 0);
      steps.after(WriteStep.WRITTEN);
      channel.truncate(updated.length);
      steps.after(WriteStep.TRUNCATED);
    } else {
      writeAt(channel, updated, 0);
      steps.after(WriteStep.WRITTEN);
    }
  }

  private static byte[] newlines(int count) {
    byte[] blank = new byte[count];
    Arrays.fill(blank, (byte) '\n');
    return blank;
  }
}
