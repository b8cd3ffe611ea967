package keel.server.api.grpc;

import java.util.concurrent.CompletableFuture;
import keel.server.command.LeaderAnswer;
import keel.server.command.LeaderQuery;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.raft.RatisNode;

/** Asks the leader's state machine a {@link LeaderQuery}; an error it answers fails the future with etcd's error. */
final class LeaderQueries {
  private LeaderQueries() {}

  static CompletableFuture<LeaderAnswer> ask(RatisNode node, LeaderQuery query) {
    return node.queryLeader(query.toByteArray()).thenApply(bytes -> {
      LeaderAnswer answer;
      try {
        answer = LeaderAnswer.parseFrom(bytes.asReadOnlyByteBuffer());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("the leader answered bytes that are not a LeaderAnswer", e);
      }
      if (answer.getBodyCase() == LeaderAnswer.BodyCase.ERROR) {
        throw new EtcdException(EtcdError.valueOf(answer.getError()));
      }
      return answer;
    });
  }
}
