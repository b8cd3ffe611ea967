package keel.server.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.ResponseHeader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import keel.server.errors.EtcdError;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ProposalBatcherTest {
  /** What reached Raft, each with the future Raft's answer completes. */
  private final List<byte[]> sent = new ArrayList<>();
  private final List<CompletableFuture<ByteString>> answers = new ArrayList<>();

  private ProposalBatcher batcher(int maxInFlight, int maxCommands, long maxBytes) {
    return new ProposalBatcher(command -> {
      CompletableFuture<ByteString> answer = new CompletableFuture<>();
      sent.add(command);
      answers.add(answer);
      return answer;
    }, maxInFlight, maxCommands, maxBytes);
  }

  private static byte[] put(String key) {
    return Command.newBuilder().setPut(PutRequest.newBuilder()
        .setKey(com.google.protobuf.ByteString.copyFromUtf8(key))).build().toByteArray();
  }

  private static CommandResult putResult(long revision) {
    return CommandResult.newBuilder().setPut(PutResponse.newBuilder()
        .setHeader(ResponseHeader.newBuilder().setRevision(revision))).build();
  }

  private static ByteString bytes(CommandResult r) {
    return UnsafeByteOperations.unsafeWrap(r.toByteArray());
  }

  private Command sent(int i) throws Exception {
    return Command.parseFrom(sent.get(i));
  }

  /** Answers proposal {@code i} as the state machine would: one result per command, revisions from {@code first}. */
  private void answerBatch(int i, long first) throws Exception {
    Command command = sent(i);
    assertThat(command.getBodyCase()).isEqualTo(Command.BodyCase.BATCH);
    CommandResults.Builder results = CommandResults.newBuilder();
    for (int k = 0; k < command.getBatch().getCommandsCount(); k++) {
      results.addResults(putResult(first + k).toByteString());
    }
    answers.get(i).complete(bytes(CommandResult.newBuilder().setBatch(results).build()));
  }

  private static CommandResult result(CompletableFuture<ByteString> f) throws Exception {
    return CommandResult.parseFrom(f.get(1, TimeUnit.SECONDS).asReadOnlyByteBuffer());
  }

  private static long revision(CompletableFuture<ByteString> f) throws Exception {
    return result(f).getPut().getHeader().getRevision();
  }

  @Test
  void aCommandProposedWhileFewAreOnTheirWayGoesAtOnceAndAlone() throws Exception {
    ProposalBatcher b = batcher(2, 100, 1 << 20);
    CompletableFuture<ByteString> first = b.submit(put("a"));
    CompletableFuture<ByteString> second = b.submit(put("b"));

    assertThat(sent).hasSize(2);
    assertThat(sent(0).getPut().getKey().toStringUtf8()).isEqualTo("a");
    assertThat(sent(1).getPut().getKey().toStringUtf8()).isEqualTo("b");
    answers.get(1).complete(bytes(putResult(3)));
    answers.get(0).complete(bytes(putResult(2)));
    assertThat(revision(first)).isEqualTo(2);
    assertThat(revision(second)).isEqualTo(3);
  }

  @Test
  void commandsProposedMeanwhileGoAsOneBatchInOrderAndEachGetsItsOwnResult() throws Exception {
    ProposalBatcher b = batcher(1, 100, 1 << 20);
    CompletableFuture<ByteString> first = b.submit(put("a"));
    List<CompletableFuture<ByteString>> waiting = List.of(b.submit(put("b")), b.submit(put("c")), b.submit(put("d")));
    assertThat(sent).hasSize(1);
    assertThat(b.waiting()).isEqualTo(3);

    answers.get(0).complete(bytes(putResult(2)));

    assertThat(revision(first)).isEqualTo(2);
    assertThat(sent).hasSize(2);
    List<String> keys = new ArrayList<>();
    for (com.google.protobuf.ByteString c : sent(1).getBatch().getCommandsList()) {
      keys.add(Command.parseFrom(c).getPut().getKey().toStringUtf8());
    }
    assertThat(keys).containsExactly("b", "c", "d");
    assertThat(waiting).allSatisfy(f -> assertThat(f).isNotDone());
    answerBatch(1, 3);
    assertThat(revision(waiting.get(0))).isEqualTo(3);
    assertThat(revision(waiting.get(1))).isEqualTo(4);
    assertThat(revision(waiting.get(2))).isEqualTo(5);
    assertThat(b.waiting()).isZero();
    b.submit(put("e")); // nothing on its way any more: goes at once
    assertThat(sent).hasSize(3);
    assertThat(sent(2).getBodyCase()).isEqualTo(Command.BodyCase.PUT);
  }

  @Test
  void aBatchHoldsAtMostItsCountAndBytesAndTheRestGoNext() throws Exception {
    int size = put("k0").length;
    ProposalBatcher b = batcher(1, 3, 2L * size); // two by bytes, three by count
    b.submit(put("k0"));
    for (int i = 1; i <= 5; i++) {
      b.submit(put("k" + i));
    }
    answers.get(0).complete(bytes(putResult(2)));
    assertThat(sent(1).getBatch().getCommandsCount()).isEqualTo(2);
    answerBatch(1, 3);
    assertThat(sent(2).getBatch().getCommandsCount()).isEqualTo(2);
    answerBatch(2, 5);
    // the last one alone: a batch of one goes as the command itself
    assertThat(sent(3).getPut().getKey().toStringUtf8()).isEqualTo("k5");

    ProposalBatcher byCount = batcher(1, 3, 1 << 20);
    sent.clear();
    answers.clear();
    for (int i = 0; i <= 4; i++) {
      byCount.submit(put("k" + i));
    }
    answers.get(0).complete(bytes(putResult(2)));
    assertThat(sent(1).getBatch().getCommandsCount()).isEqualTo(3);
  }

  @Test
  void aBatchThatFailsOrIsRefusedAsAWholeFailsOrRefusesEveryCommandInIt() throws Exception {
    ProposalBatcher b = batcher(1, 100, 1 << 20);
    b.submit(put("a"));
    List<CompletableFuture<ByteString>> failing = List.of(b.submit(put("b")), b.submit(put("c")));
    answers.get(0).complete(bytes(putResult(2)));
    answers.get(1).completeExceptionally(new IllegalStateException("no leader in time"));
    assertThat(failing).allSatisfy(f -> assertThat(f).isCompletedExceptionally());

    b.submit(put("d")); // nothing on its way: alone
    List<CompletableFuture<ByteString>> refused = List.of(b.submit(put("e")), b.submit(put("f")));
    answers.get(2).complete(bytes(putResult(3)));
    answers.get(3).complete(bytes(CommandResult.newBuilder().setError(EtcdError.NO_SPACE.name()).build()));
    for (CompletableFuture<ByteString> f : refused) {
      assertThat(result(f).getError()).isEqualTo(EtcdError.NO_SPACE.name());
    }
  }

  @Test
  void aBatchAnsweredWithTheWrongNumberOfResultsFailsEveryCommandInIt() throws Exception {
    ProposalBatcher b = batcher(1, 100, 1 << 20);
    b.submit(put("a"));
    List<CompletableFuture<ByteString>> batch = List.of(b.submit(put("b")), b.submit(put("c")));
    answers.get(0).complete(bytes(putResult(2)));
    answers.get(1).complete(bytes(CommandResult.newBuilder().setBatch(CommandResults.newBuilder()
        .addResults(putResult(3).toByteString())).build()));
    assertThat(batch).allSatisfy(f -> assertThat(f).isCompletedExceptionally());
  }

  @Test
  void whenTooManyWaitTheNextIsRefusedAsEtcdRefusesAnOverload() throws Exception {
    ProposalBatcher b = batcher(1, 100, 1 << 20);
    b.submit(put("first"));
    for (int i = 0; i < ProposalBatcher.MAX_WAITING; i++) {
      b.submit(put("k" + i));
    }
    CompletableFuture<ByteString> refused = b.submit(put("one too many"));
    assertThat(refused).isCompletedExceptionally();
    assertThat(refused.handle((v, e) -> e).get()).isInstanceOf(keel.server.errors.EtcdException.class)
        .hasMessageContaining("too many requests");
    assertThat(b.waiting()).isEqualTo(ProposalBatcher.MAX_WAITING);
  }
}
