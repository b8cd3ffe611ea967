package keel.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JvmDefaultsTest {
  private final String before = System.getProperty(JvmDefaults.COMMON_POOL_PARALLELISM);

  @AfterEach
  void restore() {
    if (before == null) {
      System.clearProperty(JvmDefaults.COMMON_POOL_PARALLELISM);
    } else {
      System.setProperty(JvmDefaults.COMMON_POOL_PARALLELISM, before);
    }
  }

  @Test
  void theCommonPoolGetsAtLeastTwoWorkersSoAsyncCallsDoNotEachStartAThread() {
    System.clearProperty(JvmDefaults.COMMON_POOL_PARALLELISM);
    JvmDefaults.apply();
    assertThat(Integer.parseInt(System.getProperty(JvmDefaults.COMMON_POOL_PARALLELISM))).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aValueGivenOnTheCommandLineWins() {
    System.setProperty(JvmDefaults.COMMON_POOL_PARALLELISM, "7");
    JvmDefaults.apply();
    assertThat(System.getProperty(JvmDefaults.COMMON_POOL_PARALLELISM)).isEqualTo("7");
  }
}
