package keel.perf.jmh;

import com.google.protobuf.ByteString;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.grpc.GrpcClients;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The gRPC door: one unary Put or Range, from a gRPC client's call to its answer, over HTTP/2 (h2c)
 * on loopback, through Keel's KV service as a member serves it, with Raft replaced by an in-place
 * apply ({@link LocalKvDoor} says why). One client, one call at a time: the cost of a call, not
 * the door's throughput. Client and server share the JVM and, on a small machine, the cores.
 *
 * <p>The client is Armeria's gRPC client with the generated etcd stubs, a plain gRPC client
 * (jetcd would add its own retry and executor layers to every call).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GrpcDoorBenchmark {
  /** A small store: the store's size is ApplyBenchmark's question, not the door's. */
  private static final int KEYS = 1000;
  private static final int RING = 1024;

  private LocalKvDoor door;
  private ClientFactory clients;
  private KVGrpc.KVBlockingStub kv;
  private PutRequest[] puts;
  private RangeRequest[] ranges;
  private int next;

  @Setup(Level.Trial)
  public void start() {
    door = LocalKvDoor.start(KEYS);
    clients = ClientFactory.builder().build();
    kv = GrpcClients.builder(door.uri()).factory(clients).build(KVGrpc.KVBlockingStub.class);
    Random random = new Random(KeySpace.SEED + 2);
    ByteString value = KeySpace.value(random);
    puts = new PutRequest[RING];
    ranges = new RangeRequest[RING];
    for (int i = 0; i < RING; i++) {
      puts[i] = PutRequest.newBuilder().setKey(KeySpace.key(random.nextInt(KEYS))).setValue(value).build();
      // linearizable, as clients ask by default: the barrier is already complete here
      ranges[i] = RangeRequest.newBuilder().setKey(KeySpace.key(random.nextInt(KEYS))).build();
    }
    // Connect (TCP, HTTP/2 preface and settings) before measuring: a call is measured, not a dial.
    kv.range(ranges[0]);
  }

  @Setup(Level.Iteration)
  public void compact() {
    door.compact();
  }

  @TearDown(Level.Trial)
  public void stop() {
    clients.close();
    door.close();
  }

  @Benchmark
  public PutResponse put() {
    return kv.put(puts[nextSlot()]);
  }

  @Benchmark
  public RangeResponse range() {
    return kv.range(ranges[nextSlot()]);
  }

  private int nextSlot() {
    int slot = next;
    next = (slot + 1) & (RING - 1);
    return slot;
  }
}
