package keel.server.command;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * Group commit in front of Raft: a command proposed while {@code maxInFlight} proposals of this
 * member are still on their way waits, with the others that arrive meanwhile, and they go as one
 * {@link CommandBatch}: one log entry, one request to the leader, one append to each follower, one
 * apply call, instead of one of each per command. A command proposed when fewer are in flight goes
 * at once and alone, so a lone client waits for nothing. Each command still gets its own result
 * (the state machine applies a batch's commands one by one); a batch that fails as a whole (no
 * leader in time) fails every command in it alike. At most {@link #MAX_WAITING} commands wait;
 * more are refused with etcd's "too many requests", as Raft's own queue refuses them.
 */
public final class ProposalBatcher implements Proposer.Submitter {
  /** Commands that may wait for a batch: as many as Ratis lets wait for the log (its write element limit). */
  public static final int MAX_WAITING = 8192;

  private final Proposer.Submitter next;
  private final int maxInFlight;
  private final int maxCommands;
  private final long maxBytes;

  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>(); // guarded by this
  private int inFlight; // guarded by this

  private record Waiting(byte[] command, CompletableFuture<ByteString> result) {}

  /**
   * @param next where a command or a batch goes (the Raft node)
   * @param maxInFlight proposals on their way before commands wait to be batched
   * @param maxCommands most commands in one batch
   * @param maxBytes most bytes of commands in one batch (a larger command goes alone)
   */
  public ProposalBatcher(Proposer.Submitter next, int maxInFlight, int maxCommands, long maxBytes) {
    if (maxInFlight < 1 || maxCommands < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("limits must be positive: " + maxInFlight + ", " + maxCommands + ", " + maxBytes);
    }
    this.next = next;
    this.maxInFlight = maxInFlight;
    this.maxCommands = maxCommands;
    this.maxBytes = maxBytes;
  }

  @Override
  public CompletableFuture<ByteString> submit(byte[] command) {
    Waiting w = new Waiting(command, new CompletableFuture<>());
    boolean now;
    synchronized (this) {
      now = inFlight < maxInFlight && waiting.isEmpty();
      if (now) {
        inFlight++;
      } else if (waiting.size() >= MAX_WAITING) {
        return CompletableFuture.failedFuture(new EtcdException(EtcdError.TOO_MANY_REQUESTS));
      } else {
        waiting.add(w);
      }
    }
    if (now) {
      send(List.of(w));
    }
    return w.result();
  }

  /** Commands waiting for a proposal to finish (for tests and metrics). */
  public synchronized int waiting() {
    return waiting.size();
  }

  private void send(List<Waiting> batch) {
    CompletableFuture<ByteString> sent;
    try {
      sent = next.submit(batch.size() == 1 ? batch.get(0).command() : encode(batch));
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((answer, error) -> {
      finished();
      if (batch.size() == 1) {
        complete(batch.get(0), answer, error);
      } else if (error != null) {
        batch.forEach(w -> w.result().completeExceptionally(error));
      } else {
        split(batch, answer);
      }
    });
  }

  /** One proposal is done: the next batch of waiting commands, if any, takes its place. */
  private void finished() {
    List<Waiting> batch = new ArrayList<>();
    synchronized (this) {
      long bytes = 0;
      while (!waiting.isEmpty() && batch.size() < maxCommands
          && (batch.isEmpty() || bytes + waiting.peek().command().length <= maxBytes)) {
        Waiting w = waiting.poll();
        bytes += w.command().length;
        batch.add(w);
      }
      if (batch.isEmpty()) {
        inFlight--;
        return;
      }
    }
    send(batch);
  }

  private static byte[] encode(List<Waiting> batch) {
    CommandBatch.Builder b = CommandBatch.newBuilder();
    for (Waiting w : batch) {
      b.addCommands(com.google.protobuf.UnsafeByteOperations.unsafeWrap(w.command()));
    }
    return Command.newBuilder().setBatch(b).build().toByteArray();
  }

  /** Hands each command its own result; an error answered for the whole batch goes to each. */
  private static void split(List<Waiting> batch, ByteString answer) {
    CommandResult result;
    try {
      result = CommandResult.parseFrom(answer.asReadOnlyByteBuffer());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      IllegalStateException bad = new IllegalStateException("the state machine answered a batch with bytes that are"
          + " not a CommandResult", e);
      batch.forEach(w -> w.result().completeExceptionally(bad));
      return;
    }
    if (result.getBodyCase() == CommandResult.BodyCase.ERROR) {
      batch.forEach(w -> w.result().complete(answer));
      return;
    }
    if (result.getBodyCase() != CommandResult.BodyCase.BATCH || result.getBatch().getResultsCount() != batch.size()) {
      IllegalStateException bad = new IllegalStateException("the state machine answered a batch of " + batch.size()
          + " commands with " + (result.getBodyCase() == CommandResult.BodyCase.BATCH
              ? result.getBatch().getResultsCount() + " results" : "a " + result.getBodyCase() + " result"));
      batch.forEach(w -> w.result().completeExceptionally(bad));
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).result().complete(
          UnsafeByteOperations.unsafeWrap(result.getBatch().getResults(i).asReadOnlyByteBuffer()));
    }
  }

  private static void complete(Waiting w, ByteString answer, Throwable error) {
    if (error != null) {
      w.result().completeExceptionally(error);
    } else {
      w.result().complete(answer);
    }
  }
}
