package keel.agent.ssh;

import static keel.agent.files.TestFiles.mode;
import static keel.agent.files.TestFiles.namesIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs Debian's real ssh-keygen (openssh-client), in temporary directories only. */
@Timeout(60)
class SshKeysTest {
  @TempDir Path tmp;

  @Test
  void makesAKeyPairOnceWithTheRealSshKeygen() throws IOException {
    Path dir = tmp.resolve("home/.ssh");

    String publicKey = SshKeys.ensureKeyPair(dir, "root@node1");

    assertThat(publicKey).matches("ssh-ed25519 AAAA[A-Za-z0-9+/=]+ root@node1");
    assertThat(mode(dir)).isEqualTo("rwx------");
    Path privateKey = dir.resolve("id_ed25519");
    assertThat(Files.readString(privateKey)).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----");
    assertThat(mode(privateKey)).isEqualTo("rw-------");
    assertThat(Files.readString(dir.resolve("id_ed25519.pub")).strip()).isEqualTo(publicKey);
    assertThat(namesIn(dir)).containsExactly("id_ed25519", "id_ed25519.pub");

    byte[] privateBytes = Files.readAllBytes(privateKey);
    assertThat(SshKeys.ensureKeyPair(dir, "root@node1")).isEqualTo(publicKey);
    assertThat(SshKeys.ensureKeyPair(dir, "another comment")).isEqualTo(publicKey);
    assertThat(Files.readAllBytes(privateKey)).as("kept, not regenerated").isEqualTo(privateBytes);
  }

  @Test
  void derivesAMissingPublicKeyFromThePrivateKey() throws IOException {
    PublicKeys keys = ensureKeyPairAgainWithout("id_ed25519.pub");

    assertThat(keys.after()).as("the same key").isEqualTo(keys.before());
  }

  @Test
  void replacesAPublicKeyWhosePrivateKeyIsGone() throws IOException {
    PublicKeys keys = ensureKeyPairAgainWithout("id_ed25519");

    assertThat(keys.after()).as("a new key").isNotEqualTo(keys.before());
  }

  @Test
  void saysWhatToInstallWhenSshKeygenIsMissing() {
    Path dir = tmp.resolve(".ssh");
    assertThatThrownBy(() -> SshKeys.ensureKeyPair(dir, "c", tmp.resolve("no-such-ssh-keygen").toString()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot run " + tmp.resolve("no-such-ssh-keygen"))
        .hasMessageContaining("apt-get install openssh-client");
    assertThat(dir.resolve("id_ed25519")).doesNotExist();
  }

  @Test
  void reportsAFailingSshKeygenWithItsExitCode() throws IOException {
    Path fake = tmp.resolve("fake-ssh-keygen");
    Files.writeString(fake, "#!/bin/sh\necho 'no entropy today' >&2\nexit 3\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
    Path dir = tmp.resolve(".ssh");

    assertThatThrownBy(() -> SshKeys.ensureKeyPair(dir, "c", fake.toString()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("failed (exit code 3) to generate a key pair in " + dir + ": no entropy today")
        .hasMessageContaining("-N '' -C c");
    assertThat(namesIn(dir)).as("no temporary files left behind").isEmpty();
  }

  @Test
  void refusesAMultiLineComment() {
    assertThatThrownBy(() -> SshKeys.ensureKeyPair(tmp, "a\nb"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("one line");
  }

  /** The key material (type and base64, no comment) of a key pair before and after a change. */
  private record PublicKeys(String before, String after) {}

  /**
   * Makes a key pair, deletes its file {@code name}, and ensures the key pair again, which must
   * bring the file back.
   */
  private PublicKeys ensureKeyPairAgainWithout(String name) throws IOException {
    Path dir = tmp.resolve(".ssh");
    String before = SshKeys.ensureKeyPair(dir, "root@node2");
    Files.delete(dir.resolve(name));

    String after = SshKeys.ensureKeyPair(dir, "root@node2");

    assertThat(dir.resolve(name)).exists();
    return new PublicKeys(keyMaterial(before), keyMaterial(after));
  }

  private static String keyMaterial(String publicKeyLine) {
    String[] fields = publicKeyLine.split(" ");
    return fields[0] + " " + fields[1];
  }
}
