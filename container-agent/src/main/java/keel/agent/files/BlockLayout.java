package keel.agent.files;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static keel.agent.files.ManagedBlockFile.BEGIN;
import static keel.agent.files.ManagedBlockFile.END;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A file's content cut around Keel's block: the bytes before the begin marker line, the body
 * between the markers, and the bytes after the end marker line. Rendering puts {@code before} and
 * {@code after} back byte for byte around a new body.
 *
 * <p>For {@code "a\n# BEGIN keel ...\nx\n# END keel\nb\n"}: before = {@code "a\n"}, body =
 * {@code "x\n"}, after = {@code "b\n"}. Without a block: before = the whole content, no body, after
 * = {@code ""}; rendering then appends the block (giving a last line without a newline its
 * newline first).
 *
 * <p>All strings hold the file's bytes one char per byte (ISO-8859-1), so the whole file can be
 * handled as a string without changing a byte outside the block, whatever its encoding ({@code
 * /etc/hosts} may hold anything). A marker is recognised by its stripped line: the begin marker by
 * its first words {@code # BEGIN keel}, the end marker exactly. A begin without an end, an end
 * without a begin, or a second block makes the file's block broken ({@link BrokenBlockException}).
 */
record BlockLayout(String before, Optional<String> body, String after) {
  private static final String BEGIN_PREFIX = "# BEGIN keel";

  /**
   * Cuts {@code bytes}, the content of {@code file}, around its block.
   *
   * @throws BrokenBlockException if the block is malformed; the message names {@code file} and the
   *     line
   */
  static BlockLayout parse(Path file, byte[] bytes) throws BrokenBlockException {
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
      return new BlockLayout(content, Optional.empty(), "");
    }
    if (afterStart < 0) {
      throw new BrokenBlockException(
          file, "the keel block opened at line " + beginLineNo + " has no '" + END + "' line");
    }
    return new BlockLayout(
        content.substring(0, beginStart),
        Optional.of(content.substring(bodyStart, bodyEnd)),
        content.substring(afterStart));
  }

  /** The whole file with {@code newBody} (from {@link #normalizeBody}) as the block's body. */
  String render(String newBody) {
    String head = before;
    if (body.isEmpty() && !head.isEmpty() && !head.endsWith("\n")) {
      head = head + "\n"; // the last outside line gets its missing newline, the block follows
    }
    return head + BEGIN + "\n" + newBody + END + "\n" + after;
  }

  /** The body as text (its UTF-8 bytes decoded), or empty when the file has no block. */
  Optional<String> bodyText() {
    return body.map(b -> new String(b.getBytes(ISO_8859_1), UTF_8));
  }

  /**
   * {@code blockBody} as it will stand in the file: its UTF-8 bytes held one char per byte, ending
   * with a newline unless empty.
   *
   * @throws IllegalArgumentException if a line of it is a marker (the block could not be found
   *     again)
   */
  static String normalizeBody(String blockBody) {
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

  private static boolean isBegin(String line) {
    String s = line.strip();
    return s.equals(BEGIN_PREFIX) || s.startsWith(BEGIN_PREFIX + " ");
  }

  private static boolean isEnd(String line) {
    return line.strip().equals(END);
  }
}
