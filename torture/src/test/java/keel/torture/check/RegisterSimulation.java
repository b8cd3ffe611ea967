package keel.torture.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import keel.torture.history.Call;
import keel.torture.history.Event;
import keel.torture.history.History;
import keel.torture.history.Op;
import keel.torture.history.Result;

/**
 * Generates register histories that are linearizable by construction: concurrent clients whose
 * operations take effect on one real, sequential register per key at a point inside their
 * interval. Some writes FAIL (no effect), some end INFO with or without effect (the effect may
 * even come after the INFO), some never complete; a client that got INFO continues as a new
 * process, as in Jepsen. Reads are linearizable except a share of serializable ones (which here
 * read the current value, so they are also valid for {@link SerialReads}).
 */
final class RegisterSimulation {
  private enum Fate { OK, FAIL, INFO_APPLIED, INFO_LATE, INFO_NOT_APPLIED, NEVER_COMPLETES }

  private enum Phase { INVOKED, APPLIED }

  private static final class Client {
    int process;
    int remaining;
    Phase phase;
    History.Invocation call;
    Fate fate;
    Result result;
  }

  private final SplittableRandom random;
  private final List<String> keys;
  private final Map<String, Long> register = new HashMap<>();
  private final Map<String, Long> modRevision = new HashMap<>();
  private final List<Long> written = new ArrayList<>();
  private final List<Runnable> lateEffects = new ArrayList<>();
  private long revision = 1;
  private long nextValue = 1;
  private long now;

  private final boolean faults;

  private RegisterSimulation(long seed, boolean faults, List<String> keys) {
    this.random = new SplittableRandom(seed);
    this.faults = faults;
    this.keys = keys;
  }

  /** {@code clients} concurrent clients doing {@code callsPerClient} calls each on {@code keys}. */
  static List<Call> run(long seed, int clients, int callsPerClient, String... keys) {
    return new RegisterSimulation(seed, true, List.of(keys)).simulate(clients, callsPerClient);
  }

  /** As {@link #run}, but every call completes OK. */
  static List<Call> runWithoutFaults(long seed, int clients, int callsPerClient, String... keys) {
    return new RegisterSimulation(seed, false, List.of(keys)).simulate(clients, callsPerClient);
  }

  private List<Call> simulate(int clients, int callsPerClient) {
    History history = new History(() -> now);
    List<Client> active = new ArrayList<>();
    int nextProcess = 0;
    for (int i = 0; i < clients; i++) {
      Client c = new Client();
      c.process = nextProcess++;
      c.remaining = callsPerClient;
      active.add(c);
    }
    while (!active.isEmpty()) {
      now += 1 + random.nextInt(1_000_000);
      if (!lateEffects.isEmpty() && random.nextInt(20) == 0) {
        lateEffects.remove(random.nextInt(lateEffects.size())).run();
      }
      Client c = active.get(random.nextInt(active.size()));
      if (c.call == null) {
        if (c.remaining == 0) {
          active.remove(c);
          continue;
        }
        c.remaining--;
        c.call = history.invoke(c.process, randomOp());
        c.fate = fate(c.call.event().op());
        c.phase = Phase.INVOKED;
      } else if (c.phase == Phase.INVOKED) {
        c.result = switch (c.fate) {
          case OK, INFO_APPLIED, NEVER_COMPLETES -> apply(c.call.event().op());
          case INFO_LATE -> {
            Op op = c.call.event().op();
            lateEffects.add(() -> apply(op));
            yield null;
          }
          case FAIL, INFO_NOT_APPLIED -> null;
        };
        c.phase = Phase.APPLIED;
      } else {
        switch (c.fate) {
          case OK -> c.call.ok(c.result);
          case FAIL -> c.call.fail("etcdserver: request timed out");
          case INFO_APPLIED, INFO_LATE, INFO_NOT_APPLIED -> c.call.info("deadline exceeded");
          case NEVER_COMPLETES -> { }
        }
        if (c.fate != Fate.OK && c.fate != Fate.FAIL) {
          c.process = nextProcess++;
        }
        c.call = null;
      }
    }
    return history.calls();
  }

  private Op randomOp() {
    String key = keys.get(random.nextInt(keys.size()));
    int dice = random.nextInt(100);
    if (dice < 40) {
      return Op.read(key, TestHistory.M1);
    } else if (dice < 45) {
      return Op.serialRead(key, TestHistory.M1);
    } else if (dice < 75) {
      return Op.write(key, nextValue++, TestHistory.M1);
    }
    Long expected = register.get(key);
    if (random.nextInt(10) < 3) {
      expected = written.isEmpty() || random.nextInt(4) == 0 ? null : written.get(random.nextInt(written.size()));
    }
    return Op.cas(key, expected, nextValue++, TestHistory.M1);
  }

  private Fate fate(Op op) {
    int dice = random.nextInt(100);
    if (!faults) {
      return Fate.OK;
    }
    if (op.isRead()) {
      return dice < 3 ? Fate.INFO_NOT_APPLIED : Fate.OK;
    }
    if (dice < 85) {
      return Fate.OK;
    }
    return switch (dice % 5) {
      case 0 -> Fate.FAIL;
      case 1 -> Fate.INFO_APPLIED;
      case 2 -> Fate.INFO_LATE;
      case 3 -> Fate.INFO_NOT_APPLIED;
      default -> Fate.NEVER_COMPLETES;
    };
  }

  /** Takes effect now on the real register. */
  private Result apply(Op op) {
    Long current = register.get(op.key());
    return switch (op.kind()) {
      case READ, SERIAL_READ -> Result.read(current, revision, current == null ? 0 : modRevision.get(op.key()));
      case WRITE -> Result.written(set(op.key(), op.value()));
      case CAS -> {
        boolean swapped = java.util.Objects.equals(current, op.expected());
        yield Result.cas(swapped, swapped ? set(op.key(), op.value()) : revision);
      }
    };
  }

  private long set(String key, long value) {
    revision++;
    register.put(key, value);
    modRevision.put(key, revision);
    written.add(value);
    return revision;
  }

  /** {@code calls} with the result of {@code read} (an OK READ) replaced by a read of {@code value}. */
  static List<Call> withReadValue(List<Call> calls, Call read, Long value) {
    List<Call> changed = new ArrayList<>(calls.size());
    for (Call c : calls) {
      if (c == read) {
        Event done = c.completion();
        Result r = c.result();
        c = new Call(c.invoke(), new Event(done.index(), done.nanos(), done.process(), done.type(),
            done.op(), Result.read(value, r.revision(), r.modRevision())));
      }
      changed.add(c);
    }
    return changed;
  }
}
