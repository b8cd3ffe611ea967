package keel.agent.hosts;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One line of a hosts table: an address and the names it answers to, canonical name first.
 *
 * @param ip the address as text (IPv4 or IPv6), e.g. {@code 172.28.0.11}
 * @param names the canonical name first, then aliases; at least one
 */
public record HostEntry(String ip, List<String> names) {

  /** Checks that every part is one non-empty word that a hosts file can hold. */
  public HostEntry {
    Objects.requireNonNull(ip, "ip");
    Objects.requireNonNull(names, "names");
    names = List.copyOf(names);
    checkWord("ip", ip);
    if (names.isEmpty()) {
      throw new IllegalArgumentException("host entry for " + ip + " has no names; give at least one");
    }
    for (String name : names) {
      checkWord("host name for " + ip, name);
    }
  }

  /** An entry with a canonical name and optional aliases. */
  public static HostEntry of(String ip, String name, String... aliases) {
    List<String> names = new ArrayList<>(1 + aliases.length);
    names.add(name);
    names.addAll(List.of(aliases));
    return new HostEntry(ip, names);
  }

  /** The canonical name: the first of {@link #names()}. */
  public String name() {
    return names.get(0);
  }

  /** The line as it stands in the hosts file: {@code <ip> <name> [aliases...]}. */
  public String line() {
    return ip + " " + String.join(" ", names);
  }

  private static void checkWord(String what, String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c) || c == '#') {
        throw new IllegalArgumentException(
            what + " '" + value + "' contains whitespace, a control character or '#', which a"
                + " hosts file cannot hold in one field");
      }
    }
  }
}
