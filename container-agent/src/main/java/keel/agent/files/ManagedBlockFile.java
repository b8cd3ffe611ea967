package keel.agent.files;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A text file of which Keel owns exactly one marked block and nothing else:
 *
 * <pre>
 * 127.0.0.1 localhost              &lt;- not Keel's: kept byte for byte
 * 172.28.0.11 node1                &lt;- (Docker writes its own entries into /etc/hosts)
 * # BEGIN keel (managed by the keel agent; do not edit)
 * 172.28.0.11 node1                &lt;- the block body: replaced by {@link #write}
 * 172.28.0.12 node2
 * # END keel
 * </pre>
 *
 * <p>A file without a block gets one appended at its end. A broken block (a begin marker without
 * an end marker, an end marker alone, or two blocks) is reported with a {@link
 * BrokenBlockException} and the file is not touched: Keel cannot tell which lines are its own, and
 * guessing could delete someone's lines. (How the content is cut around the block: {@code
 * BlockLayout}.)
 *
 * <p><b>How a write stays invisible to readers.</b> The files this is for ({@code /etc/hosts},
 * {@code authorized_keys}) are read at any moment by programs that do not cooperate (the C
 * library's resolver, sshd). So a write replaces the file by a rename whenever the kernel allows
 * it, and rewrites it in place only where it does not:
 *
 * <ol>
 *   <li><b>Rename (atomic, {@code AtomicReplace}).</b> The new content is written to a hidden
 *       temporary file in the same directory, flushed to the disk, given the file's owner, group
 *       and permissions, and renamed over the file. A reader opens either the old file or the new
 *       one and reads that one whole. A symbolic link at the path is followed: its target is
 *       replaced, the link stays. (What a rename does not carry over: hard links, ACLs, extended
 *       attributes such as an SELinux label.)
 *   <li><b>In place (the fallback, {@code InPlaceRewrite}).</b> In Docker {@code /etc/hosts} is a
 *       bind mount, and a rename over a mount point fails with EBUSY. When the rename is impossible
 *       (EBUSY, a rename across file systems, a directory that cannot hold the temporary file, an
 *       owner or group the process may not give the temporary file), the temporary file is
 *       deleted, this is logged once at INFO, and from then on this instance rewrites the file in
 *       place: in steps between any two of which the file is the old or the new content, possibly
 *       followed by blank lines. Only the kernel can still tear a read that races one of those
 *       steps within the same microsecond (ext4, tmpfs): rare, but only the rename is free of it.
 * </ol>
 *
 * <p>Nothing is written when the content would not change (so the file's mtime says when the block
 * last changed and no reader is disturbed for nothing). An in-place rewrite is not fsynced: the
 * agent rewrites these files from the cluster's state whenever it starts. Should the process die
 * in the middle of a write, the file is one whole version, possibly followed by blank lines (which
 * are harmless, and from then on count as lines outside the block), and a hidden temporary file
 * may stay behind in the directory.
 *
 * <p><b>Concurrency.</b> Writers of the same file in this JVM are serialised (even through
 * different instances or symbolic links: the lock is keyed by the file's real path), and each
 * write holds an exclusive lock on the file ({@link FileChannel#lock()}, a POSIX record lock) so
 * that other processes that also lock it (another agent, a second instance by mistake) do not
 * interleave their read-modify-write with ours. A rename gives the path a new file, so a writer
 * that got the lock checks that its file is still the one at the path, and starts over on the new
 * one if not.
 */
public final class ManagedBlockFile {
  /** The line that opens Keel's block. */
  public static final String BEGIN = "# BEGIN keel (managed by the keel agent; do not edit)";
  /** The line that closes Keel's block. */
  public static final String END = "# END keel";

  private static final Logger LOG = LoggerFactory.getLogger(ManagedBlockFile.class);
  /** How often a write starts over because another process replaced the file meanwhile. */
  private static final int MAX_ATTEMPTS = 100;
  /** Follow at most this many symbolic links (Linux's own limit). */
  private static final int MAX_LINKS = 40;

  /** One lock per file (by real path) for the writers in this JVM. */
  private static final ConcurrentMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path file;
  private final Set<PosixFilePermission> createPermissions;
  private final boolean inPlaceOnly;
  private final AtomicReplace rename;
  private final InPlaceRewrite inPlace;
  /** Set once a rename over this file failed in a way that will not change: rewrite in place. */
  private volatile boolean renameRefused;

  /** A managed file at {@code file}; a missing file is created with the process's umask. */
  public ManagedBlockFile(Path file) {
    this(file, null);
  }

  /**
   * A managed file at {@code file}; a missing file is created with exactly {@code
   * createPermissions} (umask notwithstanding), e.g. {@code rw-------} for authorized_keys. An
   * existing file's permissions are left as they are.
   */
  public ManagedBlockFile(Path file, Set<PosixFilePermission> createPermissions) {
    this(file, createPermissions, false, AtomicReplace.Replacer.RENAME, WriteStep.Listener.NONE);
  }

  /**
   * For tests: {@code inPlaceOnly} skips the rename (as after a bind mount refused it), {@code
   * replacer} does the rename, {@code steps} hears each step.
   */
  ManagedBlockFile(
      Path file,
      Set<PosixFilePermission> createPermissions,
      boolean inPlaceOnly,
      AtomicReplace.Replacer replacer,
      WriteStep.Listener steps) {
    this.file = Objects.requireNonNull(file, "file");
    this.createPermissions = createPermissions == null ? null : Set.copyOf(createPermissions);
    this.inPlaceOnly = inPlaceOnly;
    this.rename = new AtomicReplace(file, replacer, steps);
    this.inPlace = new InPlaceRewrite(steps);
  }

  /** The file's path, as given. */
  public Path path() {
    return file;
  }

  /**
   * Replaces the body of Keel's block with {@code blockBody} (appending a block when the file has
   * none, creating the file when it is missing), only when the file's content would change: by a
   * rename where the kernel allows it, else in place (see the class comment). A body that does not
   * end with a newline gets one.
   *
   * @return whether the file was written
   * @throws IllegalArgumentException if a line of the body is one of the markers
   * @throws BrokenBlockException if the file's block is malformed (the file is left untouched)
   * @throws IOException if the file cannot be created, read or written; the message names the
   *     path and what to do
   */
  public boolean write(String blockBody) throws IOException {
    String body = BlockLayout.normalizeBody(blockBody);
    try {
      if (Files.isDirectory(file)) {
        throw new IOException(
            "cannot write " + file + ": it is a directory; give the path of a file instead");
      }
      Path target = realPath();
      ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(target, key -> new ReentrantLock());
      jvmLock.lock();
      try {
        for (int attempt = 1; ; attempt++) {
          Object before = fileKey(target);
          try (FileChannel channel = open(target);
              FileLock ignored = channel.lock()) {
            Object locked = fileKey(target);
            if (locked == null || locked.equals(before)) {
              return writeLocked(channel, target, body);
            }
            // Another process renamed a new file over it (or created it) while we opened and
            // locked: what we hold is no longer the file. Start over on the new one.
            if (attempt == MAX_ATTEMPTS) {
              throw new IOException(
                  "cannot write " + file + ": another program replaced it " + MAX_ATTEMPTS
                      + " times while this write waited for its lock; stop the other writer");
            }
          }
        }
      } finally {
        jvmLock.unlock();
      }
    } catch (BrokenBlockException e) {
      throw e;
    } catch (IOException e) {
      throw explain(e);
    }
  }

  /**
   * The write itself, with the file open as {@code channel} and locked: by a rename unless one was
   * refused before, else (or when this one is refused) in place.
   */
  private boolean writeLocked(FileChannel channel, Path target, String body) throws IOException {
    byte[] old = FileBytes.readAll(channel);
    byte[] updated = BlockLayout.parse(file, old).render(body).getBytes(ISO_8859_1);
    if (Arrays.equals(old, updated)) {
      return false;
    }
    if (inPlaceOnly || renameRefused || !replacedByRename(target, updated)) {
      inPlace.rewrite(channel, old, updated);
    }
    LOG.debug("{}: rewrote the keel block ({} -> {} bytes)", file, old.length, updated.length);
    return true;
  }

  /**
   * Whether the rename replaced the file with {@code content}; false, with nothing changed, if the
   * file cannot be replaced by a rename, and from then on this instance rewrites it in place.
   */
  private boolean replacedByRename(Path target, byte[] content) throws IOException {
    try {
      rename.replace(target, content);
      return true;
    } catch (AtomicReplace.Refused refused) {
      renameRefused = true;
      LOG.info(
          "{} cannot be replaced by a rename ({}): rewriting it in place from now on",
          file,
          refused.getMessage());
      return false;
    }
  }

  /**
   * The current body of Keel's block (each line ending with a newline), or empty when the file or
   * its block does not exist yet.
   *
   * @throws BrokenBlockException if the file's block is malformed
   */
  public Optional<String> readBlock() throws IOException {
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return BlockLayout.parse(file, content).bodyText();
  }

  /** Opens {@code target} (the real path of the file), creating it when missing. */
  private FileChannel open(Path target) throws IOException {
    if (createPermissions != null && Files.notExists(target)) {
      try {
        FileChannel created =
            FileChannel.open(
                target,
                Set.of(CREATE_NEW, READ, WRITE),
                PosixFilePermissions.asFileAttribute(createPermissions));
        Files.setPosixFilePermissions(target, createPermissions); // the umask may have removed some
        LOG.info("{}: created with mode {}", file, PosixFilePermissions.toString(createPermissions));
        return created;
      } catch (FileAlreadyExistsException racedWithAnotherCreator) {
        // fall through and open it as it is
      }
    }
    return FileChannel.open(target, CREATE, READ, WRITE);
  }

  /**
   * The file's real path: symbolic links followed (also a dangling one: its target is where the
   * file will be created), the directory's path resolved. The rename replaces this path, so a
   * link stays a link.
   */
  private Path realPath() throws IOException {
    Path path = file.toAbsolutePath();
    for (int links = 0; Files.isSymbolicLink(path); links++) {
      if (links == MAX_LINKS) {
        throw new FileSystemException(file.toString(), null, "Too many levels of symbolic links");
      }
      path = path.resolveSibling(Files.readSymbolicLink(path));
    }
    return path.getParent().toRealPath().resolve(path.getFileName());
  }

  /** The file key (device and inode) of the file now at {@code path}, or null if unknown or none. */
  private static Object fileKey(Path path) throws IOException {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** An I/O failure rephrased to name the path and what to do about it. */
  private IOException explain(IOException e) {
    String message;
    if (e instanceof NoSuchFileException) {
      message =
          "cannot create " + file + ": its directory " + file.toAbsolutePath().getParent()
              + " does not exist; create the directory or choose a path in an existing one";
    } else if (e instanceof AccessDeniedException) {
      message =
          "cannot write " + file + ": permission denied; run the agent as a user that may write it"
              + " (root in the image) or choose another path";
    } else if (e instanceof FileSystemException fse && fse.getReason() != null) {
      message =
          "cannot write " + file + ": " + fse.getReason() + "; give the path of a writable regular"
              + " file";
    } else if (e.getMessage() != null && e.getMessage().contains(file.toString())) {
      return e;
    } else {
      message = "cannot write " + file + ": " + e + "; give the path of a writable regular file";
    }
    return new IOException(message, e);
  }
}
