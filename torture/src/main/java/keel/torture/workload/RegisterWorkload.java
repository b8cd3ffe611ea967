package keel.torture.workload;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import keel.torture.history.History;
import keel.torture.history.Op;
import keel.torture.history.Result;

/**
 * Jepsen's register workload: client processes, each bound to one member, do linearizable and
 * serializable gets, puts and compare-and-sets on a small group of keys under {@link #PREFIX}.
 * Every value is unique, so a read names the write it saw. After {@code opsPerGroup} operations
 * the group retires and the next keys take over, which keeps each key's history short enough for
 * an exhaustive linearizability search.
 *
 * <p>Outcomes: a read that errs is FAIL (it changed nothing); a write or CAS that errs or times out
 * is INFO (it may still commit); a CAS whose compare failed is OK with {@code succeeded=false}.
 */
public final class RegisterWorkload implements AutoCloseable {
  public static final String PREFIX = "reg/";

  private final Clients clients;
  private final History history;
  private final Settings settings;
  private final AtomicLong ops = new AtomicLong();
  private ClientThreads threads;
  /** A recently seen value per key: CAS compares against it, so that many of them swap. */
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
  private volatile boolean stopping;

  /**
   * @param processes client processes, spread over the members round-robin
   * @param keysPerGroup keys in use at once
   * @param opsPerGroup operations before the next group of keys takes over
   * @param timeout how long one operation may take before it is recorded as INFO (writes) or FAIL
   * @param pause the pause between one process's operations (paces the load)
   */
  public record Settings(int processes, int keysPerGroup, int opsPerGroup, Duration timeout, Duration pause) {
    public static Settings defaults() {
      return new Settings(10, 4, 800, Duration.ofSeconds(2), Duration.ofMillis(10));
    }
  }

  public RegisterWorkload(Clients clients, History history, Settings settings) {
    this.clients = clients;
    this.history = history;
    this.settings = settings;
  }

  public History history() {
    return history;
  }

  public void start(long seed) {
    threads = new ClientThreads("register", settings.processes(), seed, this::run);
  }

  private void run(int process, SplittableRandom random) {
    int member = process % clients.size();
    KV kv = clients.member(member).getKVClient();
    String endpoint = clients.endpoint(member);
    long seq = 0;
    while (!stopping) {
      long n = ops.getAndIncrement();
      String key = PREFIX + (n / settings.opsPerGroup()) + "/" + random.nextInt(settings.keysPerGroup());
      long value = (process + 1) * 1_000_000_000L + (++seq);
      int dice = random.nextInt(100);
      if (dice < 30) {
        read(kv, process, Op.read(key, endpoint), false);
      } else if (dice < 45) {
        read(kv, process, Op.serialRead(key, endpoint), true);
      } else if (dice < 75) {
        write(kv, process, Op.write(key, value, endpoint));
      } else {
        Long expected = random.nextInt(4) == 0 ? null : lastSeen.get(key);
        cas(kv, process, Op.cas(key, expected, value, endpoint));
      }
      LockSupport.parkNanos(settings.pause().toNanos());
    }
  }

  private void read(KV kv, int process, Op op, boolean serializable) {
    History.Invocation call = history.invoke(process, op);
    try {
      GetResponse r = kv.get(bytes(op.key()), GetOption.builder().withSerializable(serializable).build())
          .get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
      long revision = r.getHeader().getRevision();
      if (r.getKvs().isEmpty()) {
        call.ok(Result.read(null, revision, 0));
      } else {
        KeyValue kvp = r.getKvs().get(0);
        long value = Long.parseLong(kvp.getValue().toString(StandardCharsets.UTF_8));
        lastSeen.put(op.key(), value);
        call.ok(Result.read(value, revision, kvp.getModRevision()));
      }
    } catch (Exception e) {
      call.fail(describe(e));
    }
  }

  private void write(KV kv, int process, Op op) {
    History.Invocation call = history.invoke(process, op);
    try {
      long revision = kv.put(bytes(op.key()), bytes(Long.toString(op.value())), PutOption.DEFAULT)
          .get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS).getHeader().getRevision();
      lastSeen.put(op.key(), op.value());
      call.ok(Result.written(revision));
    } catch (Exception e) {
      call.info(describe(e));
    }
  }

  private void cas(KV kv, int process, Op op) {
    History.Invocation call = history.invoke(process, op);
    ByteSequence key = bytes(op.key());
    Cmp compare = op.expected() == null
        ? new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0))
        : new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(Long.toString(op.expected()))));
    try {
      TxnResponse r = kv.txn().If(compare)
          .Then(io.etcd.jetcd.op.Op.put(key, bytes(Long.toString(op.value())), PutOption.DEFAULT))
          .commit().get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
      if (r.isSucceeded()) {
        lastSeen.put(op.key(), op.value());
      }
      call.ok(Result.cas(r.isSucceeded(), r.getHeader().getRevision()));
    } catch (Exception e) {
      call.info(describe(e));
    }
  }

  /** Operations started so far. */
  public long operations() {
    return ops.get();
  }

  /** Stops every process after its current operation; returns when all have stopped. */
  @Override
  public void close() throws InterruptedException {
    stopping = true;
    if (threads != null) {
      threads.join(settings.timeout().toMillis() * 3);
    }
  }

  public static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  static String describe(Exception e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    if (e instanceof TimeoutException) {
      return "timeout";
    }
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message.lines().findFirst().orElse(""));
  }
}
