package keel.server.compactor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CompactionScheduleTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void periodicWaitsOnePeriodThenCompactsToTheRevisionOfAPeriodAgoEveryPeriod() {
    Ticker t = new Ticker(new PeriodicSchedule(Duration.ofSeconds(5)), 100);
    assertThat(t.schedule.interval()).isEqualTo(Duration.ofMillis(500));
    assertThat(t.untilCompaction()).as("the revision noted at the start").isEqualTo(100);
    assertThat(t.now).isEqualTo(5 * SECOND);
    // etcd's window holds period/tick + 1 revisions noted before this tick: the oldest is from a
    // period and a tick ago
    assertThat(t.untilCompaction()).as("the revision noted 5.5 s before").isEqualTo(109);
    assertThat(t.now).isEqualTo(10 * SECOND);
  }

  /** Drives a schedule as AutoCompactor does, one write per tick, the leader all along. */
  private static final class Ticker {
    final CompactionSchedule schedule;
    long now;
    long revision;

    Ticker(CompactionSchedule schedule, long startRevision) {
      this.schedule = schedule;
      this.revision = startRevision;
      schedule.observe(now, revision);
    }

    /** Ticks until the schedule compacts; returns the revision it compacted at. */
    long untilCompaction() {
      while (true) {
        now += schedule.interval().toNanos();
        revision++;
        long due = schedule.due(now, revision, true);
        if (due > 0) {
          schedule.compacted(now, due);
        }
        schedule.observe(now, revision);
        if (due > 0) {
          return due;
        }
      }
    }
  }

  @Test
  void aLongPeriodCompactsHourlyAfterTheFirstPeriodAndKeepsTheWholePeriod() {
    PeriodicSchedule s = new PeriodicSchedule(Duration.ofHours(24));
    assertThat(s.interval()).isEqualTo(Duration.ofMinutes(6));
    long tick = s.interval().toNanos();
    long now = 0;
    s.observe(now, 1);
    for (int i = 1; i <= 240; i++) { // 24 h of ticks, one revision each
      now += tick;
      assertThat(s.due(now, i + 1, true)).as("tick %d", i).isEqualTo(i < 240 ? 0 : 1);
      s.observe(now, i + 1);
    }
    s.compacted(now, 1);
    for (int i = 241; i <= 250; i++) { // the next hour
      now += tick;
      long due = s.due(now, i + 1, true);
      assertThat(due).as("tick %d: the revision of 24 h and a tick ago", i).isEqualTo(i < 250 ? 0 : 10);
      s.observe(now, i + 1);
    }
  }

  @Test
  void aFollowerNeverCompactsButKeepsNotingRevisions() {
    PeriodicSchedule s = new PeriodicSchedule(Duration.ofSeconds(1));
    long tick = s.interval().toNanos();
    long now = 0;
    s.observe(now, 7);
    for (int i = 0; i < 30; i++) {
      now += tick;
      assertThat(s.due(now, 8 + i, false)).isZero();
      s.observe(now, 8 + i);
    }
    assertThat(s.due(now + tick, 40, true)).as("the revision noted a second and a tick ago").isEqualTo(27);
  }

  @Test
  void revisionModeKeepsTheRetentionAndDoesNotRepeatItself() {
    RevisionSchedule s = new RevisionSchedule(10, RevisionSchedule.ETCD_INTERVAL);
    assertThat(s.due(0, 8, true)).as("not enough revisions yet").isZero();
    assertThat(s.due(0, 50, false)).as("a follower").isZero();
    assertThat(s.due(0, 50, true)).isEqualTo(40);
    s.compacted(0, 40);
    assertThat(s.due(0, 50, true)).as("nothing written since").isZero();
    assertThat(s.due(0, 51, true)).isEqualTo(41);
  }
}
