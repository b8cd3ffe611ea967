package keel.agent;

import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is wrong with this node right now, by area ("hosts file", "registration", ...): each
 * problem is logged once when it appears or changes (not on every retry), and cleared when that
 * area works again. {@code keel demo status} and the tests read it through {@link Agent#problems()}.
 */
public final class AgentProblems {
  private static final Logger LOG = LoggerFactory.getLogger(AgentProblems.class);

  private final String node;
  private final Map<String, String> current = new TreeMap<>();

  public AgentProblems(String node) {
    this.node = node;
  }

  /** Records {@code message} for {@code area}, logging it at ERROR unless it is already known. */
  public synchronized void report(String area, String message) {
    if (!message.equals(current.put(area, message))) {
      LOG.error("{}: {}: {}", node, area, message);
    }
  }

  /** {@code area} works (again). */
  public synchronized void clear(String area) {
    if (current.remove(area) != null) {
      LOG.info("{}: {}: back to normal", node, area);
    }
  }

  public synchronized Map<String, String> snapshot() {
    return Map.copyOf(current);
  }
}
