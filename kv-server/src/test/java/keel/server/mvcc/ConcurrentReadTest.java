package keel.server.mvcc;

import static keel.server.mvcc.Requests.all;
import static keel.server.mvcc.Requests.op;
import static keel.server.mvcc.Requests.put;
import static keel.server.mvcc.Requests.txn;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.RangeResponse;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Readers on other threads never see half a transaction. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConcurrentReadTest {
  @Test
  void readersSeeWholeTransactionsOnly() throws Exception {
    MvccStore store = new MvccStore();
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<Integer> reads = reader.submit(() -> {
        int n = 0;
        while (!done.get()) {
          RangeResponse r = store.range(all().build());
          // every txn writes x and y with the same value
          if (r.getKvsCount() == 2) {
            assertThat(r.getKvs(0).getValue()).isEqualTo(r.getKvs(1).getValue());
            assertThat(r.getKvs(0).getModRevision()).isEqualTo(r.getKvs(1).getModRevision());
          } else {
            assertThat(r.getKvsCount()).isZero();
          }
          n++;
        }
        return n;
      });
      for (int i = 0; i < 5_000; i++) {
        store.txn(txn(List.of(), List.of(op(put("x", "v" + i)), op(put("y", "v" + i))),
            List.of()), LeaseLookup.NONE);
      }
      done.set(true);
      assertThat(reads.get(20, TimeUnit.SECONDS)).isPositive();
      assertThat(store.currentRevision()).isEqualTo(5_001);
    } finally {
      reader.shutdownNow();
      assertThat(reader.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }
  }
}
