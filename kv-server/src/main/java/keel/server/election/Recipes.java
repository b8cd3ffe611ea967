package keel.server.election;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaderKey;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.mvcc.Prefixes;

/**
 * etcd's election and lock recipes (its {@code clientv3/concurrency} package, which etcd's own
 * v3election and v3lock services run against the server), on this member's KV and watch hub.
 *
 * <p>The rules, as etcd has them: a contender's key is {@code <name>/<lease in hex>}, created with
 * its lease only if absent; the leader (or lock holder) is the key under {@code <name>/} with the
 * lowest create revision; a contender waits until every key created before its own is deleted,
 * one at a time, newest first. Keys vanish with their lease, which is how a dead contender lets go.
 */
public final class Recipes {
  private final LocalKv kv;
  private final Watches watches;

  public Recipes(LocalKv kv, Watches watches) {
    this.kv = kv;
    this.watches = watches;
  }

  /** {@code <name>/}: every contender's key starts with it. */
  static ByteString prefix(ByteString name) {
    return name.concat(ByteString.copyFromUtf8("/"));
  }

  /** Go's {@code %x} of an int64: lowercase hex, a minus sign for negative numbers. */
  static ByteString contenderKey(ByteString name, long lease) {
    String hex = lease < 0 ? "-" + Long.toHexString(-lease) : Long.toHexString(lease);
    return prefix(name).concat(ByteString.copyFrom(hex, StandardCharsets.US_ASCII));
  }

  /** A contender's key and the revision that created it: what a campaign or a lock acquires. */
  public record Held(ByteString key, long createRevision, ResponseHeader header) {}

  /**
   * Creates the contender's key (or finds it from an earlier campaign with the same lease, and
   * proclaims the new value if it differs), then waits until it leads.
   */
  public Waiting campaign(ByteString name, long lease, ByteString value) {
    ByteString key = contenderKey(name, lease);
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompare(createRevisionIs(key, 0))
        .addSuccess(put(key, value, lease))
        .addFailure(get(key))
        .build();
    Waiting waiting = new Waiting(held -> resign(held.key(), held.createRevision()));
    waiting.attach(kv.txn(txn).thenCompose(resp -> {
      long createRevision = resp.getHeader().getRevision();
      CompletableFuture<?> proclaimed = CompletableFuture.completedFuture(null);
      if (!resp.getSucceeded()) {
        KeyValue existing = resp.getResponses(0).getResponseRange().getKvs(0);
        createRevision = existing.getCreateRevision();
        if (!existing.getValue().equals(value)) {
          proclaimed = proclaim(key, createRevision, lease, value);
        }
      }
      long rev = createRevision;
      waiting.created(new Held(key, rev, resp.getHeader()));
      return proclaimed.thenCompose(ignored -> waitDeletes(prefix(name), rev - 1, waiting))
          .thenApply(header -> new Held(key, rev, resp.getHeader()));
    }));
    return waiting;
  }

  /** etcd's Mutex.Lock: the contender key with an empty value, then the same wait. */
  public Waiting lock(ByteString name, long lease) {
    ByteString key = contenderKey(name, lease);
    RequestOp owner = firstCreated(prefix(name));
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompare(createRevisionIs(key, 0))
        .addSuccess(put(key, ByteString.EMPTY, lease)).addSuccess(owner)
        .addFailure(get(key)).addFailure(owner)
        .build();
    Waiting waiting = new Waiting(held -> kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(held.key()).build()));
    waiting.attach(kv.txn(txn).thenCompose(resp -> {
      long myRevision = resp.getSucceeded()
          ? resp.getHeader().getRevision()
          : resp.getResponses(0).getResponseRange().getKvs(0).getCreateRevision();
      waiting.created(new Held(key, myRevision, resp.getHeader()));
      List<KeyValue> holder = resp.getResponses(1).getResponseRange().getKvsList();
      if (holder.isEmpty() || holder.get(0).getCreateRevision() == myRevision) {
        return CompletableFuture.completedFuture(new Held(key, myRevision, resp.getHeader()));
      }
      return waitDeletes(prefix(name), myRevision - 1, waiting)
          .thenApply(header -> new Held(key, myRevision, header));
    }));
    return waiting;
  }

  /** Puts a new value on the leader's key, if it is still the leader's (same create revision). */
  public CompletableFuture<ResponseHeader> proclaim(LeaderKey leader, ByteString value) {
    return proclaim(leader.getKey(), leader.getRev(), leader.getLease(), value);
  }

  private CompletableFuture<ResponseHeader> proclaim(ByteString key, long createRevision, long lease,
      ByteString value) {
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompare(createRevisionIs(key, createRevision))
        .addSuccess(put(key, value, lease))
        .build();
    return kv.txn(txn).thenApply(resp -> {
      if (!resp.getSucceeded()) {
        throw new EtcdException(EtcdError.ELECTION_NOT_LEADER);
      }
      return resp.getHeader();
    });
  }

  /** Deletes the leader's key if it is still the leader's; not being leader any more is no error. */
  public CompletableFuture<ResponseHeader> resign(LeaderKey leader) {
    return resign(leader.getKey(), leader.getRev());
  }

  private CompletableFuture<ResponseHeader> resign(ByteString key, long createRevision) {
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompare(createRevisionIs(key, createRevision))
        .addSuccess(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(key)))
        .build();
    return kv.txn(txn).thenApply(TxnResponse::getHeader);
  }

  /** The current leader: the oldest key under the prefix; "election: no leader" when there is none. */
  public CompletableFuture<RangeResponse> leader(ByteString name) {
    return kv.range(firstCreated(prefix(name)).getRequestRange()).thenApply(resp -> {
      if (resp.getKvsCount() == 0) {
        throw new EtcdException(EtcdError.ELECTION_NO_LEADER);
      }
      return resp;
    });
  }

  /**
   * etcd's Election.Observe: the leader now (or, when there is none, the first key put), then every
   * change of the leader's value, then the next leader after its key is deleted, and so on until
   * closed. Each answer is a header and the leader's key-value.
   */
  public Watches.Handle observe(ByteString name, BiConsumer<ResponseHeader, KeyValue> leaders,
      java.util.function.Consumer<Throwable> failed) {
    Observation observation = new Observation(prefix(name), leaders, failed);
    observation.next();
    return observation;
  }

  private final class Observation implements Watches.Handle {
    private final ByteString prefix;
    private final BiConsumer<ResponseHeader, KeyValue> leaders;
    private final java.util.function.Consumer<Throwable> failed;
    private final AtomicReference<Watches.Handle> current = new AtomicReference<>();
    private volatile boolean closed;

    Observation(ByteString prefix, BiConsumer<ResponseHeader, KeyValue> leaders,
        java.util.function.Consumer<Throwable> failed) {
      this.prefix = prefix;
      this.leaders = leaders;
      this.failed = failed;
    }

    void next() {
      if (closed) {
        return;
      }
      kv.range(firstCreated(prefix).getRequestRange()).whenComplete((resp, error) -> {
        if (error != null) {
          fail(error);
        } else if (resp.getKvsCount() == 0) {
          awaitFirstPut(resp.getHeader().getRevision());
        } else {
          follow(resp.getHeader(), resp.getKvs(0));
        }
      });
    }

    /** No leader yet: the first key put under the prefix leads. */
    private void awaitFirstPut(long revision) {
      replace(watches.watch(prefix, Prefixes.rangeEnd(prefix), revision, new Watches.Listener() {
        private boolean found;

        @Override
        public void onEvents(long rev, List<Event> events) {
          for (Event event : events) {
            if (!found && event.getType() == Event.EventType.PUT) {
              found = true;
              ResponseHeader header = ResponseHeader.newBuilder().setRevision(event.getKv().getModRevision()).build();
              follow(header, event.getKv());
              return;
            }
          }
        }

        @Override
        public void onError(Throwable error) {
          fail(error);
        }
      }));
    }

    /** Reports the leader, then its value changes, until its key is deleted. */
    private void follow(ResponseHeader header, KeyValue leader) {
      if (closed) {
        return;
      }
      leaders.accept(header, leader);
      replace(watches.watch(leader.getKey(), ByteString.EMPTY, header.getRevision() + 1, new Watches.Listener() {
        private boolean deleted;

        @Override
        public void onEvents(long rev, List<Event> events) {
          for (Event event : events) {
            if (deleted) {
              return;
            }
            if (event.getType() == Event.EventType.DELETE) {
              deleted = true;
              next();
              return;
            }
            leaders.accept(ResponseHeader.newBuilder().setRevision(rev).build(), event.getKv());
          }
        }

        @Override
        public void onError(Throwable error) {
          fail(error);
        }
      }));
    }

    private void replace(Watches.Handle next) {
      Watches.Handle previous = current.getAndSet(next);
      if (previous != null) {
        previous.close();
      }
      if (closed) {
        next.close();
      }
    }

    private void fail(Throwable error) {
      if (!closed) {
        failed.accept(error);
        close();
      }
    }

    @Override
    public void close() {
      closed = true;
      Watches.Handle handle = current.getAndSet(null);
      if (handle != null) {
        handle.close();
      }
    }
  }

  /**
   * Waits until no key under {@code prefix} created at or before {@code maxCreateRevision} is left:
   * repeatedly takes the newest such key and waits for its deletion.
   */
  private CompletableFuture<ResponseHeader> waitDeletes(ByteString prefix, long maxCreateRevision, Waiting waiting) {
    RangeRequest newestBefore = RangeRequest.newBuilder()
        .setKey(prefix).setRangeEnd(Prefixes.rangeEnd(prefix))
        .setSortTarget(RangeRequest.SortTarget.CREATE).setSortOrder(RangeRequest.SortOrder.DESCEND)
        .setLimit(1).setMaxCreateRevision(maxCreateRevision)
        .build();
    return kv.range(newestBefore).thenCompose(resp -> {
      if (resp.getKvsCount() == 0) {
        return CompletableFuture.completedFuture(resp.getHeader());
      }
      return waitDelete(resp.getKvs(0).getKey(), resp.getHeader().getRevision(), waiting)
          .thenCompose(ignored -> waitDeletes(prefix, maxCreateRevision, waiting));
    });
  }

  private CompletableFuture<Void> waitDelete(ByteString key, long fromRevision, Waiting waiting) {
    CompletableFuture<Void> deleted = new CompletableFuture<>();
    Watches.Handle handle = watches.watch(key, ByteString.EMPTY, fromRevision, new Watches.Listener() {
      @Override
      public void onEvents(long revision, List<Event> events) {
        for (Event event : events) {
          if (event.getType() == Event.EventType.DELETE) {
            deleted.complete(null);
            return;
          }
        }
      }

      @Override
      public void onError(Throwable error) {
        deleted.completeExceptionally(error);
      }
    });
    waiting.watching(handle);
    return deleted.whenComplete((ignored, error) -> handle.close());
  }

  /**
   * A campaign or lock in progress. Cancel it (the client went away) and the contender's key is
   * removed, as etcd's recipes do when their context ends before they acquire.
   */
  public static final class Waiting {
    private final CompletableFuture<Held> acquired = new CompletableFuture<>();
    private final AtomicReference<Watches.Handle> watch = new AtomicReference<>();
    private final AtomicReference<Held> created = new AtomicReference<>();
    private final java.util.concurrent.atomic.AtomicBoolean abandoned = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.function.Consumer<Held> abandon;

    Waiting(java.util.function.Consumer<Held> abandon) {
      this.abandon = abandon;
    }

    void attach(CompletableFuture<Held> outcome) {
      outcome.whenComplete((held, error) -> {
        if (error != null) {
          acquired.completeExceptionally(error);
        } else if (!acquired.complete(held)) {
          abandon(held);
        }
      });
    }

    /** The contender's key exists now; a cancel from here on must remove it. */
    void created(Held held) {
      created.set(held);
      if (acquired.isCancelled()) {
        abandon(held);
      }
    }

    void watching(Watches.Handle handle) {
      watch.set(handle);
      if (acquired.isCancelled()) {
        handle.close();
      }
    }

    private void abandon(Held held) {
      if (held != null && abandoned.compareAndSet(false, true)) {
        abandon.accept(held);
      }
    }

    public CompletableFuture<Held> acquired() {
      return acquired;
    }

    /** The client gave up: stop waiting and take the contender's key away. */
    public void cancel() {
      if (acquired.cancel(false)) {
        Watches.Handle handle = watch.getAndSet(null);
        if (handle != null) {
          handle.close();
        }
        abandon(created.get());
      }
    }
  }

  private static Compare createRevisionIs(ByteString key, long revision) {
    return Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.CREATE)
        .setResult(Compare.CompareResult.EQUAL).setCreateRevision(revision).build();
  }

  private static RequestOp put(ByteString key, ByteString value, long lease) {
    return RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(value).setLease(lease))
        .build();
  }

  private static RequestOp get(ByteString key) {
    return RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(key)).build();
  }

  /** clientv3.WithFirstCreate on a prefix: the oldest key. */
  private static RequestOp firstCreated(ByteString prefix) {
    return RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder()
        .setKey(prefix).setRangeEnd(Prefixes.rangeEnd(prefix))
        .setSortTarget(RangeRequest.SortTarget.CREATE).setSortOrder(RangeRequest.SortOrder.ASCEND)
        .setLimit(1)).build();
  }
}
