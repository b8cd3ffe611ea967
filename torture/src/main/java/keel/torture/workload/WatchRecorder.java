package keel.torture.workload;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A watch on a key prefix through one member, from a given revision, recording every event it
 * receives with its arrival time. When the stream ends with an error (the member was killed, the
 * client gave up), the recorder watches again from the revision after the last event it got: a
 * resumed watch must continue exactly there, which the watch checker verifies on the whole record.
 */
public final class WatchRecorder implements AutoCloseable {
  private final String name;
  private final Client client;
  private final String prefix;
  private final List<WatchedEvent> events = new ArrayList<>();
  private final List<String> errors = new ArrayList<>();
  private final Consumer<WatchedEvent> also;
  private long nextRevision;
  private Watch.Watcher watcher;
  private boolean closed;
  private int resumes;
  /** Which watch is current: events from an earlier one are ignored (it may still deliver while closing). */
  private long generation;

  /**
   * @param also called for each event as it arrives (on a client thread), e.g. to time deletions
   */
  public WatchRecorder(String name, Client client, String prefix, long fromRevision, Consumer<WatchedEvent> also) {
    this.name = name;
    this.client = client;
    this.prefix = prefix;
    this.nextRevision = fromRevision;
    this.also = also;
  }

  public String name() {
    return name;
  }

  public synchronized WatchRecorder start() {
    WatchOption.Builder option = WatchOption.builder().withPrevKV(true).withRevision(nextRevision);
    ByteSequence key;
    if (prefix.isEmpty()) { // every key: etcd's ["\0", "\0")
      key = ByteSequence.from(new byte[] {0});
      option.withRange(key);
    } else {
      key = ByteSequence.from(prefix, StandardCharsets.UTF_8);
      option.isPrefix(true);
    }
    long incarnation = ++generation;
    watcher = client.getWatchClient().watch(key, option.build(), Watch.listener(
        r -> onResponse(incarnation, r), t -> onError(incarnation, t), () -> onCompleted(incarnation)));
    return this;
  }

  private void onResponse(long incarnation, WatchResponse response) {
    long now = System.nanoTime();
    List<WatchedEvent> got = new ArrayList<>();
    for (WatchEvent e : response.getEvents()) {
      KeyValue kv = e.getKeyValue();
      KeyValue prev = e.getPrevKV();
      boolean put = e.getEventType() == WatchEvent.EventType.PUT;
      String prevValue = prev == null || prev.getKey().isEmpty() ? null : text(prev.getValue());
      got.add(new WatchedEvent(now, kv.getModRevision(), put, text(kv.getKey()), put ? text(kv.getValue()) : null, prevValue));
    }
    synchronized (this) {
      if (incarnation != generation) {
        return; // a replaced watch's late delivery: its successor starts after what was recorded
      }
      for (WatchedEvent e : got) {
        events.add(e);
        nextRevision = e.revision() + 1;
      }
    }
    got.forEach(also);
  }

  private void onError(long incarnation, Throwable t) {
    synchronized (this) {
      errors.add(System.nanoTime() + " " + t);
    }
    restartSoon(incarnation);
  }

  private void onCompleted(long incarnation) {
    restartSoon(incarnation);
  }

  /** Watches again a little later: a member that is down would otherwise be asked in a tight loop. */
  private void restartSoon(long incarnation) {
    CompletableFuture.runAsync(() -> restart(incarnation),
        CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
  }

  private synchronized void restart(long incarnation) {
    if (closed || incarnation != generation) {
      return;
    }
    if (watcher != null) {
      watcher.close();
    }
    resumes++;
    start();
  }

  /** Every event received so far, in arrival order. */
  public synchronized List<WatchedEvent> events() {
    return List.copyOf(events);
  }

  public synchronized List<String> errors() {
    return List.copyOf(errors);
  }

  /** How many times the stream ended and was watched again. */
  public synchronized int resumes() {
    return resumes;
  }

  /** The revision after the last event received. */
  public synchronized long nextRevision() {
    return nextRevision;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (watcher != null) {
      watcher.close();
    }
  }

  static String text(ByteSequence bytes) {
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
