package keel.agent.ssh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import keel.agent.files.BrokenBlockException;
import keel.agent.files.ManagedBlockFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's public keys in an {@code authorized_keys} file, inside Keel's managed block: the
 * user's own keys outside the block stay as they are.
 *
 * <p>The block holds the keys sorted and de-duplicated, one per line, so the same keys always
 * render the same bytes and the file is only written when the set changes (replaced by a rename,
 * or in place where a rename is impossible, so sshd never reads half a file; see {@link
 * ManagedBlockFile}). sshd (with its default {@code StrictModes}) ignores an authorized_keys file
 * that others may write, so a missing file is created with mode 600, and a missing directory with
 * mode 700.
 */
public final class AuthorizedKeys {
  private static final Logger LOG = LoggerFactory.getLogger(AuthorizedKeys.class);
  private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

  private final ManagedBlockFile file;

  /** The authorized_keys file at {@code file}, e.g. {@code /root/.ssh/authorized_keys}. */
  public AuthorizedKeys(Path file) {
    this.file = new ManagedBlockFile(file, FILE_MODE);
  }

  /** The file's path. */
  public Path path() {
    return file.path();
  }

  /**
   * Makes Keel's block hold exactly {@code publicKeys} (each an OpenSSH public key line such as
   * {@code ssh-ed25519 AAAA... root@node1}; surrounding whitespace is dropped, blank entries
   * ignored).
   *
   * @return whether the file was written (false: it already held these keys)
   * @throws IllegalArgumentException if an entry is not a single public key line
   * @throws BrokenBlockException if the file's block is malformed; the file is left untouched
   * @throws IOException if the file cannot be written; the message names it and what to do
   */
  public boolean update(List<String> publicKeys) throws IOException {
    String body = render(publicKeys);
    ensureParent();
    return file.write(body);
  }

  /** The block body for {@code publicKeys}: trimmed, checked, sorted, de-duplicated. */
  public static String render(List<String> publicKeys) {
    SortedSet<String> keys = new TreeSet<>();
    for (String key : publicKeys) {
      String line = key.strip();
      if (!line.isEmpty()) {
        check(line);
        keys.add(line);
      }
    }
    StringBuilder body = new StringBuilder();
    keys.forEach(key -> body.append(key).append('\n'));
    return body.toString();
  }

  private static void check(String key) {
    if (key.indexOf('\n') >= 0 || key.indexOf('\r') >= 0) {
      throw new IllegalArgumentException(
          "a public key spans several lines; give each key as one line ('ssh-ed25519 AAAA...')");
    }
    if (key.startsWith("#") || key.split("\\s+").length < 2) {
      throw new IllegalArgumentException(
          "'" + abbreviate(key) + "' is not an OpenSSH public key line ('<type> <base64> [comment]'),"
              + " as in an id_*.pub file");
    }
  }

  private static String abbreviate(String key) {
    return key.length() <= 40 ? key : key.substring(0, 40) + "...";
  }

  private void ensureParent() throws IOException {
    Path parent = file.path().toAbsolutePath().getParent();
    if (parent == null || Files.isDirectory(parent)) {
      return;
    }
    try {
      Files.createDirectories(parent);
      Files.setPosixFilePermissions(parent, DIR_MODE);
      LOG.info("{}: created with mode 700", parent);
    } catch (IOException e) {
      throw new IOException(
          "cannot create the directory " + parent + " for " + file.path() + ": " + e
              + "; create it (mode 700) or choose another --authorized-keys path",
          e);
    }
  }
}
