package keel.perf.bench;

/**
 * Which requests of {@code mixed} are reads: request {@code n} is a read when {@code
 * floor((n+1)·ratio)} passes a whole number that {@code floor(n·ratio)} did not. So the mix is
 * exact over every stretch of requests, not only on average: with ratio 0.9, requests 0-9 are one
 * write (request 0) and nine reads, 10-19 the same, and so on; with ratio 0.5 they alternate.
 */
record ReadWriteChooser(double readRatio) {
  ReadWriteChooser {
    if (!(readRatio >= 0 && readRatio <= 1)) {
      throw new IllegalArgumentException("read ratio must be in [0, 1], was " + readRatio);
    }
  }

  boolean isRead(long n) {
    return Math.floor((n + 1) * readRatio) > Math.floor(n * readRatio);
  }
}
