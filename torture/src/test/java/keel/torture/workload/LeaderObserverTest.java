package keel.torture.workload;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.maintenance.StatusResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** What counts as a new leadership for the lease checker's deadlines. */
class LeaderObserverTest {
  private final StatusResponse[] statuses = new StatusResponse[3];
  private final LeaderObserver observer = new LeaderObserver(3, i -> statuses[i]);

  @Test
  void theSameMemberElectedAgainInALaterTermIsANewLeadership() {
    all(status(1, 2));
    observer.poll();
    all(status(1, 2));
    observer.poll();
    assertThat(observer.changeTimes()).as("one leadership so far").hasSize(1);
    // a leader transfer that failed: the old leader won the election it caused
    all(status(1, 4));
    observer.poll();
    assertThat(observer.changeTimes()).hasSize(2);
  }

  @Test
  void anotherLeaderIsANewLeadershipAndAMemberBehindIsNot() {
    all(status(1, 2));
    observer.poll();
    statuses[0] = status(2, 3);
    statuses[1] = status(1, 2); // has not heard of term 3 yet
    statuses[2] = null; // down
    observer.poll();
    observer.poll();
    assertThat(observer.changeTimes()).hasSize(2);
    all(status(0, 5)); // an election under way: no leader
    observer.poll();
    assertThat(observer.changeTimes()).hasSize(2);
  }

  private void all(StatusResponse s) {
    Arrays.fill(statuses, s);
  }

  private static StatusResponse status(long leader, long term) {
    return new StatusResponse(io.etcd.jetcd.api.StatusResponse.newBuilder().setLeader(leader).setRaftTerm(term).build());
  }
}
