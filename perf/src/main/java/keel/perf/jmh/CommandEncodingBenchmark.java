package keel.perf.jmh;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.ResponseHeader;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import keel.server.ServerConfig;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a put costs to go into the Raft log and come back out: the {@link Command} envelope
 * serialised into a Ratis {@link Message} as the door proposes it, parsed as the state machine
 * applies it, and the same both ways for the {@link CommandResult} the state machine answers with.
 * The key is registry-shaped and the value {@value KeySpace#VALUE_BYTES} bytes ({@link KeySpace}).
 *
 * <p>Each method repeats, call for call, the lines it measures, which live inside methods that
 * also propose or apply: {@code Proposer.propose} and {@code RatisNode.submit} (encode command,
 * decode result), {@code KeelStateMachine.applyTransaction} (decode command, encode result).
 * Change them together.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CommandEncodingBenchmark {
  private ByteString key;
  private ByteString value;
  /** A log entry's data, as Ratis hands it to the state machine. */
  private org.apache.ratis.thirdparty.com.google.protobuf.ByteString logData;
  /** The revision the put's answer reports. */
  private long revision = 1_000_042;
  /** The state machine's answer, as Ratis hands it back to the proposer. */
  private org.apache.ratis.thirdparty.com.google.protobuf.ByteString answer;

  @Setup
  public void prepare() {
    key = KeySpace.key(42);
    value = KeySpace.value(new Random(KeySpace.SEED));
    logData = encodeCommand().getContent();
    answer = encodeResult().getContent();
  }

  /**
   * The door's side: KvService wraps the request it parsed (fresh, so its size is not memoised yet)
   * in the envelope; the Proposer checks the size rule and serialises; RatisNode wraps the bytes.
   */
  @Benchmark
  public Message encodeCommand() {
    PutRequest request = PutRequest.newBuilder().setKey(key).setValue(value).build();
    Command command = Command.newBuilder().setPut(request).build();
    if (command.getSerializedSize() > ServerConfig.DEFAULT_MAX_REQUEST_BYTES) {
      throw new IllegalStateException("a benchmark put over the request size limit");
    }
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(command.toByteArray()));
  }

  /** The state machine's side: every member parses every entry it applies. */
  @Benchmark
  public Command decodeCommand() throws InvalidProtocolBufferException {
    return Command.parseFrom(logData.asReadOnlyByteBuffer());
  }

  /** The answer as the Applier builds it for a put (fresh, header with the revision) and Ratis carries it. */
  @Benchmark
  public Message encodeResult() {
    CommandResult result = CommandResult.newBuilder().setPut(PutResponse.newBuilder()
        .setHeader(ResponseHeader.newBuilder().setRevision(revision))).build();
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(result.toByteArray()));
  }

  @Benchmark
  public CommandResult decodeResult() throws InvalidProtocolBufferException {
    return CommandResult.parseFrom(answer.asReadOnlyByteBuffer());
  }
}
