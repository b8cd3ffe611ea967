package keel.server.command;

import java.util.concurrent.CompletableFuture;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.raft.RatisNode;

/**
 * Turns a validated request into a replicated command and its applied result. The size rule is
 * etcd's: the encoded command may not exceed {@code --max-request-bytes}.
 */
public final class Proposer {
  /** Where an encoded command goes: {@link RatisNode#submit} (tests pass a fake). */
  @FunctionalInterface
  public interface Submitter {
    /** Completes with the state machine's encoded answer once the command is applied. */
    CompletableFuture<org.apache.ratis.thirdparty.com.google.protobuf.ByteString> submit(byte[] command);
  }

  private final Submitter submitter;
  private final long maxRequestBytes;
  private final ProposalObserver observer;

  public Proposer(RatisNode node, long maxRequestBytes) {
    this(node, maxRequestBytes, ProposalObserver.NONE);
  }

  public Proposer(RatisNode node, long maxRequestBytes, ProposalObserver observer) {
    this(node::submit, maxRequestBytes, observer);
  }

  public Proposer(Submitter submitter, long maxRequestBytes, ProposalObserver observer) {
    this.submitter = submitter;
    this.maxRequestBytes = maxRequestBytes;
    this.observer = observer;
  }

  /** Completes with the applied result, or exceptionally with an {@link EtcdException}. */
  public CompletableFuture<CommandResult> propose(Command command) {
    return propose(command, maxRequestBytes);
  }

  /**
   * As {@link #propose(Command)}, with another size limit: etcd's v2 writes are not held to
   * {@code --max-request-bytes}, only to Go's 10 MiB form limit.
   */
  public CompletableFuture<CommandResult> propose(Command command, long maxBytes) {
    if (command.getSerializedSize() > maxBytes) {
      return CompletableFuture.failedFuture(new EtcdException(EtcdError.REQUEST_TOO_LARGE));
    }
    observer.proposed();
    CompletableFuture<org.apache.ratis.thirdparty.com.google.protobuf.ByteString> submitted;
    try {
      submitted = submitter.submit(command.toByteArray());
    } catch (RuntimeException e) {
      observer.finished(null, e);
      throw e;
    }
    return submitted.whenComplete(observer::finished).thenApply(bytes -> {
      CommandResult result;
      try {
        result = CommandResult.parseFrom(bytes.asReadOnlyByteBuffer());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("the state machine answered bytes that are not a CommandResult", e);
      }
      if (result.getBodyCase() == CommandResult.BodyCase.ERROR) {
        throw new EtcdException(EtcdError.valueOf(result.getError()));
      }
      return result;
    });
  }
}
