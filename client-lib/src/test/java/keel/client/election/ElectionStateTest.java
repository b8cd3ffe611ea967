package keel.client.election;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import keel.client.election.ElectionState.Ended;
import keel.client.election.ElectionState.Phase;
import keel.client.session.SessionLost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** ElectionState's moves: attempt numbers, what an end takes away, LOST then CLOSED. */
@Timeout(10)
class ElectionStateTest {
  private static final ByteSequence KEY = ByteSequence.from("e/1f", StandardCharsets.UTF_8);
  private final ElectionState state = new ElectionState();

  @Test
  void aCampaignThatIsElectedKeepsItsAttemptUntilItEnds() {
    long a = state.begin();
    assertThat(state.isCampaigning(a)).isTrue();
    state.created(42);
    var pending = state.elect(KEY, 0x1f);
    assertThat(state.phase()).isEqualTo(Phase.LEADER);
    assertThat(state.leadership()).isEqualTo(new Leadership(KEY, 42, 0x1f));
    assertThat(state.attempt()).as("the own-key watch of the leader still matches").isEqualTo(a);
    assertThat(pending).isNotDone();
    assertThat(state.describe(true)).isEqualTo("leader, token 42");

    Ended ended = state.end(Phase.IDLE);
    assertThat(ended.deposed()).isEqualTo(new Leadership(KEY, 42, 0x1f));
    assertThat(ended.campaign()).isNull();
    assertThat(ended.ownKey()).isEqualTo(42);
    assertThat(state.attempt()).as("late callbacks of the old attempt are ignored").isNotEqualTo(a);
    assertThat(state.isCampaigning(a)).isFalse();
  }

  @Test
  void endingACampaignBeforeItsCreateAnsweredLeavesNoKeyToDelete() {
    long a = state.begin();
    Ended ended = state.end(Phase.CLOSED);
    assertThat(ended.deposed()).isNull();
    assertThat(ended.campaign()).isNotNull();
    assertThat(ended.ownKey()).isZero();
    assertThat(state.isCampaigning(a)).isFalse();
    assertThat(state.phase()).isEqualTo(Phase.CLOSED);
  }

  @Test
  void aFailedCampaignGoesBackToIdleAndALostSessionStaysKnown() {
    long a = state.begin();
    assertThat(state.fail()).isNotNull();
    assertThat(state.phase()).isEqualTo(Phase.IDLE);
    assertThat(state.isCampaigning(a)).isFalse();

    SessionLost lost = new SessionLost(SessionLost.Reason.EXPIRED, "test");
    state.lose(lost);
    assertThat(state.phase()).isEqualTo(Phase.LOST);
    state.end(Phase.CLOSED);
    assertThat(state.sessionLost()).isEqualTo(lost);
    assertThat(state.describe(false)).isEqualTo("closed");
  }
}
