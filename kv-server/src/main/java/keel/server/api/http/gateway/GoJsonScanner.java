package keel.server.api.http.gateway;

import keel.server.api.http.GoQuote;
/**
 * The syntax half of Go's {@code encoding/json} (Go 1.19, which etcd 3.4.23 is built with): a
 * byte-at-a-time state machine that knows where a JSON value ends and rejects what Go rejects with
 * Go's words. etcd's gateway answers a malformed body with that text (for example {@code invalid
 * character 'b' looking for beginning of object key string}), so Keel has to produce the same.
 *
 * <p>Resumable: a request body arriving in pieces is fed as it comes ({@link GoJsonStream}).
 * Worked example, {@code {"a":1}}: '{' pushes OBJECT_KEY; '"a"' is a string; ':' turns the top into
 * OBJECT_VALUE; '1' starts a number, which ends only when '}' arrives (Go reports the end of a
 * number one byte late); '}' pops the stack, and an empty stack means the top-level value ended.
 */
final class GoJsonScanner {
  /** The byte belongs to the value (or is white space before it). */
  static final int CONTINUE = 0;
  /** The byte closed an object or an array (at the top level this ends the value). */
  static final int END_COMPOSITE = 1;
  /** The value ended before this byte. */
  static final int END = 2;
  static final int ERROR = 3;

  /** Go's maxNestingDepth. */
  private static final int MAX_DEPTH = 10_000;

  private enum State {
    BEGIN_VALUE, BEGIN_VALUE_OR_EMPTY, BEGIN_STRING_OR_EMPTY, BEGIN_STRING, END_VALUE, END_TOP,
    IN_STRING, IN_STRING_ESC, IN_STRING_ESC_U, IN_STRING_ESC_U1, IN_STRING_ESC_U12, IN_STRING_ESC_U123,
    NEG, ONE, ZERO, DOT, DOT0, E, E_SIGN, E0,
    T, TR, TRU, F, FA, FAL, FALS, N, NU, NUL,
    FAILED
  }

  private static final byte OBJECT_KEY = 0;
  private static final byte OBJECT_VALUE = 1;
  private static final byte ARRAY_VALUE = 2;

  private State state = State.BEGIN_VALUE;
  private byte[] stack = new byte[16];
  private int depth;
  private boolean endTop;
  private String error;

  /** Ready for the next top-level value. */
  void reset() {
    state = State.BEGIN_VALUE;
    depth = 0;
    endTop = false;
    error = null;
  }

  /** Go's error text once {@link #step} returned {@link #ERROR}, or after {@link #eof()} failed. */
  String error() {
    return error;
  }

  /**
   * What {@code json.Unmarshal} checks before decoding: one whole value, nothing but white space
   * after it. Returns Go's error text, or null when {@code data} is valid.
   */
  static String checkValid(byte[] data) {
    GoJsonScanner scanner = new GoJsonScanner();
    for (byte b : data) {
      if (scanner.step(b & 0xff) == ERROR) {
        return scanner.error;
      }
    }
    return scanner.eof() == ERROR ? scanner.error : null;
  }

  /** Go's scanner.eof: END if a complete value was seen, else ERROR ("unexpected end of JSON input"). */
  int eof() {
    if (error != null) {
      return ERROR;
    }
    if (endTop) {
      return END;
    }
    step(' ');
    if (endTop) {
      return END;
    }
    if (error == null) {
      error = "unexpected end of JSON input";
    }
    return ERROR;
  }

  /** True once the scanner has seen the end of the top-level value. */
  boolean endedTop() {
    return endTop;
  }

  /** Feeds one byte (0-255). */
  int step(int c) {
    return switch (state) {
      case BEGIN_VALUE -> beginValue(c);
      case BEGIN_VALUE_OR_EMPTY -> {
        if (isSpace(c)) {
          yield CONTINUE;
        }
        yield c == ']' ? endValue(c) : beginValue(c);
      }
      case BEGIN_STRING_OR_EMPTY -> {
        if (isSpace(c)) {
          yield CONTINUE;
        }
        if (c == '}') {
          stack[depth - 1] = OBJECT_VALUE;
          yield endValue(c);
        }
        yield beginString(c);
      }
      case BEGIN_STRING -> beginString(c);
      case END_VALUE -> endValue(c);
      case END_TOP -> endTop(c);
      case IN_STRING -> {
        if (c == '"') {
          state = State.END_VALUE;
        } else if (c == '\\') {
          state = State.IN_STRING_ESC;
        } else if (c < 0x20) {
          yield fail(c, "in string literal");
        }
        yield CONTINUE;
      }
      case IN_STRING_ESC -> switch (c) {
        case 'b', 'f', 'n', 'r', 't', '\\', '/', '"' -> {
          state = State.IN_STRING;
          yield CONTINUE;
        }
        case 'u' -> {
          state = State.IN_STRING_ESC_U;
          yield CONTINUE;
        }
        default -> fail(c, "in string escape code");
      };
      case IN_STRING_ESC_U -> hex(c, State.IN_STRING_ESC_U1);
      case IN_STRING_ESC_U1 -> hex(c, State.IN_STRING_ESC_U12);
      case IN_STRING_ESC_U12 -> hex(c, State.IN_STRING_ESC_U123);
      case IN_STRING_ESC_U123 -> hex(c, State.IN_STRING);
      case NEG -> {
        if (c == '0') {
          state = State.ZERO;
          yield CONTINUE;
        }
        if (c >= '1' && c <= '9') {
          state = State.ONE;
          yield CONTINUE;
        }
        yield fail(c, "in numeric literal");
      }
      case ONE -> isDigit(c) ? CONTINUE : zero(c);
      case ZERO -> zero(c);
      case DOT -> {
        if (isDigit(c)) {
          state = State.DOT0;
          yield CONTINUE;
        }
        yield fail(c, "after decimal point in numeric literal");
      }
      case DOT0 -> {
        if (isDigit(c)) {
          yield CONTINUE;
        }
        if (c == 'e' || c == 'E') {
          state = State.E;
          yield CONTINUE;
        }
        yield endValue(c);
      }
      case E -> {
        if (c == '+' || c == '-') {
          state = State.E_SIGN;
          yield CONTINUE;
        }
        yield eSign(c);
      }
      case E_SIGN -> eSign(c);
      case E0 -> isDigit(c) ? CONTINUE : endValue(c);
      case T -> literal(c, 'r', State.TR, "in literal true (expecting 'r')");
      case TR -> literal(c, 'u', State.TRU, "in literal true (expecting 'u')");
      case TRU -> literal(c, 'e', State.END_VALUE, "in literal true (expecting 'e')");
      case F -> literal(c, 'a', State.FA, "in literal false (expecting 'a')");
      case FA -> literal(c, 'l', State.FAL, "in literal false (expecting 'l')");
      case FAL -> literal(c, 's', State.FALS, "in literal false (expecting 's')");
      case FALS -> literal(c, 'e', State.END_VALUE, "in literal false (expecting 'e')");
      case N -> literal(c, 'u', State.NU, "in literal null (expecting 'u')");
      case NU -> literal(c, 'l', State.NUL, "in literal null (expecting 'l')");
      case NUL -> literal(c, 'l', State.END_VALUE, "in literal null (expecting 'l')");
      case FAILED -> ERROR;
    };
  }

  private int beginValue(int c) {
    if (isSpace(c)) {
      return CONTINUE;
    }
    switch (c) {
      case '{' -> {
        state = State.BEGIN_STRING_OR_EMPTY;
        return push(c, OBJECT_KEY);
      }
      case '[' -> {
        state = State.BEGIN_VALUE_OR_EMPTY;
        return push(c, ARRAY_VALUE);
      }
      case '"' -> state = State.IN_STRING;
      case '-' -> state = State.NEG;
      case '0' -> state = State.ZERO;
      case 't' -> state = State.T;
      case 'f' -> state = State.F;
      case 'n' -> state = State.N;
      default -> {
        if (c >= '1' && c <= '9') {
          state = State.ONE;
        } else {
          return fail(c, "looking for beginning of value");
        }
      }
    }
    return CONTINUE;
  }

  private int beginString(int c) {
    if (isSpace(c)) {
      return CONTINUE;
    }
    if (c == '"') {
      state = State.IN_STRING;
      return CONTINUE;
    }
    return fail(c, "looking for beginning of object key string");
  }

  private int endValue(int c) {
    if (depth == 0) {
      state = State.END_TOP;
      endTop = true;
      return endTop(c);
    }
    if (isSpace(c)) {
      state = State.END_VALUE;
      return CONTINUE;
    }
    switch (stack[depth - 1]) {
      case OBJECT_KEY -> {
        if (c == ':') {
          stack[depth - 1] = OBJECT_VALUE;
          state = State.BEGIN_VALUE;
          return CONTINUE;
        }
        return fail(c, "after object key");
      }
      case OBJECT_VALUE -> {
        if (c == ',') {
          stack[depth - 1] = OBJECT_KEY;
          state = State.BEGIN_STRING;
          return CONTINUE;
        }
        if (c == '}') {
          pop();
          return END_COMPOSITE;
        }
        return fail(c, "after object key:value pair");
      }
      default -> {
        if (c == ',') {
          state = State.BEGIN_VALUE;
          return CONTINUE;
        }
        if (c == ']') {
          pop();
          return END_COMPOSITE;
        }
        return fail(c, "after array element");
      }
    }
  }

  /** After the top-level value: Go ends the value here and complains about a non-space byte on the next step. */
  private int endTop(int c) {
    if (!isSpace(c)) {
      fail(c, "after top-level value");
    }
    return END;
  }

  private int zero(int c) {
    if (c == '.') {
      state = State.DOT;
      return CONTINUE;
    }
    if (c == 'e' || c == 'E') {
      state = State.E;
      return CONTINUE;
    }
    return endValue(c);
  }

  private int eSign(int c) {
    if (isDigit(c)) {
      state = State.E0;
      return CONTINUE;
    }
    return fail(c, "in exponent of numeric literal");
  }

  private int hex(int c, State next) {
    if (isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      state = next;
      return CONTINUE;
    }
    return fail(c, "in \\u hexadecimal character escape");
  }

  private int literal(int c, char expected, State next, String context) {
    if (c == expected) {
      state = next;
      return CONTINUE;
    }
    return fail(c, context);
  }

  private int push(int c, byte parse) {
    if (depth == stack.length) {
      stack = java.util.Arrays.copyOf(stack, depth * 2);
    }
    stack[depth++] = parse;
    return depth <= MAX_DEPTH ? CONTINUE : fail(c, "exceeded max depth");
  }

  private void pop() {
    depth--;
    if (depth == 0) {
      state = State.END_TOP;
      endTop = true;
    } else {
      state = State.END_VALUE;
    }
  }

  private int fail(int c, String context) {
    state = State.FAILED;
    error = "invalid character " + quoteChar(c) + " " + context;
    return ERROR;
  }

  static boolean isSpace(int c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  /**
   * Go's quoteChar: the byte as a one-rune Go literal, {@code 'x'}, {@code '\''}, {@code '"'},
   * {@code '\n'}, {@code '\x00'}; a byte of 0x80 and up is read as the rune of that number.
   */
  static String quoteChar(int c) {
    if (c == '\'') {
      return "'\\''";
    }
    if (c == '"') {
      return "'\"'";
    }
    return "'" + GoQuote.escapeRune(c, '"') + "'";
  }
}
