package keel.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class AppliedIndexTest {
  @Test
  void futuresCompleteWhenTheirIndexIsAppliedInIndexOrder() {
    AppliedIndex applied = new AppliedIndex();
    CompletableFuture<Void> five = applied.reach(5);
    CompletableFuture<Void> three = applied.reach(3);
    applied.advance(3);
    assertThat(three).isCompleted();
    assertThat(five).isNotDone();
    applied.advance(2); // never backwards
    assertThat(applied.applied()).isEqualTo(3);
    applied.advance(9); // a snapshot jumps ahead
    assertThat(five).isCompleted();
    assertThat(applied.reach(9)).isCompleted();
    assertThat(applied.reach(10)).isNotDone();
  }
}
