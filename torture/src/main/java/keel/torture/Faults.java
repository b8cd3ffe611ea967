package keel.torture;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import keel.torture.nemesis.ClockFault;
import keel.torture.nemesis.DelayFault;
import keel.torture.nemesis.Fault;
import keel.torture.nemesis.LeaderTransferFault;
import keel.torture.nemesis.NetworkFault;
import keel.torture.nemesis.ProcessFault;

/** The fault kinds by name, as {@code --faults} takes them. */
public final class Faults {
  private static final Map<String, Supplier<Fault>> KINDS = new LinkedHashMap<>();

  static {
    KINDS.put("kill", ProcessFault::kill);
    KINDS.put("pause", ProcessFault::pause);
    KINDS.put("transfer", LeaderTransferFault::new);
    KINDS.put("isolate-leader", NetworkFault::isolateLeader);
    KINDS.put("split", NetworkFault::split);
    KINDS.put("bridge", NetworkFault::bridge);
    KINDS.put("lossy", NetworkFault::lossy);
    KINDS.put("delay", DelayFault::new);
    KINDS.put("clock", ClockFault::new);
  }

  /** The faults that need no network namespaces (kill, pause, transfer, clock). */
  public static final List<String> LOCAL = List.of("kill", "pause", "transfer", "clock");

  private Faults() {}

  /** Whether these faults need the members in network namespaces. */
  public static boolean needNetns(List<String> names) {
    return names.stream().anyMatch(n -> !LOCAL.contains(n));
  }

  public static List<String> names() {
    return List.copyOf(KINDS.keySet());
  }

  public static List<Fault> of(List<String> names) {
    List<Fault> faults = new ArrayList<>();
    for (String name : names) {
      Supplier<Fault> kind = KINDS.get(name);
      if (kind == null) {
        throw new IllegalArgumentException("unknown fault '" + name + "'; known: " + String.join(", ", names()));
      }
      faults.add(kind.get());
    }
    return faults;
  }
}
