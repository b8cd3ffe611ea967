package keel.agent.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/** Whole-file reads and single positional writes through a {@link FileChannel}. */
final class FileBytes {
  private FileBytes() {}

  /** Every byte of the file open as {@code channel}, read from offset 0 to its end. */
  static byte[] readAll(FileChannel channel) throws IOException {
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
  static void writeAt(FileChannel channel, byte[] content, long position) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocateDirect(content.length);
    buffer.put(content).flip();
    while (buffer.hasRemaining()) {
      position += channel.write(buffer, position);
    }
  }
}
