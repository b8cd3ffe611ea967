package keel.agent.files;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces a file by a rename, so that a reader opens either the old file or the new one and
 * reads that one whole, however it reads and however long it takes.
 *
 * <p>The new content is written to a hidden temporary file in the same directory ({@code
 * .hosts.keel-<random>.tmp}, mode 600 meanwhile), flushed to the disk ({@code fdatasync}: the
 * lines outside the block exist nowhere else, so a crash must not leave an empty file), given the
 * file's owner, group and permissions (the permissions after the owner: chown clears set-id bits),
 * and renamed over the file. What a rename does not carry over: hard links, ACLs, extended
 * attributes such as an SELinux label. Should the process die before the rename, the temporary
 * file may stay behind in the directory.
 *
 * <p><b>A refused rename.</b> Some failures say that a rename over this file cannot work, now or
 * later, while a rewrite in place may: those are reported as {@link Refused} (the temporary file
 * deleted, the file untouched), and the caller falls back to {@link InPlaceRewrite}. They are a
 * rename over a mount point (EBUSY: Docker's bind-mounted {@code /etc/hosts}), across file systems
 * (EXDEV, or {@link AtomicMoveNotSupportedException}), in a read-only directory (EROFS, e.g.
 * {@code docker run --read-only} around a writable bind mount), in a sticky directory or over an
 * immutable file (EPERM), a directory that cannot hold the temporary file (any of these, or
 * permission denied), and an owner or group the process may not give the temporary file. Any other
 * failure (a full disk, say) is thrown as it is.
 */
final class AtomicReplace {
  private static final Logger LOG = LoggerFactory.getLogger(AtomicReplace.class);
  /** The strerror texts of EBUSY, EXDEV, EROFS and EPERM (see the class comment). */
  private static final List<String> RENAME_REFUSALS =
      List.of(
          "Device or resource busy",
          "Invalid cross-device link",
          "Read-only file system",
          "Operation not permitted");

  /** The rename of the temporary file over the file (a seam for tests that make it fail). */
  @FunctionalInterface
  interface Replacer {
    Replacer RENAME =
        (temporary, target) -> Files.move(temporary, target, ATOMIC_MOVE, REPLACE_EXISTING);

    void replace(Path temporary, Path target) throws IOException;
  }

  /**
   * The file cannot be replaced by a rename, and will not be later either; nothing was changed.
   * The message says why.
   */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String why) {
      super(why);
    }
  }

  private final Path file;
  private final Replacer replacer;
  private final WriteStep.Listener steps;

  /**
   * Replaces the file known to the user as {@code file} (for messages) through {@code replacer},
   * telling {@code steps} after the rename.
   */
  AtomicReplace(Path file, Replacer replacer, WriteStep.Listener steps) {
    this.file = Objects.requireNonNull(file, "file");
    this.replacer = Objects.requireNonNull(replacer, "replacer");
    this.steps = Objects.requireNonNull(steps, "steps");
  }

  /**
   * Writes {@code content} to a temporary file beside {@code target} (the file's real path) and
   * renames it over {@code target}.
   *
   * @throws Refused if the file cannot be replaced by a rename; nothing was changed
   * @throws IOException if the replacement failed otherwise; nothing was changed
   */
  void replace(Path target, byte[] content) throws IOException, Refused {
    PosixFileAttributes original = Files.readAttributes(target, PosixFileAttributes.class);
    Path temporary;
    try {
      // Mode 600 while it is written, whatever the file's own mode.
      temporary = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".keel-", ".tmp");
    } catch (IOException e) {
      if (refusesRename(e)) {
        throw new Refused("no temporary file can be created beside it: " + reason(e));
      }
      throw e;
    }
    boolean replaced = false;
    try {
      try (FileChannel out = FileChannel.open(temporary, WRITE)) {
        FileBytes.writeAt(out, content, 0);
        out.force(false);
      }
      if (!takeOwnerAndGroup(temporary, original)) {
        throw new Refused(
            "the process may not give a new file its owner " + original.owner().getName()
                + " and group " + original.group().getName());
      }
      // After chown, which clears set-id bits; exactly, whatever the umask.
      Files.setPosixFilePermissions(temporary, original.permissions());
      try {
        replacer.replace(temporary, target);
      } catch (IOException e) {
        if (refusesRename(e)) {
          throw new Refused(reason(e));
        }
        throw e;
      }
      replaced = true;
      steps.after(WriteStep.RENAMED);
    } finally {
      if (!replaced) {
        try {
          Files.deleteIfExists(temporary);
        } catch (IOException e) {
          LOG.warn("{}: cannot delete the temporary file {}: {}", file, temporary, e.toString());
        }
      }
    }
  }

  /** Whether {@code e} says that a rename over the file cannot work (but in place may). */
  private static boolean refusesRename(IOException e) {
    if (e instanceof AtomicMoveNotSupportedException || e instanceof AccessDeniedException) {
      return true;
    }
    return e instanceof FileSystemException fse
        && fse.getReason() != null
        && RENAME_REFUSALS.stream().anyMatch(fse.getReason()::contains);
  }

  /** The reason of a refusal, for the log. */
  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason().contains("busy") ? fse.getReason() + ": a bind mount?" : fse.getReason();
    }
    return e.toString();
  }

  /**
   * Gives {@code temporary} the owner and group of {@code original}.
   *
   * @return false if the process may not (it is not root and the file is someone else's)
   */
  private static boolean takeOwnerAndGroup(Path temporary, PosixFileAttributes original)
      throws IOException {
    PosixFileAttributes created = Files.readAttributes(temporary, PosixFileAttributes.class);
    try {
      if (!created.owner().equals(original.owner())) {
        Files.setOwner(temporary, original.owner());
      }
      if (!created.group().equals(original.group())) {
        Files.getFileAttributeView(temporary, PosixFileAttributeView.class).setGroup(original.group());
      }
      return true;
    } catch (FileSystemException notPermitted) {
      return false;
    }
  }
}
