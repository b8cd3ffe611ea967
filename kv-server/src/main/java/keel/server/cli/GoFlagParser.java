package keel.server.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command-line syntax of Go's {@code flag} package, which etcd uses, with its error texts:
 * {@code -flag}, {@code --flag}, {@code -flag=value}, {@code -flag value}; a boolean flag takes
 * a value only as {@code -flag=value}; {@code --} or the first non-flag argument ends the flags;
 * {@code -h} and {@code -help} ask for help. A flag given twice keeps its last value.
 */
final class GoFlagParser {
  /**
   * What was on the command line.
   *
   * @param values flag name to raw value, in first-given order (booleans without a value: "true")
   * @param rest   arguments after the flags (etcd refuses any)
   * @param help   {@code -h} or {@code -help} was given; parsing stopped there
   */
  record Parsed(Map<String, String> values, List<String> rest, boolean help) {}

  private final Map<String, EtcdFlag> flags;

  GoFlagParser(Map<String, EtcdFlag> flags) {
    this.flags = flags;
  }

  /** @throws CliException (exit code 2) with Go's text for the first bad argument */
  Parsed parse(List<String> args) {
    Map<String, String> values = new LinkedHashMap<>();
    int i = 0;
    while (i < args.size()) {
      String s = args.get(i);
      if (s.length() < 2 || s.charAt(0) != '-') {
        break;
      }
      int minuses = 1;
      if (s.charAt(1) == '-') {
        minuses = 2;
        if (s.length() == 2) { // "--" ends the flags
          i++;
          break;
        }
      }
      String name = s.substring(minuses);
      if (name.isEmpty() || name.charAt(0) == '-' || name.charAt(0) == '=') {
        throw CliException.usage("bad flag syntax: " + s);
      }
      i++;
      String value = null;
      int eq = name.indexOf('=', 1);
      if (eq > 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      EtcdFlag flag = flags.get(name);
      if (flag == null) {
        if (name.equals("help") || name.equals("h")) {
          return new Parsed(values, List.of(), true);
        }
        throw CliException.usage("flag provided but not defined: -" + name);
      }
      if (flag.kind().isBool()) {
        if (value == null) {
          value = "true";
        } else if (flag.check(value) != null) {
          throw CliException.usage("invalid boolean value \"" + value + "\" for -" + name + ": "
              + flag.check(value));
        }
      } else {
        if (value == null && i < args.size()) {
          value = args.get(i++);
        }
        if (value == null) {
          throw CliException.usage("flag needs an argument: -" + name);
        }
        String error = flag.check(value);
        if (error != null) {
          throw CliException.usage(
              "invalid value \"" + value + "\" for flag -" + name + ": " + error);
        }
      }
      values.put(name, value);
    }
    return new Parsed(values, new ArrayList<>(args.subList(i, args.size())), false);
  }
}
