package keel.agent.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RestartBackoffTest {
  private static final Duration SHORT_RUN = Duration.ofSeconds(2);

  @Test
  void doublesFromHalfASecondUpToThirtySeconds() {
    RestartBackoff backoff = new RestartBackoff(RestartBackoff.STANDARD);
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      delays.add(backoff.afterRun(SHORT_RUN).toMillis());
    }
    assertThat(delays).containsExactly(500L, 1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L, 30000L);
  }

  @Test
  void aRunOfAMinuteResetsTheDelay() {
    RestartBackoff backoff = new RestartBackoff(RestartBackoff.STANDARD);
    for (int i = 0; i < 5; i++) {
      backoff.afterRun(SHORT_RUN);
    }
    assertThat(backoff.afterRun(Duration.ofSeconds(59)).toMillis()).isEqualTo(16000L);
    assertThat(backoff.afterRun(Duration.ofSeconds(60)).toMillis()).isEqualTo(500L);
    assertThat(backoff.afterRun(SHORT_RUN).toMillis()).isEqualTo(1000L);
  }

  @Test
  void rejectsAPolicyThatCannotWork() {
    assertThatThrownBy(() -> new RestartBackoff.Policy(Duration.ZERO, Duration.ofSeconds(1),
        Duration.ofSeconds(60), Duration.ofSeconds(1), 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 < initial <= max");
  }
}
