package keel.testing.faults;

/** Prints its wall clock (epoch ms) every 100 ms, for {@link FakeClocksIT}. */
public final class WallClockPrinter {
  private WallClockPrinter() {}

  public static void main(String[] args) throws InterruptedException {
    while (true) {
      System.out.println(System.currentTimeMillis());
      Thread.sleep(100);
    }
  }
}
