package keel.server.api.http.gateway;

import java.util.Arrays;

/**
 * Go's {@code json.Decoder} as etcd's gateway uses it on a request body: one top-level value per
 * {@link #next()}, read as far as it goes and no further, so {@code {"key":"YQ=="} garbage} is one
 * good request and a watch body may hold several requests, one after another, arriving in pieces.
 *
 * <p>Outcomes as Go's: a value; {@code EOF} when only white space is left at the end of the body
 * (the gateway then sends the empty request, or no further request); a syntax error in Go's words;
 * {@code unexpected EOF} when the body ends inside a value.
 */
final class GoJsonStream {
  /** What {@link #next()} found. */
  record Next(Kind kind, byte[] value, String error) {
    static final Next MORE = new Next(Kind.NEED_MORE, null, null);
    static final Next EOF = new Next(Kind.EOF, null, null);
  }

  enum Kind { VALUE, NEED_MORE, EOF, ERROR }

  private final GoJsonScanner scanner = new GoJsonScanner();
  private byte[] buffer = new byte[256];
  private int length;
  /** Start of the value being read (unconsumed bytes begin here). */
  private int start;
  /** Where scanning stopped; the scanner has seen every byte before it. */
  private int scanned;
  private boolean ended;
  private String failure;

  /** Appends the next piece of the body. */
  void feed(byte[] bytes) {
    if (start > 0) {
      System.arraycopy(buffer, start, buffer, 0, length - start);
      length -= start;
      scanned -= start;
      start = 0;
    }
    if (length + bytes.length > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + bytes.length));
    }
    System.arraycopy(bytes, 0, buffer, length, bytes.length);
    length += bytes.length;
  }

  /** The body has no more bytes. */
  void end() {
    ended = true;
  }

  /** The next value's bytes (leading white space dropped), or why there is none yet. */
  Next next() {
    if (failure != null) {
      return new Next(Kind.ERROR, null, failure);
    }
    for (; scanned < length; scanned++) {
      switch (scanner.step(buffer[scanned] & 0xff)) {
        case GoJsonScanner.END -> {
          return value(scanned);
        }
        case GoJsonScanner.END_COMPOSITE -> {
          if (scanner.endedTop()) { // Go invents a space after '}' or ']' rather than wait for a byte
            return value(scanned + 1);
          }
        }
        case GoJsonScanner.ERROR -> {
          return fail(scanner.error());
        }
        default -> { }
      }
    }
    if (!ended) {
      return Next.MORE;
    }
    if (scanner.step(' ') == GoJsonScanner.END) {
      return value(scanned);
    }
    for (int i = start; i < length; i++) {
      if (!GoJsonScanner.isSpace(buffer[i] & 0xff)) {
        return fail("unexpected EOF");
      }
    }
    return Next.EOF;
  }

  private Next value(int end) {
    int from = start;
    while (from < end && GoJsonScanner.isSpace(buffer[from] & 0xff)) {
      from++;
    }
    byte[] value = Arrays.copyOfRange(buffer, from, end);
    start = end;
    scanned = end;
    scanner.reset();
    return new Next(Kind.VALUE, value, null);
  }

  private Next fail(String error) {
    failure = error;
    return new Next(Kind.ERROR, null, error);
  }
}
