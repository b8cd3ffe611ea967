package keel.perf;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A put load against any etcd endpoint (Keel or etcd): a fixed rate (or as fast as the in-flight
 * limit allows) from several clients, latencies in an HdrHistogram, a line per second so that
 * stalls show when they happen, and the slowest requests with the second they started in.
 *
 * <pre>
 *   java -jar perf/target/keel-perf.jar --endpoints http://127.0.0.1:2379 --rate 150 --duration 60
 * </pre>
 */
@Command(name = "keel-perf", mixinStandardHelpOptions = true,
    description = "Put load with latency percentiles against etcd endpoints.")
public final class LoadGenerator implements Callable<Integer> {
  @Option(names = "--endpoints", required = true, split = ",", description = "client URLs, comma-separated")
  List<URI> endpoints;

  @Option(names = "--clients", defaultValue = "50", description = "gRPC clients (connections)")
  int clients;

  @Option(names = "--rate", defaultValue = "150", description = "puts per second; 0 = as fast as --inflight allows")
  int rate;

  @Option(names = "--inflight", defaultValue = "1000", description = "most requests outstanding at once")
  int inflight;

  @Option(names = "--duration", defaultValue = "60", description = "seconds")
  int durationSeconds;

  @Option(names = "--key-size", defaultValue = "256")
  int keySize;

  @Option(names = "--value-size", defaultValue = "1024")
  int valueSize;

  @Option(names = "--prefix", defaultValue = "/keel-perf/")
  String prefix;

  public static void main(String[] args) {
    System.exit(new CommandLine(new LoadGenerator()).execute(args));
  }

  private record Slow(long startMillis, long micros) {}

  @Override
  public Integer call() throws Exception {
    List<Client> pool = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      pool.add(Client.builder().endpoints(endpoints.toArray(URI[]::new)).build());
    }
    byte[] value = new byte[valueSize];
    Arrays.fill(value, (byte) 'v');
    ByteSequence valueBytes = ByteSequence.from(value);
    Recorder interval = new Recorder(3);
    Histogram total = new Histogram(3);
    ConcurrentLinkedQueue<Slow> slow = new ConcurrentLinkedQueue<>();
    AtomicLong errors = new AtomicLong();
    Semaphore permits = new Semaphore(inflight);
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(durationSeconds);
    long nextReport = start + TimeUnit.SECONDS.toNanos(1);
    long sent = 0;
    System.out.printf("# %d clients, rate %s, %d s, key %d B, value %d B, against %s%n", clients,
        rate == 0 ? "unbounded" : rate + "/s", durationSeconds, keySize, valueSize, endpoints);
    System.out.println("# second  ops  p50_ms  p99_ms  max_ms  errors");
    while (System.nanoTime() < end) {
      if (rate > 0) {
        long due = start + sent * 1_000_000_000L / rate;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
      permits.acquire();
      KV kv = pool.get((int) (sent % clients)).getKVClient();
      ByteSequence key = ByteSequence.from(key(sent), java.nio.charset.StandardCharsets.US_ASCII);
      long t0 = System.nanoTime();
      CompletableFuture<?> put = kv.put(key, valueBytes);
      put.whenComplete((r, e) -> {
        long micros = (System.nanoTime() - t0) / 1000;
        permits.release();
        if (e != null) {
          errors.incrementAndGet();
          return;
        }
        interval.recordValue(micros);
        if (micros > 100_000) {
          slow.add(new Slow(TimeUnit.NANOSECONDS.toMillis(t0 - start), micros));
        }
      });
      sent++;
      long now = System.nanoTime();
      if (now >= nextReport) {
        report(interval, total, (now - start) / 1_000_000_000L, errors.get());
        nextReport += TimeUnit.SECONDS.toNanos(1);
      }
    }
    permits.acquire(inflight);
    report(interval, total, durationSeconds, errors.get());
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("# total: %d ok, %d errors, %.0f ops/s; latency ms p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f%n",
        total.getTotalCount(), errors.get(), total.getTotalCount() / seconds,
        ms(total.getValueAtPercentile(50)), ms(total.getValueAtPercentile(90)), ms(total.getValueAtPercentile(99)),
        ms(total.getValueAtPercentile(99.9)), ms(total.getMaxValue()));
    slow.stream().sorted((a, b) -> Long.compare(b.micros(), a.micros())).limit(10).forEach(s ->
        System.out.printf("# slow: started at %.3f s, took %.1f ms%n", s.startMillis() / 1000.0, s.micros() / 1000.0));
    for (Client client : pool) {
      client.getKVClient().delete(ByteSequence.from(prefix, java.nio.charset.StandardCharsets.US_ASCII),
          io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()).get(30, TimeUnit.SECONDS);
      break;
    }
    pool.forEach(Client::close);
    return errors.get() == 0 ? 0 : 1;
  }

  private String key(long n) {
    StringBuilder key = new StringBuilder(prefix).append(n).append('/');
    while (key.length() < keySize) {
      key.append('k');
    }
    return key.toString();
  }

  private static void report(Recorder interval, Histogram total, long second, long errors) {
    Histogram h = interval.getIntervalHistogram();
    total.add(h);
    System.out.printf("%8d %5d %7.2f %7.2f %7.2f %6d%n", second, h.getTotalCount(),
        ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()), errors);
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }
}
