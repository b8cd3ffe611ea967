package keel.server.v2store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Go's {@code path.Clean(path.Join("/", p))} and {@code path.Split}, as the v2 store uses them
 * (and the HTTP side, for Go's redirect of unclean paths).
 */
public final class V2Paths {
  /**
   * Go compares strings bytewise; for UTF-8 that is code point order, which differs from
   * {@link String#compareTo} (UTF-16 units) only for supplementary characters.
   */
  static final Comparator<String> CODE_POINT_ORDER = V2Paths::compareCodePoints;

  private V2Paths() {}

  /** {@code path.Clean(path.Join("/", p))}: rooted, no empty, "." or ".." elements. */
  public static String clean(String p) {
    List<String> out = new ArrayList<>();
    for (String part : p.split("/", -1)) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!out.isEmpty()) {
          out.remove(out.size() - 1);
        }
        continue;
      }
      out.add(part);
    }
    return "/" + String.join("/", out);
  }

  /** {@code path.Join(dir, name)} for a clean rooted dir and a single element. */
  static String join(String dir, String name) {
    return dir.equals("/") ? "/" + name : dir + "/" + name;
  }

  /** The part of a clean rooted path before its last element, with the trailing slash. */
  static String dirOf(String cleanPath) {
    return cleanPath.substring(0, cleanPath.lastIndexOf('/') + 1);
  }

  /** The last element of a clean rooted path. */
  static String nameOf(String cleanPath) {
    return cleanPath.substring(cleanPath.lastIndexOf('/') + 1);
  }

  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
