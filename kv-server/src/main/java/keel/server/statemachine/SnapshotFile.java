package keel.server.statemachine;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Keel's snapshot file: a checksummed envelope around the stores' own serialization.
 *
 * <pre>
 *   "KEELSNP1"            8 bytes, format marker
 *   body                  written by the stores, read back by them
 *   crc32c                8 bytes, big-endian, over marker and body
 *   "KEELEND1"            8 bytes, proves the file was written to its end
 * </pre>
 *
 * The file is written beside its final name and renamed into place, and verified in full before a
 * single byte of the body is handed to a reader: a damaged snapshot is refused with its path in
 * the message, never half-loaded.
 */
final class SnapshotFile {
  private static final byte[] HEAD = "KEELSNP1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TAIL = "KEELEND1".getBytes(StandardCharsets.US_ASCII);

  interface BodyWriter {
    void write(OutputStream out) throws IOException;
  }

  interface BodyReader<T> {
    T read(InputStream in) throws IOException;
  }

  private SnapshotFile() {}

  static void write(File file, BodyWriter body) throws IOException {
    File partial = new File(file.getParentFile(), file.getName() + ".partial");
    CRC32C crc = new CRC32C();
    try (OutputStream raw = Files.newOutputStream(partial.toPath());
         BufferedOutputStream buffered = new BufferedOutputStream(raw, 1 << 16)) {
      CheckedOutputStream checked = new CheckedOutputStream(buffered, crc);
      checked.write(HEAD);
      body.write(new NonClosing(checked));
      checked.flush();
      long sum = crc.getValue();
      for (int shift = 56; shift >= 0; shift -= 8) {
        buffered.write((int) (sum >>> shift));
      }
      buffered.write(TAIL);
      buffered.flush();
    }
    try (var channel = java.nio.channels.FileChannel.open(partial.toPath(), java.nio.file.StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    Files.move(partial.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Verifies the whole file, then reads its body. */
  static <T> T read(File file, BodyReader<T> body) throws IOException {
    verify(file);
    long bodyLength = file.length() - HEAD.length - 16;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file.toPath()), 1 << 16)) {
      in.readNBytes(HEAD.length);
      return body.read(new Bounded(in, bodyLength));
    }
  }

  static void verify(File file) throws IOException {
    long length = file.length();
    if (length < HEAD.length + 16) {
      throw corrupt(file, "it is " + length + " bytes long, shorter than an empty snapshot");
    }
    CRC32C crc = new CRC32C();
    try (DataInputStream in = new DataInputStream(
        new BufferedInputStream(Files.newInputStream(file.toPath()), 1 << 16))) {
      byte[] head = in.readNBytes(HEAD.length);
      if (!Arrays.equals(head, HEAD)) {
        throw corrupt(file, "it does not start with a Keel snapshot marker");
      }
      crc.update(head);
      byte[] buffer = new byte[1 << 16];
      long remaining = length - HEAD.length - 16;
      while (remaining > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
        if (n < 0) {
          throw corrupt(file, "it ended early");
        }
        crc.update(buffer, 0, n);
        remaining -= n;
      }
      long stored = in.readLong();
      byte[] tail = in.readNBytes(TAIL.length);
      if (!Arrays.equals(tail, TAIL)) {
        throw corrupt(file, "its end marker is missing (was it written to the end?)");
      }
      if (stored != crc.getValue()) {
        throw corrupt(file, String.format("checksum mismatch (stored %016x, computed %016x)",
            stored, crc.getValue()));
      }
    }
  }

  /** The checksum written at the end of {@code file} (read as stored; {@link #verify} checks it). */
  static long storedChecksum(File file) throws IOException {
    try (java.io.RandomAccessFile raw = new java.io.RandomAccessFile(file, "r")) {
      raw.seek(raw.length() - 16);
      return raw.readLong();
    }
  }

  /** Whether {@code file} ends with this format's end marker (a whole file written by {@link #write}). */
  static boolean endsWithEndMarker(File file) throws IOException {
    try (java.io.RandomAccessFile raw = new java.io.RandomAccessFile(file, "r")) {
      if (raw.length() < TAIL.length) {
        return false;
      }
      raw.seek(raw.length() - TAIL.length);
      byte[] tail = new byte[TAIL.length];
      raw.readFully(tail);
      return Arrays.equals(tail, TAIL);
    }
  }

  private static IOException corrupt(File file, String why) {
    return new CorruptSnapshotException(file, why);
  }

  /** Thrown when a snapshot on disk fails verification. */
  static final class CorruptSnapshotException extends IOException {
    private final String reason;

    CorruptSnapshotException(File file, String reason) {
      super("snapshot file " + file.getAbsolutePath() + " is corrupt: " + reason
          + "; refusing to start rather than serve wrong data. Restore the data dir from a backup,"
          + " or remove this member's data dir and let it rejoin from its peers");
      this.reason = reason;
    }

    /** What is wrong with the file, without the advice for a member's own snapshot. */
    String reason() {
      return reason;
    }
  }

  private static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  /** Lets the body reader see exactly the body, not the trailer. */
  private static final class Bounded extends FilterInputStream {
    private long remaining;

    Bounded(InputStream in, long remaining) {
      super(in);
      this.remaining = remaining;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }

    @Override
    public void close() {
      // the outer reader closes the file
    }
  }
}
