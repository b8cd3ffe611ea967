package keel.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The records the built-in gated process writes about itself ({@code start <nanos> <pid> <node>},
 * {@code req <nanos> <node> <path>}, {@code stop <nanos> <node>}, System.nanoTime(), which is
 * CLOCK_MONOTONIC and so comparable across the processes of one machine), read back as one
 * {@link Instance} per process run, and the one safety property they must show: no two gated
 * processes ran at once.
 */
final class GateRecords {
  /**
   * One run of the gated process. {@code end} is its stop record or, for a process killed with
   * SIGKILL (which writes nothing), the time the test saw it gone; empty while it runs.
   */
  record Instance(String node, long pid, long start, OptionalLong end, List<Long> requests) {
    long endOr(long whenRunning) {
      return end.orElse(whenRunning);
    }

    @Override
    public String toString() {
      return node + " pid " + pid + " [" + start + ", " + (end.isPresent() ? end.getAsLong() : "running")
          + "] " + requests.size() + " requests";
    }

    boolean overlaps(Instance other, long now) {
      return start < other.endOr(now) && other.start < endOr(now);
    }
  }

  private GateRecords() {}

  /** Every run recorded in {@code file}; {@code deaths} gives pid -> when a killed process was seen gone. */
  static List<Instance> read(Path file, Map<Long, Long> deaths) throws IOException {
    List<Instance> runs = new ArrayList<>();
    if (!Files.exists(file)) {
      return runs;
    }
    String node = null;
    long pid = 0;
    long start = 0;
    Long stop = null;
    List<Long> requests = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String[] f = line.split(" ");
      switch (f[0]) {
        case "start" -> {
          if (node != null) {
            runs.add(run(node, pid, start, stop, requests, deaths));
          }
          start = Long.parseLong(f[1]);
          pid = Long.parseLong(f[2]);
          node = f[3];
          stop = null;
          requests = new ArrayList<>();
        }
        case "req" -> requests.add(Long.parseLong(f[1]));
        case "stop" -> stop = Long.parseLong(f[1]);
        default -> { } // a partly written last line of a killed process
      }
    }
    if (node != null) {
      runs.add(run(node, pid, start, stop, requests, deaths));
    }
    return runs;
  }

  private static Instance run(String node, long pid, long start, Long stop, List<Long> requests,
      Map<Long, Long> deaths) {
    OptionalLong end = stop != null ? OptionalLong.of(stop)
        : deaths.containsKey(pid) ? OptionalLong.of(deaths.get(pid))
        : ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent() ? OptionalLong.empty()
        : OptionalLong.of(requests.isEmpty() ? start : requests.get(requests.size() - 1));
    return new Instance(node, pid, start, end, List.copyOf(requests));
  }

  /** Pairs of runs that overlapped in time, leaving out {@code exemptPid} (the frozen one). */
  static List<String> overlaps(List<Instance> runs, long exemptPid, long now) {
    List<Instance> sorted = new ArrayList<>(runs);
    sorted.sort(Comparator.comparingLong(Instance::start));
    List<String> found = new ArrayList<>();
    for (int i = 0; i < sorted.size(); i++) {
      for (int j = i + 1; j < sorted.size(); j++) {
        Instance a = sorted.get(i);
        Instance b = sorted.get(j);
        if (a.pid() != exemptPid && b.pid() != exemptPid && a.overlaps(b, now)) {
          found.add(a + " overlaps " + b);
        }
      }
    }
    return found;
  }
}
