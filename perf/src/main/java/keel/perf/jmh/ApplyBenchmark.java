package keel.perf.jmh;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import keel.server.statemachine.Applier;
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
 * The apply path: what the state machine does with one committed entry ({@link Applier#apply}, the
 * one dispatch switch, on the apply thread), and the serializable read beside it, on a store
 * holding {@link #keys} keys. No Raft, no decoding ({@link CommandEncodingBenchmark} has that), no
 * watchers ({@link WatchFanOutBenchmark}).
 *
 * <p>Writes overwrite existing keys picked at random (etcd's {@code benchmark put
 * --key-space-size}): each adds a revision to that key's history, so history is compacted before
 * every iteration (outside the measurement) to keep the heap and the space quota steady.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ApplyBenchmark {
  /** A power of two: the ring of prepared requests is indexed by a mask. */
  private static final int RING = 4096;

  /** Keys in the store before the first measurement. */
  @Param({"1000", "1000000"})
  public int keys;

  private Applier applier;
  private long index = 1;
  private int next;
  /** Prepared ahead so that a measurement holds the apply, not the building of a request. */
  private Command[] puts;
  private Command[] txns;
  private RangeRequest[] ranges;

  @Setup(Level.Trial)
  public void fill() {
    applier = KeySpace.newApplier();
    index = KeySpace.fill(applier, keys, index);
    Random random = new Random(KeySpace.SEED + 1);
    // A handful of values: the request bytes matter, not whether every one is unique.
    ByteString[] values = new ByteString[16];
    for (int i = 0; i < values.length; i++) {
      values[i] = KeySpace.value(random);
    }
    puts = new Command[RING];
    txns = new Command[RING];
    ranges = new RangeRequest[RING];
    for (int i = 0; i < RING; i++) {
      ByteString key = KeySpace.key(random.nextInt(keys));
      ByteString value = values[i % values.length];
      PutRequest put = PutRequest.newBuilder().setKey(key).setValue(value).build();
      puts[i] = Command.newBuilder().setPut(put).build();
      txns[i] = Command.newBuilder().setTxn(TxnRequest.newBuilder()
          // A guarded update: the compare reads the key index, the success branch writes.
          .addCompare(Compare.newBuilder().setKey(key)
              .setTarget(Compare.CompareTarget.VERSION).setResult(Compare.CompareResult.GREATER).setVersion(0))
          .addSuccess(RequestOp.newBuilder().setRequestPut(put)))
          .build();
      ranges[i] = RangeRequest.newBuilder().setKey(KeySpace.key(random.nextInt(keys))).build();
    }
    // The txn must take its success branch, or the benchmark would measure a read.
    if (!KeySpace.requireApplied(applier.apply(index++, KeySpace.TERM, txns[0])).getTxn().getSucceeded()) {
      throw new IllegalStateException("the benchmark txn's compare failed on a filled store");
    }
  }

  @Setup(Level.Iteration)
  public void compact() {
    index = KeySpace.compact(applier, index);
  }

  /** A quota or validation error would be measured silently: one more write per iteration checks. */
  @TearDown(Level.Iteration)
  public void stillWriting() {
    KeySpace.requireApplied(applier.apply(index++, KeySpace.TERM, puts[0]));
  }

  @Benchmark
  public CommandResult put() {
    return applier.apply(index++, KeySpace.TERM, puts[nextSlot()]);
  }

  @Benchmark
  public CommandResult txn() {
    return applier.apply(index++, KeySpace.TERM, txns[nextSlot()]);
  }

  /** A single-key serializable read, as the gRPC door serves it from the local store. */
  @Benchmark
  public RangeResponse range() {
    return applier.store().range(ranges[nextSlot()]);
  }

  private int nextSlot() {
    int slot = next;
    next = (slot + 1) & (RING - 1);
    return slot;
  }
}
