package keel.server.cli;

import java.math.BigInteger;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One etcd 3.4 server flag: its name (without dashes), how Go's flag package reads its value,
 * and what Keel does with it.
 *
 * @param name       etcd's flag name, e.g. {@code initial-cluster}
 * @param kind       the Go type behind the flag; decides whether it takes a value and which
 * @param support    whether Keel uses, ignores or refuses it
 * @param defaultValue etcd's default as text ({@code ""} for none); for {@link Support#ONLY_DEFAULT}
 *                   the one value Keel accepts
 * @param choices    the accepted values of a {@link Kind#CHOICE} flag, else empty
 * @param usage      one line for {@code --help}; empty for flags Keel does not use
 */
record EtcdFlag(String name, Kind kind, Support support, String defaultValue, List<String> choices,
    String usage) {

  /** What Keel does with a flag. */
  enum Support {
    /** Mapped onto {@link keel.server.ServerConfig}. */
    USED,
    /** Accepted with any well-formed value, named in the one "ignoring" warning. */
    IGNORED,
    /** Accepted (and warned about) only with etcd's default; any other value is refused. */
    ONLY_DEFAULT
  }

  /** The Go types behind etcd's flags, with the errors Go's flag package gives for bad values. */
  enum Kind {
    STRING, BOOL, UINT, UINT32, INT, INT64, DURATION, URLS, CHOICE,
    /** etcd's {@code flags.IgnoredFlag}: boolean syntax, any value. */
    OBSOLETE;

    boolean isBool() {
      return this == BOOL || this == OBSOLETE;
    }
  }

  private static final Pattern DURATION =
      Pattern.compile("[-+]?(0|([0-9]*(\\.[0-9]*)?(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)");
  private static final List<String> BOOL_TRUE = List.of("1", "t", "T", "TRUE", "true", "True");
  private static final List<String> BOOL_FALSE = List.of("0", "f", "F", "FALSE", "false", "False");
  private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  static EtcdFlag used(String name, Kind kind, String defaultValue, String usage) {
    return new EtcdFlag(name, kind, Support.USED, defaultValue, List.of(), usage);
  }

  static EtcdFlag ignored(String name, Kind kind) {
    return new EtcdFlag(name, kind, Support.IGNORED, "", List.of(), "");
  }

  static EtcdFlag onlyDefault(String name, Kind kind, String defaultValue) {
    return new EtcdFlag(name, kind, Support.ONLY_DEFAULT, defaultValue, List.of(), "");
  }

  EtcdFlag withChoices(String... valid) {
    return new EtcdFlag(name, Kind.CHOICE, support, defaultValue, List.of(valid), usage);
  }

  /** {@code --name}, as Keel's messages spell flags. */
  String display() {
    return "--" + name;
  }

  /** {@code ETCD_INITIAL_CLUSTER} for {@code initial-cluster}: etcd's {@code flags.FlagToEnv}. */
  String envName() {
    return "ETCD_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
  }

  /**
   * Checks a value as the flag's Go {@code Set} would, returning Go's error text or null.
   * The caller wraps it as Go does ({@code invalid value "x" for flag -name: <error>}).
   */
  String check(String value) {
    return switch (kind) {
      case STRING, OBSOLETE -> null;
      case BOOL -> BOOL_TRUE.contains(value) || BOOL_FALSE.contains(value) ? null : "parse error";
      case UINT -> checkInteger(value, BigInteger.ZERO, UINT64_MAX);
      case UINT32 -> checkInteger(value, BigInteger.ZERO, BigInteger.valueOf(0xFFFF_FFFFL));
      case INT, INT64 -> checkInteger(value, BigInteger.valueOf(Long.MIN_VALUE),
          BigInteger.valueOf(Long.MAX_VALUE));
      case DURATION -> DURATION.matcher(value).matches() ? null : "parse error";
      case CHOICE -> choices.contains(value) ? null : "invalid value";
      case URLS -> {
        if (value.isEmpty()) {
          yield null; // etcd's UniqueURLs allows "" and keeps the default
        }
        try {
          EtcdUrls.parse(value);
          yield null;
        } catch (IllegalArgumentException e) {
          yield e.getMessage();
        }
      }
    };
  }

  /** True for the boolean spellings Go reads as true; call only after {@link #check}. */
  static boolean isTrue(String value) {
    return BOOL_TRUE.contains(value);
  }

  /**
   * Go's {@code strconv.ParseInt/ParseUint(s, 0, 64)}: an optional sign, then decimal, or
   * {@code 0x}, {@code 0o}, {@code 0b} or a leading {@code 0} (octal), underscores allowed
   * after a prefix.
   */
  static BigInteger parseGoInteger(String text) {
    String s = text;
    boolean negative = false;
    if (s.startsWith("+") || s.startsWith("-")) {
      negative = s.startsWith("-");
      s = s.substring(1);
    }
    int radix = 10;
    String lower = s.toLowerCase(java.util.Locale.ROOT);
    if (lower.startsWith("0x")) {
      radix = 16;
      s = s.substring(2);
    } else if (lower.startsWith("0o")) {
      radix = 8;
      s = s.substring(2);
    } else if (lower.startsWith("0b")) {
      radix = 2;
      s = s.substring(2);
    } else if (s.length() > 1 && s.startsWith("0")) {
      radix = 8;
      s = s.substring(1);
    }
    if (radix != 10) {
      s = s.replace("_", "");
    }
    if (s.isEmpty() || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      throw new NumberFormatException(text);
    }
    BigInteger value = new BigInteger(s, radix);
    return negative ? value.negate() : value;
  }

  private static String checkInteger(String value, BigInteger min, BigInteger max) {
    BigInteger n;
    try {
      n = parseGoInteger(value);
    } catch (NumberFormatException e) {
      return "parse error";
    }
    if (min.signum() == 0 && value.startsWith("-")) {
      return "parse error"; // ParseUint refuses any sign
    }
    return n.compareTo(min) < 0 || n.compareTo(max) > 0 ? "value out of range" : null;
  }
}
