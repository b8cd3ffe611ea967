package keel.torture.workload;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * v2 keys with a TTL (etcd's v2 API, {@code --enable-v2}): a writer creates {@code /ttl/k<n>} with
 * a TTL of 1-3 s through a random member; a watcher on every member long-polls the {@code /ttl}
 * directory with {@code waitIndex}. The v2 checker then requires each key's expire event once on
 * every member whose watch covered it, at the same index everywhere.
 */
public final class V2TtlWorkload implements AutoCloseable {
  public static final String DIR = "/ttl";
  private static final Pattern ACTION = Pattern.compile("\"action\":\"(\\w+)\"");
  private static final Pattern KEY = Pattern.compile("\"key\":\"([^\"]+)\"");
  private static final Pattern MODIFIED = Pattern.compile("\"modifiedIndex\":(\\d+)");

  private final List<String> urls;
  private final List<String> names;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final Map<String, Long> created = new ConcurrentHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<Watcher> watchers = new ArrayList<>();
  private volatile boolean stopping;
  private volatile boolean writing = true;

  public V2TtlWorkload(List<String> urls, List<String> names) {
    this.urls = List.copyOf(urls);
    this.names = List.copyOf(names);
  }

  /** Starts the watchers from the current index, then the writer. */
  public void start(long seed) throws Exception {
    long from = currentIndex() + 1;
    for (int i = 0; i < urls.size(); i++) {
      Watcher w = new Watcher(names.get(i), urls.get(i), from);
      watchers.add(w);
      threads.add(daemon("v2-watch-" + names.get(i), w::run));
    }
    SplittableRandom random = new SplittableRandom(seed);
    threads.add(daemon("v2-ttl-writer", () -> write(random)));
  }

  private long currentIndex() throws Exception {
    Exception last = null;
    for (String url : urls) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/v2/keys/"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        return Long.parseLong(r.headers().firstValue("X-Etcd-Index").orElseThrow());
      } catch (Exception e) {
        last = e;
      }
    }
    throw last;
  }

  private Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void write(SplittableRandom random) {
    long n = 0;
    while (!stopping && writing) {
      String key = DIR + "/k" + (++n);
      String url = urls.get(random.nextInt(urls.size()));
      int ttl = 1 + random.nextInt(3);
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/v2/keys" + key))
                .timeout(Duration.ofSeconds(2))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .PUT(HttpRequest.BodyPublishers.ofString("value=v&ttl=" + ttl)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 201 || r.statusCode() == 200) {
          Matcher m = MODIFIED.matcher(r.body());
          created.put(key, m.find() ? Long.parseLong(m.group(1)) : 0);
        }
      } catch (Exception e) {
        // down or cut off: the key may or may not exist; only acknowledged creations are judged
      }
      LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
    }
  }

  /** Stops creating keys; the watchers go on so that the last keys' expiry is seen. */
  public void stopWriting() {
    writing = false;
  }

  /** Acknowledged creations: key to its created index. */
  public Map<String, Long> created() {
    return Map.copyOf(created);
  }

  public List<V2Stream> streams() {
    return watchers.stream().map(Watcher::stream).toList();
  }

  @Override
  public void close() throws InterruptedException {
    stopping = true;
    for (Thread t : threads) {
      t.join(15_000);
    }
  }

  /** One member's long-poll loop. */
  private final class Watcher {
    private final String name;
    private final String url;
    private final List<V2Event> events = new ArrayList<>();
    private final List<long[]> covered = new ArrayList<>();
    private long waitIndex;
    private long coveredFrom;

    Watcher(String name, String url, long from) {
      this.name = name;
      this.url = url;
      this.waitIndex = from;
      this.coveredFrom = from;
    }

    void run() {
      while (!stopping) {
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(
                  url + "/v2/keys" + DIR + "?wait=true&recursive=true&waitIndex=" + waitIndex))
              .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
          String body = r.body();
          if (r.statusCode() == 200) {
            String node = body.contains("\"prevNode\"") ? body.substring(0, body.indexOf("\"prevNode\"")) : body;
            Matcher a = ACTION.matcher(node);
            Matcher k = KEY.matcher(node);
            Matcher m = MODIFIED.matcher(node);
            if (a.find() && k.find() && m.find()) {
              long index = Long.parseLong(m.group(1));
              synchronized (this) {
                events.add(new V2Event(System.nanoTime(), a.group(1), k.group(1), index));
                waitIndex = index + 1;
              }
            }
          } else if (body.contains("\"errorCode\":401")) { // the history this watch needed is gone
            long now = Long.parseLong(r.headers().firstValue("X-Etcd-Index").orElse(String.valueOf(waitIndex)));
            synchronized (this) {
              covered.add(new long[] {coveredFrom, waitIndex - 1});
              waitIndex = now + 1;
              coveredFrom = waitIndex;
            }
          } else {
            LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
          }
        } catch (java.net.http.HttpTimeoutException e) {
          // nothing happened for a while: poll again from the same index
        } catch (Exception e) {
          LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // member down or cut off
        } 
      }
    }

    synchronized V2Stream stream() {
      List<long[]> ranges = new ArrayList<>(covered);
      ranges.add(new long[] {coveredFrom, waitIndex - 1});
      return new V2Stream(name, List.copyOf(events), ranges);
    }
  }
}
