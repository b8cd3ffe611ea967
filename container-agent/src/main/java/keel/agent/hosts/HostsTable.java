package keel.agent.hosts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import keel.agent.files.BrokenBlockException;
import keel.agent.files.ManagedBlockFile;

/**
 * The cluster's members in a hosts file ({@code /etc/hosts} in the image), inside Keel's managed
 * block: every other line of the file (Docker's own entries, the user's) stays as it is.
 *
 * <p>The block holds one line per entry, {@code <ip> <name> [aliases...]} separated by single
 * spaces, sorted by canonical name (then address, then aliases) so the same members always render
 * the same bytes, whatever order they were learned in; identical entries appear once. The file is
 * written only when the block changes, replaced by a rename (or, on Docker's bind-mounted {@code
 * /etc/hosts}, rewritten in place); see {@link ManagedBlockFile} for why a reader never sees half
 * of it.
 */
public final class HostsTable {
  private static final Comparator<HostEntry> ORDER =
      Comparator.comparing(HostEntry::name)
          .thenComparing(HostEntry::ip)
          .thenComparing(HostEntry::line);

  private final ManagedBlockFile file;

  /** The hosts table in {@code file} (created when missing). */
  public HostsTable(Path file) {
    this(new ManagedBlockFile(file));
  }

  /** The hosts table in {@code file} (for tests that choose how it is written). */
  HostsTable(ManagedBlockFile file) {
    this.file = file;
  }

  /** The hosts file's path. */
  public Path path() {
    return file.path();
  }

  /**
   * Makes Keel's block list exactly {@code entries}.
   *
   * @return whether the file was written (false: it already said this)
   * @throws BrokenBlockException if the file's block is malformed; the file is left untouched
   * @throws IOException if the file cannot be written; the message names it and what to do
   */
  public boolean update(List<HostEntry> entries) throws IOException {
    return file.write(render(entries));
  }

  /**
   * The entries Keel's block lists now, as {@link #render} wrote them (empty when the file or its
   * block does not exist yet): what {@code keel demo} and the tests read back.
   *
   * @throws BrokenBlockException if the file's block is malformed
   */
  public static List<HostEntry> read(Path file) throws IOException {
    String body = new ManagedBlockFile(file).readBlock().orElse("");
    List<HostEntry> entries = new ArrayList<>();
    for (String line : body.split("\n")) {
      String[] words = line.strip().split("\\s+");
      if (words.length >= 2) {
        entries.add(new HostEntry(words[0], List.of(words).subList(1, words.length)));
      }
    }
    return entries;
  }

  /** Name to address of every entry of Keel's block in {@code file} (aliases left out). */
  public static SortedMap<String, String> members(Path file) throws IOException {
    SortedMap<String, String> members = new TreeMap<>();
    read(file).forEach(e -> members.put(e.name(), e.ip()));
    return members;
  }

  /** The block body for {@code entries}: sorted, de-duplicated, one line each. */
  public static String render(List<HostEntry> entries) {
    StringBuilder body = new StringBuilder();
    entries.stream()
        .sorted(ORDER)
        .map(HostEntry::line)
        .distinct()
        .forEach(line -> body.append(line).append('\n'));
    return body.toString();
  }
}
