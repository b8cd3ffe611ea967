package keel.perf.jmh;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import keel.server.command.Command;
import keel.server.lease.Lessor;
import keel.server.statemachine.Applier;
import keel.server.watch.WatchHub;
import keel.server.watch.WatchSpec;
import keel.server.watch.WatchUpdate;
import keel.server.watch.Watcher;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Watch fan-out: one applied put on a key that {@link #watchers} watchers watch, from the apply
 * thread's {@link WatchHub#publish} (inside {@link Applier#apply}) to every watcher's update taken
 * off its queue, as each watch stream would take it. The hub runs on its own thread, as in a
 * member; the measuring thread waits for the last delivery, so an operation is the whole fan-out,
 * not only the apply thread's non-blocking offer.
 *
 * <p>Not measured: turning updates into WatchResponses and writing them to HTTP/2 streams
 * ({@code WatchStream}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WatchFanOutBenchmark {
  /** How long the setup waits for the hub to register every watcher. */
  private static final long REGISTER_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
  /** A fan-out that takes this long is stuck: failing beats hanging the run. */
  private static final long DELIVERY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

  /** Watchers on the one key every put writes. */
  @Param({"1", "1000"})
  public int watchers;

  private Applier applier;
  private WatchHub hub;
  private final List<Watcher> all = new ArrayList<>();
  /** Updates the hub has queued, over all watchers (the hub thread counts, the measuring thread reads). */
  private final AtomicLong delivered = new AtomicLong();
  private long expected;
  private Command put;
  private long index = 1;

  @Setup(Level.Trial)
  public void watch() {
    hub = new WatchHub("jmh", WatchHub.Settings.DEFAULTS, () -> applier.store());
    applier = new Applier(KeySpace.settings(), Lessor.Listener.NONE, hub, Applier.newV2Store(1, Runnable::run));
    ByteString key = KeySpace.key(0);
    put = Command.newBuilder()
        .setPut(PutRequest.newBuilder().setKey(key).setValue(KeySpace.value(new Random(KeySpace.SEED))))
        .build();
    // The key exists, so each event carries a prev_kv the hub strips for watchers that did not ask.
    KeySpace.requireApplied(applier.apply(index++, KeySpace.TERM, put));
    long from = applier.store().currentRevision() + 1;
    for (int id = 0; id < watchers; id++) {
      Watcher w = hub.watcher(id, new WatchSpec(key, ByteString.EMPTY, from, false, false, false), false,
          delivered::incrementAndGet);
      all.add(w);
      hub.start(w);
    }
    awaitSynced();
  }

  @Setup(Level.Iteration)
  public void compact() {
    index = KeySpace.compact(applier, index);
  }

  @TearDown(Level.Trial)
  public void close() {
    all.forEach(hub::cancel);
    hub.close();
  }

  /** @return the events taken, so that nothing is optimised away */
  @Benchmark
  public int putAndDeliver() {
    applier.apply(index++, KeySpace.TERM, put);
    expected += watchers;
    awaitDelivered();
    int events = 0;
    for (Watcher w : all) {
      WatchUpdate update = w.poll();
      if (update == null) {
        // a watcher that fell behind catches up from history: not the path this measures
        throw new IllegalStateException("watcher " + w.id() + " got no update for its put");
      }
      events += update.events().size();
    }
    return events;
  }

  /**
   * Spins briefly (a fan-out to a few watchers takes microseconds), then yields: on a machine with
   * two cores the hub thread may need this one's core to finish.
   */
  private void awaitDelivered() {
    int spins = 0;
    long deadline = 0;
    while (delivered.get() < expected) {
      if (++spins < 1_000) {
        Thread.onSpinWait();
        continue;
      }
      // past the spinning, a clock read per round costs little beside the yield
      long now = System.nanoTime();
      if (deadline == 0) {
        deadline = now + DELIVERY_TIMEOUT_NANOS;
      } else if (now - deadline > 0) {
        throw new IllegalStateException((expected - delivered.get()) + " updates not delivered in time");
      }
      Thread.yield();
    }
  }

  /** Registration is an action on the hub's thread: measurements start once it has run for all. */
  private void awaitSynced() {
    long deadline = System.nanoTime() + REGISTER_TIMEOUT_NANOS;
    while (hub.syncedCount() < watchers) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(hub.syncedCount() + " of " + watchers + " watchers registered in time");
      }
      Thread.yield();
    }
  }
}
