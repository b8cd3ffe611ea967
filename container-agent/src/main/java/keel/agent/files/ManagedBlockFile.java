package keel.agent.files;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
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
 * guessing could delete someone's lines.
 *
 * <p><b>How a write stays invisible to readers.</b> The files this is for ({@code /etc/hosts},
 * {@code authorized_keys}) are read at any moment by programs that do not cooperate (the C
 * library's resolver, sshd), and in Docker {@code /etc/hosts} is a bind mount, where renaming a
 * temporary file over it fails with EBUSY. So the file is rewritten in place, in steps chosen so
 * that the file is a valid version at every moment: the old content or the new one, possibly
 * followed by blank lines (which mean nothing in either format):
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
 * <p>What no in-place writer can prevent: Linux's ext4 (measured here) and tmpfs do not serialise a
 * {@code read} with a {@code write} of the same bytes (XFS does), so a reader whose copy runs at
 * the very instant of the writer's copy (the window is one memory copy of a few KiB, well under a
 * microsecond) can get some bytes of the old version and some of the new; and a reader that took
 * the file's length just before the truncate can read the dropped padding as NUL bytes. Only a
 * rename replaces a file atomically, and the bind mount rules it out. A reader in a tight loop
 * while the file changed 100,000 times had about 1 read in 2,000 torn that way; a resolver that
 * reads {@code /etc/hosts} once per lookup, while the membership changes a few times a day,
 * practically never does.
 *
 * <p>Should the process die between two steps, the blank lines stay at the end of the file, where
 * they are harmless (from then on they count as lines outside the block and are kept).
 *
 * <p>Nothing is written when the content would not change (so the file's mtime says when the block
 * last changed and no reader is disturbed for nothing). The data is not fsynced: the agent
 * rewrites these files from the cluster's state whenever it starts.
 *
 * <p><b>Concurrency.</b> Writers of the same file in this JVM are serialised (even through
 * different instances or paths: the lock is keyed by the file's identity), and each write holds
 * an exclusive lock on the file ({@link FileChannel#lock()}, a POSIX record lock) so that other
 * processes that also lock it (another agent, a second instance by mistake) do not interleave
 * their read-modify-write with ours.
 */
public final class ManagedBlockFile {
  /** The line that opens Keel's block. */
  public static final String BEGIN = "# BEGIN keel (managed by the keel agent; do not edit)";
  /** The line that closes Keel's block. */
  public static final String END = "# END keel";

  private static final Logger LOG = LoggerFactory.getLogger(ManagedBlockFile.class);
  private static final String BEGIN_PREFIX = "# BEGIN keel";

  /** One lock per file (by file key, i.e. device and inode) for the writers in this JVM. */
  private static final ConcurrentMap<Object, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path file;
  private final Set<PosixFilePermission> createPermissions;
  private final StepListener steps;

  /** The system calls of one write, in the order they happen, for tests that inspect each state. */
  enum Step {
    /** The file was extended with newlines to the new length (growing). */
    EXTENDED,
    /** The new content (padded with newlines when shrinking) was written at offset 0. */
    WRITTEN,
    /** The padding was cut off (shrinking). */
    TRUNCATED
  }

  /** Called after each step of a write, with the file lock held. */
  @FunctionalInterface
  interface StepListener {
    void after(Step step) throws IOException;
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
    this(file, createPermissions, step -> {});
  }

  ManagedBlockFile(Path file, Set<PosixFilePermission> createPermissions, StepListener steps) {
    this.file = Objects.requireNonNull(file, "file");
    this.createPermissions = createPermissions == null ? null : Set.copyOf(createPermissions);
    this.steps = Objects.requireNonNull(steps, "steps");
  }

  /** The file's path, as given. */
  public Path path() {
    return file;
  }

  /**
   * Replaces the body of Keel's block with {@code blockBody} (appending a block when the file has
   * none, creating the file when it is missing), in place and only when the file's content would
   * change. A body that does not end with a newline gets one.
   *
   * @return whether the file was written
   * @throws IllegalArgumentException if a line of the body is one of the markers
   * @throws BrokenBlockException if the file's block is malformed (the file is left untouched)
   * @throws IOException if the file cannot be created, read or written; the message names the
   *     path and what to do
   */
  public boolean write(String blockBody) throws IOException {
    String body = normalizeBody(blockBody);
    try (FileChannel channel = open()) {
      ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(identity(), key -> new ReentrantLock());
      jvmLock.lock();
      try (FileLock ignored = channel.lock()) {
        byte[] old = readAll(channel);
        byte[] updated = Layout.parse(file, old).render(body).getBytes(ISO_8859_1);
        if (Arrays.equals(old, updated)) {
          return false;
        }
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
        LOG.debug("{}: rewrote the keel block ({} -> {} bytes)", file, old.length, updated.length);
        return true;
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

  private FileChannel open() throws IOException {
    if (Files.isDirectory(file)) {
      throw new IOException(
          "cannot write " + file + ": it is a directory; give the path of a file instead");
    }
    if (createPermissions != null && Files.notExists(file)) {
      try {
        FileChannel created =
            FileChannel.open(
                file,
                Set.of(CREATE_NEW, READ, WRITE),
                PosixFilePermissions.asFileAttribute(createPermissions));
        Files.setPosixFilePermissions(file, createPermissions); // the umask may have removed some
        LOG.info("{}: created with mode {}", file, PosixFilePermissions.toString(createPermissions));
        return created;
      } catch (FileAlreadyExistsException racedWithAnotherCreator) {
        // fall through and open it as it is
      }
    }
    return FileChannel.open(file, CREATE, READ, WRITE);
  }

  /** The file's identity for the JVM-wide writer lock: its file key (device, inode) if known. */
  private Object identity() throws IOException {
    Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    return key != null ? key : file.toRealPath();
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
