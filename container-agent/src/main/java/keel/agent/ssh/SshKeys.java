package keel.agent.ssh;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's own ssh key pair, which the agent publishes so that every node's {@code
 * authorized_keys} lets every other node in.
 *
 * <p>The pair is {@code <dir>/id_ed25519} and {@code <dir>/id_ed25519.pub}, where ssh looks for it
 * by default when {@code dir} is {@code ~/.ssh}. It is made once by OpenSSH's own {@code ssh-keygen}
 * (Debian's openssh-client), so its format is whatever ssh expects, and kept across restarts.
 */
public final class SshKeys {
  /** The private key's file name; the public key is beside it with {@code .pub} appended. */
  public static final String KEY_FILE = "id_ed25519";

  private static final Logger LOG = LoggerFactory.getLogger(SshKeys.class);
  private static final String SSH_KEYGEN = "ssh-keygen";
  private static final long TIMEOUT_SECONDS = 60;

  private SshKeys() {}

  /**
   * Makes sure {@code dir} holds an ed25519 key pair and returns its public key line ({@code
   * ssh-ed25519 AAAA... <comment>}).
   *
   * <ul>
   *   <li>Both files present: nothing is run; the public key is read.
   *   <li>Neither: {@code ssh-keygen -q -t ed25519 -N "" -C <comment>} makes a pair under temporary
   *       names, which are then renamed into place (private key first), so a crash never leaves a
   *       half-written key under the real name.
   *   <li>Only the private key: the public key is derived from it ({@code ssh-keygen -y}).
   *   <li>Only the public key: it is useless without its private key; it is replaced by a new pair.
   * </ul>
   *
   * A missing {@code dir} is created with mode 700. Not safe against another process making the
   * same pair at the same moment: give each node its own directory.
   *
   * @param comment the key's comment, usually {@code root@<node>}; one line
   * @throws IOException if ssh-keygen is missing or fails (the message says which and what to do),
   *     or the directory cannot be written
   */
  public static String ensureKeyPair(Path dir, String comment) throws IOException {
    return ensureKeyPair(dir, comment, SSH_KEYGEN);
  }

  /** As {@link #ensureKeyPair(Path, String)} with another ssh-keygen program (for tests). */
  static String ensureKeyPair(Path dir, String comment, String sshKeygen) throws IOException {
    if (comment.indexOf('\n') >= 0 || comment.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("the key comment must be one line, got: " + comment);
    }
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      LOG.info("{}: created with mode 700", dir);
    }
    Path privateKey = dir.resolve(KEY_FILE);
    Path publicKey = dir.resolve(KEY_FILE + ".pub");
    boolean hasPrivate = Files.exists(privateKey);
    boolean hasPublic = Files.exists(publicKey);
    if (hasPrivate && !hasPublic) {
      String derived = run(List.of(sshKeygen, "-y", "-f", privateKey.toString()), "derive the public key of " + privateKey);
      Files.writeString(publicKey, firstLine(derived, publicKey) + "\n", UTF_8);
      LOG.info("{}: public key derived from {}", publicKey, privateKey);
    } else if (!hasPrivate) {
      if (hasPublic) {
        LOG.warn("{}: has no private key beside it; replacing it with a new key pair", publicKey);
        Files.delete(publicKey);
      }
      generate(dir, comment, sshKeygen, privateKey, publicKey);
    }
    return firstLine(Files.readString(publicKey, UTF_8), publicKey);
  }

  private static void generate(
      Path dir, String comment, String sshKeygen, Path privateKey, Path publicKey)
      throws IOException {
    Path tmpPrivate = dir.resolve(KEY_FILE + ".keel-tmp");
    Path tmpPublic = dir.resolve(KEY_FILE + ".keel-tmp.pub");
    // ssh-keygen asks before overwriting; leftovers of an interrupted run go first.
    Files.deleteIfExists(tmpPrivate);
    Files.deleteIfExists(tmpPublic);
    try {
      run(
          List.of(sshKeygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", tmpPrivate.toString()),
          "generate a key pair in " + dir);
      if (!Files.exists(tmpPrivate) || !Files.exists(tmpPublic)) {
        throw new IOException(
            sshKeygen + " reported success but did not write " + tmpPrivate + " and " + tmpPublic
                + "; check that it is OpenSSH's ssh-keygen");
      }
      Files.move(tmpPrivate, privateKey, ATOMIC_MOVE);
      Files.move(tmpPublic, publicKey, ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmpPrivate);
      Files.deleteIfExists(tmpPublic);
    }
    LOG.info("{}: new ed25519 key pair ({})", privateKey, comment);
  }

  /** Runs {@code command} with no input and returns its standard output; fails on a non-zero exit. */
  private static String run(List<String> command, String purpose) throws IOException {
    Path out = Files.createTempFile("keel-ssh-keygen", ".out");
    Path err = Files.createTempFile("keel-ssh-keygen", ".err");
    try {
      Process process;
      try {
        process =
            new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
      } catch (IOException e) {
        throw new IOException(
            "cannot run " + command.get(0) + " to " + purpose + " (" + e.getMessage() + "): install"
                + " OpenSSH's client tools (Debian: apt-get install openssh-client) so that"
                + " ssh-keygen is on the PATH",
            e);
      }
      boolean exited;
      try {
        exited = process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + command.get(0) + " to " + purpose, e);
      }
      if (!exited) {
        process.destroyForcibly();
        throw new IOException(
            command.get(0) + " did not finish within " + TIMEOUT_SECONDS + " s when asked to "
                + purpose + "; it was killed. Run '" + String.join(" ", quoted(command))
                + "' by hand to see why");
      }
      if (process.exitValue() != 0) {
        String stderr = Files.readString(err, UTF_8).strip();
        throw new IOException(
            command.get(0) + " failed (exit code " + process.exitValue() + ") to " + purpose
                + (stderr.isEmpty() ? "" : ": " + stderr) + ". Command: "
                + String.join(" ", quoted(command)));
      }
      return Files.readString(out, UTF_8);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static List<String> quoted(List<String> command) {
    List<String> words = new ArrayList<>();
    for (String word : command) {
      words.add(word.isEmpty() || word.contains(" ") ? "'" + word + "'" : word);
    }
    return words;
  }

  private static String firstLine(String text, Path source) throws IOException {
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        return line.strip();
      }
    }
    throw new IOException(source + " holds no public key; delete it and the agent will make a new pair");
  }
}
