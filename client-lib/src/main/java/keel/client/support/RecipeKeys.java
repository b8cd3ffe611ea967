package keel.client.support;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Key names of etcd's concurrency recipes (Go {@code concurrency.Election}, {@code Mutex}, used by
 * {@code etcdctl elect}/{@code lock} and the v3election/v3lock services): a recipe named {@code
 * name} keeps its contenders under the prefix {@code name + "/"}, one key per session, {@code
 * name/<lease id in lower-case hex>} (Go's {@code fmt.Sprintf("%s%x", pfx, lease)}).
 */
public final class RecipeKeys {
  private static final ByteSequence SLASH = ByteSequence.from("/", StandardCharsets.UTF_8);

  private RecipeKeys() {}

  /**
   * {@code name}, checked: a recipe needs one that is not empty ({@code what} names the recipe in the
   * error, e.g. "an election").
   */
  public static ByteSequence requireName(ByteSequence name, String what) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException(what + " needs a non-empty name");
    }
    return name;
  }

  /** {@code name + "/"}: the prefix every contender's key lives under. */
  public static ByteSequence prefix(ByteSequence name) {
    return name.concat(SLASH);
  }

  /** {@code name/<lease hex>}: the key of the contender holding {@code leaseId}. */
  public static ByteSequence key(ByteSequence name, long leaseId) {
    return prefix(name).concat(ByteSequence.from(hex(leaseId), StandardCharsets.UTF_8));
  }

  /** Go's {@code %x} of an int64: lower-case hex, a minus sign for negative values. */
  public static String hex(long leaseId) {
    return leaseId < 0 ? "-" + Long.toHexString(-leaseId) : Long.toHexString(leaseId);
  }
}
