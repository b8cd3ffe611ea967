package keel.agent.hosts;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static keel.agent.files.ManagedBlockFiles.block;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import keel.agent.files.ManagedBlockFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader never sees a partly written hosts file: while the table goes through 1,000 membership
 * changes (members joining and leaving, names of very different lengths, so the file grows and
 * shrinks), a reader reads the whole file in a tight loop, and every read must be the file's own
 * lines (Docker's before the block, the user's after it) plus one well-formed block listing the
 * member set of the version being replaced or of the one replacing it.
 *
 * <p>The reader reads as the C library's resolver does: it opens the file and reads it with one
 * {@code read} call into a buffer larger than the file (glibc's stdio buffer is 4 KiB; the file
 * here stays under that). A reader that needs several calls for one file can always combine two
 * versions when the file is rewritten in place, unless it locks.
 *
 * <p>{@link #aReaderAlwaysSeesOneWholeVersion} is the normal case: each change renames a new file
 * over the old one, so every read is exactly one version, with no exception at all (no torn read,
 * no trailing blank lines).
 *
 * <p>{@link #bindMountFallbackInPlaceLeavesOnlyRareKernelRaces} is the fallback for a bind mount
 * (Docker's {@code /etc/hosts}), where a rename is impossible and the file is rewritten in place:
 * trailing blank lines are allowed (the intermediate state of a growing or shrinking write), and
 * one thing is set apart instead of failing the test, because the kernel does it and no in-place
 * writer can prevent it (see {@code keel.agent.files.InPlaceRewrite}): on ext4 a read whose
 * memory copy runs at the same instant as the writer's copy gets each byte from one side or the
 * other (a torn copy), and a read that took the length just before a truncate gets the cut-off
 * padding as NUL bytes. Such a read is counted as a kernel race only when it is exactly that: the
 * length of the one {@code pwrite} in flight, every byte from the version before or after it (or
 * the new version followed by newlines and NULs). Such races take well under a microsecond, so
 * they are rare (0 to 5 in some 30,000 reads here); the test bounds them at 1 in 1,000 reads
 * (at least 5), whereas a writer that leaves the file invalid between two of its system calls
 * would show in a large share of the reads. Every state between two system calls of an in-place
 * write is checked exactly by {@code
 * ManagedBlockFileTest.everyStateOfAWriteIsOneWholeVersionFollowedByBlankLines}.
 */
@Timeout(120)
class HostsTableReaderTest {
  private static final int CHANGES = 1_000;
  private static final int POOL = 40;
  private static final String AFTER = "# a line of the user's after the block\n10.9.9.9\tprinter\n";

  @TempDir Path dir;

  @Test
  void aReaderAlwaysSeesOneWholeVersion() throws Exception {
    Reads reads = changeMembershipWhileReading("renamed", HostsTable::new);

    assertThat(reads.openedBefore)
        .as("the file opened before the changes: renamed away, so never written")
        .isEqualTo(fileWith(""));
    assertThat(reads.kernelRaces).as("torn reads: with a rename there is no kernel race").isZero();
    assertThat(reads.padded).as("reads with trailing blank lines: a rename has no padding").isZero();
  }

  @Test
  void bindMountFallbackInPlaceLeavesOnlyRareKernelRaces() throws Exception {
    Reads reads =
        changeMembershipWhileReading(
            "in place", hosts -> new HostsTable(ManagedBlockFiles.inPlaceOnly(hosts)));

    assertThat(reads.openedBefore)
        .as("the file opened before the changes: rewritten in place")
        .isEqualTo(reads.last);
    assertThat(reads.kernelRaces)
        .as("kernel races among %d reads", reads.total)
        .isLessThanOrEqualTo(Math.max(5, reads.total / 1_000));
  }

  /**
   * The reads of one run: how many, how many with trailing blank lines, how many kernel races;
   * the file's last version, and what the file opened before the changes held after them.
   */
  private record Reads(long total, long padded, long kernelRaces, String last, String openedBefore) {}

  /**
   * Makes {@link #CHANGES} membership changes through the table {@code tableIn} makes for a hosts
   * file while a reader reads that file in a tight loop; fails if a read was neither one whole
   * version (possibly followed by blank lines) nor a kernel race, or if the file does not end up
   * as the last version.
   */
  private Reads changeMembershipWhileReading(String how, Function<Path, HostsTable> tableIn)
      throws Exception {
    Path hosts = dir.resolve("hosts");
    Files.writeString(hosts, fileWith(""));
    try (FileChannel openedBefore = FileChannel.open(hosts, StandardOpenOption.READ)) {
      return changeMembershipWhileReading(how, tableIn.apply(hosts), hosts, openedBefore);
    }
  }

  private Reads changeMembershipWhileReading(
      String how, HostsTable table, Path hosts, FileChannel openedBefore) throws Exception {
    // versions.get(k) is the whole file of the k-th version; published before it is written.
    List<String> versions = new CopyOnWriteArrayList<>(List.of(fileWith("")));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean writing = new AtomicBoolean();
    AtomicLong reads = new AtomicLong();
    AtomicLong readsDuringWrites = new AtomicLong();
    AtomicLong paddedReads = new AtomicLong();
    AtomicLong kernelRaces = new AtomicLong();
    AtomicLong invalidReads = new AtomicLong();
    Set<Integer> seen = ConcurrentHashMap.newKeySet();
    Queue<String> examples = new ConcurrentLinkedQueue<>();

    Thread reader =
        new Thread(
            () -> {
              ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
              while (!stop.get()) {
                boolean during = writing.get();
                int lo = versions.size();
                String content;
                try (FileChannel channel = FileChannel.open(hosts, StandardOpenOption.READ)) {
                  buffer.clear();
                  int n = channel.read(buffer, 0); // one pread of the whole file
                  content = new String(buffer.array(), 0, Math.max(n, 0), ISO_8859_1);
                } catch (IOException e) {
                  examples.add("read failed: " + e);
                  invalidReads.incrementAndGet();
                  continue;
                }
                int hi = versions.size();
                reads.incrementAndGet();
                if (during && writing.get()) {
                  readsDuringWrites.incrementAndGet();
                }
                // The file holds version lo-2 (lo-1 being written), ..., or hi-1.
                int version = wholeVersion(content, versions, Math.max(0, lo - 2), hi);
                if (version >= 0) {
                  seen.add(version);
                  if (content.length() > versions.get(version).length()) {
                    paddedReads.incrementAndGet();
                  }
                } else if (kernelRace(content, versions, Math.max(1, lo - 2), hi)) {
                  kernelRaces.incrementAndGet();
                } else if (invalidReads.incrementAndGet() <= 3) {
                  examples.add(
                      "versions " + Math.max(0, lo - 2) + ".." + (hi - 1) + ", the file as read:\n"
                          + content + "--- end ---");
                }
              }
            },
            "hosts-reader");
    reader.start();
    try {
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(() -> reads.get() > 0);
      long seed = System.nanoTime();
      Random random = new Random(seed);
      TreeMap<Integer, HostEntry> members = new TreeMap<>();
      long start = System.nanoTime();
      writing.set(true);
      for (int change = 1; change <= CHANGES; change++) {
        int m = random.nextInt(POOL);
        if (members.containsKey(m)) {
          members.remove(m);
        } else {
          members.put(m, member(m));
        }
        List<HostEntry> entries = new ArrayList<>(members.values());
        versions.add(fileWith(HostsTable.render(entries))); // before the write: a reader may see it
        assertThat(table.update(entries)).as("change %d (seed %d)", change, seed).isTrue();
        if (change % 100 == 0) {
          // Let the reader in between writes now and then, however busy the machine is.
          long mark = reads.get();
          await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(() -> reads.get() > mark + 1);
        }
      }
      writing.set(false);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      stop.set(true);
      reader.join(10_000);

      System.out.printf(
          "hosts reader (%s): %d reads (%d during %d writes in %d ms), %d distinct versions seen,"
              + " %d with trailing blank lines, %d kernel read/write races, %d invalid (seed %d)%n",
          how, reads.get(), readsDuringWrites.get(), CHANGES, millis, seen.size(), paddedReads.get(),
          kernelRaces.get(), invalidReads.get(), seed);
      assertThat(examples).as("reads that were not one whole version (seed %d)", seed).isEmpty();
      assertThat(invalidReads.get()).isZero();
      assertThat(readsDuringWrites.get()).isGreaterThan(0);
      assertThat(seen).hasSizeGreaterThan(1);
      assertThat(Files.readString(hosts, ISO_8859_1))
          .as("after the last write, no padding is left")
          .isEqualTo(versions.get(versions.size() - 1));
      return new Reads(
          reads.get(),
          paddedReads.get(),
          kernelRaces.get(),
          versions.get(versions.size() - 1),
          readWhole(openedBefore));
    } finally {
      stop.set(true);
      reader.join(10_000);
      assertThat(reader.isAlive()).isFalse();
    }
  }

  private static String readWhole(FileChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    while (channel.read(buffer, buffer.position()) > 0) {
      // until the end of the file
    }
    return new String(buffer.array(), 0, buffer.position(), ISO_8859_1);
  }

  private static String fileWith(String body) {
    return HostsTableTest.DOCKER_HOSTS + block(body) + AFTER;
  }

  /** Members with names from 5 to about 60 characters, so the file's length jumps around. */
  private static HostEntry member(int i) {
    String name = "node" + i + (i % 3 == 0 ? "" : "-" + "x".repeat((i * 13) % 50));
    String ip = "172.28." + (i / 200) + "." + (i % 200 + 1);
    return i % 4 == 0 ? HostEntry.of(ip, name, name + ".keel.internal") : HostEntry.of(ip, name);
  }

  /** The version in [from, to) that {@code content} is, followed by blank lines only; else -1. */
  private static int wholeVersion(String content, List<String> versions, int from, int to) {
    for (int k = to - 1; k >= from; k--) {
      String version = versions.get(k);
      if (content.startsWith(version) && onlyIn(content, version.length(), "\n")) {
        return k;
      }
    }
    return -1;
  }

  /**
   * Whether {@code content} is what the kernel may hand a reader racing one pwrite or truncate of
   * the change from version k-1 to k, for some k in [from, to): every byte from one side of an
   * equal-length write, or version k followed by the cut-off padding read as newlines and NULs.
   */
  private static boolean kernelRace(String content, List<String> versions, int from, int to) {
    for (int k = from; k < to; k++) {
      String older = versions.get(k - 1);
      String newer = versions.get(k);
      int length = Math.max(older.length(), newer.length());
      if (content.length() == length && eachByteFromOneOf(content, padded(older, length), padded(newer, length))) {
        return true;
      }
      if (older.length() > newer.length()
          && content.length() == older.length()
          && content.startsWith(newer)
          && onlyIn(content, newer.length(), "\n\0")) {
        return true;
      }
    }
    return false;
  }

  private static boolean eachByteFromOneOf(String content, String a, String b) {
    for (int i = 0; i < content.length(); i++) {
      char c = content.charAt(i);
      if (c != a.charAt(i) && c != b.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static String padded(String version, int length) {
    return version + "\n".repeat(length - version.length());
  }

  private static boolean onlyIn(String content, int from, String allowed) {
    for (int i = from; i < content.length(); i++) {
      if (allowed.indexOf(content.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }
}
