package keel.agent.proxy;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Where the proxy sends a connection: the gated process of the current holder.
 *
 * @param target where the holder's gated process listens
 * @param token the holder's fencing token (its election key's create revision): two routes with the
 *     same target and token lead to the same holder
 * @param stillValid checked before each chunk the holder sends back; false once the holder may be
 *     deposed, and the proxy then cuts the connection. It is called on relay threads, often: keep it
 *     cheap and non-blocking.
 */
public record Route(InetSocketAddress target, long token, BooleanSupplier stillValid) {
  public Route {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(stillValid, "stillValid");
  }

  /** True when both lead to the same holder (same target and token; the validity check aside). */
  public boolean sameHolder(Route other) {
    return other != null && token == other.token && target.equals(other.target);
  }

  @Override
  public String toString() {
    return LeaderProxy.hostPort(target) + " (token " + token + ")";
  }
}
