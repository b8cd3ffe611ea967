package keel.client.support;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Waits until no key under a prefix has a create revision at or below a bound: how etcd's
 * election and mutex wait for the contenders ahead of them (Go's {@code waitDeletes}). Repeatedly:
 * get the newest key created at or before the bound; if there is none, done; else watch that key
 * from the get's revision until it is deleted, and look again. Only the immediate predecessor is
 * watched, so a release wakes one waiter, not all (no herd). The get-then-watch loop, its retries
 * and its watch are {@link GetWatchLoop}'s.
 */
final class WaitDeletes extends GetWatchLoop {
  private final ByteSequence prefix;
  private final GetOption newestAhead;
  private final CompletableFuture<Long> done = new CompletableFuture<>();

  private WaitDeletes(Client client, ByteSequence prefix, long maxCreateRevision, Executor executor) {
    super(client, executor, "the keys ahead under " + prefix.toString(StandardCharsets.UTF_8));
    this.prefix = prefix;
    this.newestAhead = GetOption.builder()
        .isPrefix(true)
        .withKeysOnly(true)
        .withSortField(GetOption.SortTarget.CREATE)
        .withSortOrder(GetOption.SortOrder.DESCEND)
        .withMaxCreateRevision(maxCreateRevision)
        .withLimit(1)
        .build();
  }

  /**
   * Starts waiting, on {@code executor}, for every key under {@code prefix} created at or before
   * {@code maxCreateRevision} to be deleted. The future completes with the revision at which none was
   * left. Cancelling it (or completing it any other way) stops the wait.
   */
  static CompletableFuture<Long> start(Client client, ByteSequence prefix, long maxCreateRevision, Executor executor) {
    WaitDeletes wait = new WaitDeletes(client, prefix, maxCreateRevision, executor);
    wait.done.whenComplete((revision, error) -> wait.stop());
    executor.execute(wait::check);
    return wait.done;
  }

  @Override
  CompletableFuture<GetResponse> get() {
    return kv.get(prefix, newestAhead);
  }

  @Override
  void onGet(GetResponse answer) {
    if (answer.getKvs().isEmpty()) {
      done.complete(answer.getHeader().getRevision());
      return;
    }
    watch(answer.getKvs().get(0).getKey(), answer.getHeader().getRevision(),
        response -> response.getEvents().stream().anyMatch(e -> e.getEventType() == WatchEvent.EventType.DELETE));
  }

  @Override
  boolean ended() {
    return super.ended() || done.isDone();
  }
}
