package keel.agent.files;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
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
 * guessing could delete someone's lines.
 *
 * <p><b>How a write stays invisible to readers.</b> The files this is for ({@code /etc/hosts},
 * {@code authorized_keys}) are read at any moment by programs that do not cooperate (the C
 * library's resolver, sshd). So a write replaces the file by a rename whenever the kernel allows
 * it, and rewrites it in place only where it does not:
 *
 * <ol>
 *   <li><b>Rename (atomic).</b> The new content is written to a hidden temporary file in the same
 *       directory ({@code .hosts.keel-<random>.tmp}, mode 600 meanwhile), flushed to the disk
 *       ({@code fdatasync}: the lines outside the block exist nowhere else, so a crash must not
 *       leave an empty file), given the file's owner, group and permissions, and renamed over the
 *       file. A reader opens either the old file or the new one and reads that one whole, however
 *       it reads and however long it takes. A symbolic link at the path is followed: its target is
 *       replaced, the link stays. (What a rename does not carry over: hard links, ACLs, extended
 *       attributes such as an SELinux label.)
 *   <li><b>In place (the fallback).</b> In Docker {@code /etc/hosts} is a bind mount, and a rename
 *       over a mount point fails with EBUSY. When the rename is impossible (EBUSY, a rename across
 *       file systems, a directory that cannot hold the temporary file, an owner or group the
 *       process may not give the temporary file), the temporary file is deleted, this is logged
 *       once at INFO, and from then on this instance rewrites the file in place, described below.
 * </ol>
 *
 * <p><b>The in-place rewrite</b> goes in steps chosen so that the file is a valid version between
 * any two of them: the old content or the new one, possibly followed by blank lines (which mean
 * nothing in either format):
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
 * while the membership changes a few times a day, practically never does. Only the rename is free
 * of this, which is why it comes first. Should the process die between two in-place steps, the
 * blank lines stay at the end of the file, where they are harmless (from then on they count as
 * lines outside the block and are kept); should it die before a rename, a hidden temporary file
 * may stay behind in the directory.
 *
 * <p>Nothing is written when the content would not change (so the file's mtime says when the block
 * last changed and no reader is disturbed for nothing). An in-place rewrite is not fsynced: the
 * agent rewrites these files from the cluster's state whenever it starts.
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
  private static final String BEGIN_PREFIX = "# BEGIN keel";
  /** How often a write starts over because another process replaced the file meanwhile. */
  private static final int MAX_ATTEMPTS = 100;
  /** Follow at most this many symbolic links (Linux's own limit). */
  private static final int MAX_LINKS = 40;
  /**
   * The reasons (strerror texts) for which a rename over the file cannot work but an in-place
   * rewrite may: EBUSY (a mount point: Docker's bind-mounted /etc/hosts), EXDEV (another file
   * system), EROFS (a read-only directory, e.g. docker run --read-only, around a writable bind
   * mount), EPERM (a sticky directory or an immutable file).
   */
  private static final List<String> RENAME_REFUSALS =
      List.of(
          "Device or resource busy",
          "Invalid cross-device link",
          "Read-only file system",
          "Operation not permitted");

  /** One lock per file (by real path) for the writers in this JVM. */
  private static final ConcurrentMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path file;
  private final Set<PosixFilePermission> createPermissions;
  private final boolean inPlaceOnly;
  private final Replacer replacer;
  private final StepListener steps;
  /** Set once a rename over this file failed in a way that will not change: rewrite in place. */
  private volatile boolean renameRefused;

  /** The system calls of one write, in the order they happen, for tests that inspect each state. */
  enum Step {
    /** The temporary file with the new content was renamed over the file. */
    RENAMED,
    /** In place: the file was extended with newlines to the new length (growing). */
    EXTENDED,
    /** In place: the new content (padded with newlines when shrinking) was written at offset 0. */
    WRITTEN,
    /** In place: the padding was cut off (shrinking). */
    TRUNCATED
  }

  /** Called after each step of a write, with the file lock held. */
  @FunctionalInterface
  interface StepListener {
    void after(Step step) throws IOException;
  }

  /** The rename of the temporary file over the file (a seam for tests that make it fail). */
  @FunctionalInterface
  interface Replacer {
    Replacer RENAME =
        (temporary, target) -> Files.move(temporary, target, ATOMIC_MOVE, REPLACE_EXISTING);

    void replace(Path temporary, Path target) throws IOException;
  }

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
    this(file, createPermissions, false, Replacer.RENAME, step -> {});
  }

  /**
   * For tests: {@code inPlaceOnly} skips the rename (as after a bind mount refused it), {@code
   * replacer} does the rename, {@code steps} hears each step.
   */
  ManagedBlockFile(
      Path file,
      Set<PosixFilePermission> createPermissions,
      boolean inPlaceOnly,
      Replacer replacer,
      StepListener steps) {
    this.file = Objects.requireNonNull(file, "file");
    this.createPermissions = createPermissions == null ? null : Set.copyOf(createPermissions);
    this.inPlaceOnly = inPlaceOnly;
    this.replacer = Objects.requireNonNull(replacer, "replacer");
    this.steps = Objects.requireNonNull(steps, "steps");
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
    String body = normalizeBody(blockBody);
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

  /** The write itself, with the file open as {@code channel} and locked. */
  private boolean writeLocked(FileChannel channel, Path target, String body) throws IOException {
    byte[] old = readAll(channel);
    byte[] updated = Layout.parse(file, old).render(body).getBytes(ISO_8859_1);
    if (Arrays.equals(old, updated)) {
      return false;
    }
    if (inPlaceOnly || renameRefused || !replaceByRename(target, updated)) {
      rewriteInPlace(channel, old, updated);
    }
    LOG.debug("{}: rewrote the keel block ({} -> {} bytes)", file, old.length, updated.length);
    return true;
  }

  /**
   * Writes {@code content} to a temporary file beside {@code target} and renames it over {@code
   * target}.
   *
   * @return false, with nothing changed, if the file cannot be replaced by a rename; from then on
   *     this instance rewrites it in place
   */
  private boolean replaceByRename(Path target, byte[] content) throws IOException {
    PosixFileAttributes original = Files.readAttributes(target, PosixFileAttributes.class);
    Path temporary;
    try {
      // Mode 600 while it is written, whatever the file's own mode.
      temporary = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".keel-", ".tmp");
    } catch (IOException e) {
      if (refusesRename(e)) {
        refuseRename("no temporary file can be created beside it: " + reason(e));
        return false;
      }
      throw e;
    }
    boolean replaced = false;
    try {
      try (FileChannel out = FileChannel.open(temporary, WRITE)) {
        writeAt(out, content, 0);
        out.force(false);
      }
      if (!takeOwnerAndGroup(temporary, original)) {
        refuseRename(
            "the process may not give a new file its owner " + original.owner().getName()
                + " and group " + original.group().getName());
        return false;
      }
      // After chown, which clears set-id bits; exactly, whatever the umask.
      Files.setPosixFilePermissions(temporary, original.permissions());
      try {
        replacer.replace(temporary, target);
      } catch (IOException e) {
        if (refusesRename(e)) {
          refuseRename(reason(e));
          return false;
        }
        throw e;
      }
      replaced = true;
      steps.after(Step.RENAMED);
      return true;
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

  private void refuseRename(String why) {
    renameRefused = true;
    LOG.info("{} cannot be replaced by a rename ({}): rewriting it in place from now on", file, why);
  }

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

  /** The in-place steps (see the class comment), on the locked {@code channel}. */
  private void rewriteInPlace(FileChannel channel, byte[] old, byte[] updated) throws IOException {
    if (updated.length > old.length) {
      writeAt(channel, newlines(updated.length - old.length), old.length);
      steps.after(Step.EXTENDED);
      writeAt(channel, updated, 0);
      steps.after(Step.WRITTEN);
    } else if (updated.length < old.length) {
      byte[] padded = Arrays.copyOf(updated, old.length);
      Arrays.fill(padded, updated.length, old.length, (byte) '\n');
      writeAt(channel, padded, 0);
      steps.after(Step.WRITTEN);
      channel.truncate(updated.length);
      steps.after(Step.TRUNCATED);
    } else {
      writeAt(channel, updated, 0);
      steps.after(Step.WRITTEN);
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
    return Layout.parse(file, content).body.map(b -> new String(b.getBytes(ISO_8859_1), UTF_8));
  }

  /**
   * The body as it will stand in the file: UTF-8 bytes held one char per byte (ISO-8859-1), so the
   * whole file can be handled as a string without changing a byte outside the block.
   */
  private static String normalizeBody(String blockBody) {
    Objects.requireNonNull(blockBody, "blockBody");
    String body = new String(blockBody.getBytes(UTF_8), ISO_8859_1);
    if (!body.isEmpty() && !body.endsWith("\n")) {
      body = body + "\n";
    }
    for (String line : body.split("\n", -1)) {
      if (isBegin(line) || isEnd(line)) {
        throw new IllegalArgumentException(
            "a line of the block body is a keel marker (" + line.strip() + "): the block could not"
                + " be found again; leave marker lines out of the body");
      }
    }
    return body;
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

  private static byte[] readAll(FileChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, channel.size() + 1));
    long position = 0;
    while (true) {
      if (!buffer.hasRemaining()) {
        ByteBuffer bigger = ByteBuffer.allocate(buffer.capacity() * 2);
        buffer.flip();
        bigger.put(buffer);
        buffer = bigger;
      }
      int n = channel.read(buffer, position);
      if (n < 0) {
        break;
      }
      position += n;
    }
    return Arrays.copyOf(buffer.array(), buffer.position());
  }

  /** One pwrite of {@code content} at {@code position} (a direct buffer: the JDK does not split it). */
  private static void writeAt(FileChannel channel, byte[] content, long position) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocateDirect(content.length);
    buffer.put(content).flip();
    while (buffer.hasRemaining()) {
      position += channel.write(buffer, position);
    }
  }

  private static byte[] newlines(int count) {
    byte[] blank = new byte[count];
    Arrays.fill(blank, (byte) '\n');
    return blank;
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

  private static boolean isBegin(String line) {
    String s = line.strip();
    return s.equals(BEGIN_PREFIX) || s.startsWith(BEGIN_PREFIX + " ");
  }

  private static boolean isEnd(String line) {
    return line.strip().equals(END);
  }

  /**
   * A file's content cut around Keel's block. All strings hold bytes one char per byte.
   *
   * <p>For {@code "a\n# BEGIN keel ...\nx\n# END keel\nb\n"}: before = {@code "a\n"}, body =
   * {@code "x\n"}, after = {@code "b\n"}. Without a block: before = the whole content, no body.
   */
  private record Layout(String before, Optional<String> body, String after) {
    static Layout parse(Path file, byte[] bytes) throws BrokenBlockException {
      String content = new String(bytes, ISO_8859_1);
      int beginStart = -1;
      int bodyStart = -1;
      int bodyEnd = -1;
      int afterStart = -1;
      int lineNo = 0;
      int beginLineNo = 0;
      for (int start = 0; start < content.length(); ) {
        int newline = content.indexOf('\n', start);
        int next = newline < 0 ? content.length() : newline + 1;
        String line = content.substring(start, newline < 0 ? content.length() : newline);
        lineNo++;
        if (isBegin(line)) {
          if (beginStart >= 0) {
            throw new BrokenBlockException(
                file,
                afterStart >= 0
                    ? "it has a second keel block at line " + lineNo
                    : "the keel block opened at line " + beginLineNo
                        + " has no '" + END + "' before another begin marker at line " + lineNo);
          }
          beginStart = start;
          bodyStart = next;
          beginLineNo = lineNo;
        } else if (isEnd(line)) {
          if (beginStart < 0 || afterStart >= 0) {
            throw new BrokenBlockException(
                file, "line " + lineNo + " closes a keel block that was never opened");
          }
          bodyEnd = start;
          afterStart = next;
        }
        start = next;
      }
      if (beginStart < 0) {
        return new Layout(content, Optional.empty(), "");
      }
      if (afterStart < 0) {
        throw new BrokenBlockException(
            file, "the keel block opened at line " + beginLineNo + " has no '" + END + "' line");
      }
      return new Layout(
          content.substring(0, beginStart),
          Optional.of(content.substring(bodyStart, bodyEnd)),
          content.substring(afterStart));
    }

    String render(String newBody) {
      String head = before;
      if (body.isEmpty() && !head.isEmpty() && !head.endsWith("\n")) {
        head = head + "\n"; // the last outside line gets its missing newline, the block follows
      }
      return head + BEGIN + "\n" + newBody + END + "\n" + after;
    }
  }
}
