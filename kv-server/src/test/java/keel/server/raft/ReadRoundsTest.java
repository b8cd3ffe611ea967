package keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReadRoundsTest {
  /** ReadIndex requests sent, in order; each completes when the test says so. */
  private final List<CompletableFuture<Void>> sent = new ArrayList<>();
  private final ReadRounds rounds = new ReadRounds(() -> {
    CompletableFuture<Void> round = new CompletableFuture<>();
    synchronized (sent) {
      sent.add(round);
    }
    return round;
  });

  @Test
  void readsArrivingDuringARoundShareTheNextOneNeverTheCurrent() {
    CompletableFuture<Void> first = rounds.await();
    assertThat(sent).hasSize(1);
    CompletableFuture<Void> second = rounds.await();
    CompletableFuture<Void> third = rounds.await();
    assertThat(sent).as("one round on its way at a time").hasSize(1);

    sent.get(0).complete(null);
    assertThat(first).isCompleted();
    assertThat(second).as("arrived after the first round started: its index may predate them").isNotDone();
    assertThat(third).isNotDone();
    assertThat(sent).as("the waiting reads' round starts as the first completes").hasSize(2);

    CompletableFuture<Void> fourth = rounds.await();
    sent.get(1).complete(null);
    assertThat(second).isCompleted();
    assertThat(third).isCompleted();
    assertThat(fourth).isNotDone();
    sent.get(2).complete(null);
    assertThat(fourth).isCompleted();

    assertThat(sent).hasSize(3);
    rounds.await();
    assertThat(sent).as("idle again: a new read starts its own round at once").hasSize(4);
  }

  @Test
  void aFailedRoundFailsItsReadersOnlyAndTheNextRoundStillRuns() {
    CompletableFuture<Void> first = rounds.await();
    CompletableFuture<Void> second = rounds.await();
    sent.get(0).completeExceptionally(new IllegalStateException("no leader"));
    assertThat(first).isCompletedExceptionally();
    assertThat(second).isNotDone();
    sent.get(1).complete(null);
    assertThat(second).isCompleted();
  }

  @Test
  void aReadIndexThatThrowsFailsItsRoundInsteadOfWedgingTheLoop() {
    AtomicInteger calls = new AtomicInteger();
    ReadRounds throwing = new ReadRounds(() -> {
      if (calls.getAndIncrement() == 0) {
        throw new IllegalStateException("closed");
      }
      return CompletableFuture.completedFuture(null);
    });
    assertThat(throwing.await()).isCompletedExceptionally();
    assertThat(throwing.await()).isCompleted();
  }

  @Test
  void concurrentReadersAllCompleteWithFarFewerRoundsThanReads() throws InterruptedException, ExecutionException, TimeoutException {
    ReadRounds async = new ReadRounds(() -> {
      synchronized (sent) {
        sent.add(null);
      }
      return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS));
    });
    int readers = 8;
    int reads = 500;
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<Void>> all = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < readers; t++) {
      List<CompletableFuture<Void>> mine = new ArrayList<>();
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < reads; i++) {
          mine.add(async.await());
        }
        synchronized (all) {
          all.addAll(mine);
        }
      });
      threads.add(thread);
      thread.start();
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
    assertThat(all).hasSize(readers * reads);
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    assertThat(sent.size()).isLessThan(readers * reads);
  }
}
