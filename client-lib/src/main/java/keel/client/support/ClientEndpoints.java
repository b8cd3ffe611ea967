package keel.client.support;

import io.etcd.jetcd.Client;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Names a jetcd client's endpoints for error messages. jetcd 0.8 keeps its target (e.g. {@code
 * ip:///127.0.0.1:2379,127.0.0.1:22379}) inside its package-private connection manager and offers no
 * getter; this reads it reflectively, best effort, and falls back to a plain description.
 */
public final class ClientEndpoints {
  private ClientEndpoints() {}

  /** The client's target, e.g. {@code ip:///127.0.0.1:2379,127.0.0.1:22379}, or a fallback text. */
  public static String describe(Client client) {
    try {
      Field manager = client.getClass().getDeclaredField("connectionManager");
      manager.setAccessible(true);
      Object connectionManager = manager.get(client);
      Method builder = connectionManager.getClass().getDeclaredMethod("builder");
      builder.setAccessible(true);
      Object clientBuilder = builder.invoke(connectionManager);
      Object target = clientBuilder.getClass().getMethod("target").invoke(clientBuilder);
      if (target != null) {
        return target.toString();
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      // fall through: the description is only for a message
    }
    return "the jetcd client's endpoints (" + client.getClass().getName() + ")";
  }
}
