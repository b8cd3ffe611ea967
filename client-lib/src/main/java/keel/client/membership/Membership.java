package keel.client.membership;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import keel.client.cache.CacheChange;
import keel.client.cache.CacheSnapshot;
import keel.client.cache.PrefixCache;
import keel.client.cache.PrefixCacheListener;
import keel.client.session.Session;
import keel.client.support.EtcdErrors;
import keel.client.support.EventThreads;
import keel.client.support.Listeners;
import keel.client.support.RecipeKeys;
import keel.client.support.SerialExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group membership under a prefix: each member is a key {@code prefix + name} whose value says how
 * to reach it, living under its node's {@link Session} lease, so a dead node's entry vanishes when
 * its lease expires. The view is a {@link PrefixCache} of the prefix.
 *
 * <p><b>Registering.</b> A name is owned by one lease at a time: {@link #register} writes the key
 * with the session's lease if it is absent or already under this session (or under the node's
 * {@code previousLeaseId} from before a restart, which is then revoked), each step a transaction
 * guarded by what it read; otherwise it fails with {@link DuplicateMemberException}.
 */
public final class Membership implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
  private static final int REGISTER_ATTEMPTS = 5;

  private final Client client;
  private final KV kv;
  private final ByteSequence prefix;
  private final String prefixText;
  private final PrefixCache cache;
  private final SerialExecutor serial = new SerialExecutor(EventThreads.shared());
  private final Listeners<MembershipListener> listeners = new Listeners<>();
  private volatile SortedMap<String, ByteSequence> members = Collections.emptySortedMap();

  /** Members under {@code prefix} (e.g. {@code /keel/members/}). */
  public Membership(Client client, ByteSequence prefix) {
    this.client = Objects.requireNonNull(client, "client");
    this.kv = client.getKVClient();
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    this.prefixText = prefix.toString(StandardCharsets.UTF_8);
    this.cache = new PrefixCache(client, prefix);
    cache.addListener(new PrefixCacheListener() {
      @Override
      public void onChanges(List<CacheChange> changes, CacheSnapshot after) {
        update(after);
      }

      @Override
      public void onResync(List<CacheChange> diff, CacheSnapshot after) {
        update(after);
      }
    }, serial);
  }

  /** Loads the view; completes when {@link #members()} reflects the cluster. */
  public CompletableFuture<Void> start() {
    return cache.start().thenApplyAsync(snapshot -> {
      update(cache.snapshot());
      return null;
    }, serial);
  }

  /** {@link #register(Session, String, ByteSequence, long)} without a previous lease. */
  public CompletableFuture<Void> register(Session session, String name, ByteSequence value) {
    return register(session, name, value, 0);
  }

  /**
   * Registers (or updates) {@code name} with {@code value} under {@code session}'s lease. Fails with
   * {@link DuplicateMemberException} when the name is held under another lease than the session's or
   * {@code previousLeaseId} (0: none). A registration under {@code previousLeaseId} (this node's lease
   * before a restart) is taken over, and that lease is revoked.
   */
  public CompletableFuture<Void> register(Session session, String name, ByteSequence value, long previousLeaseId) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("a member needs a non-empty name");
    }
    ByteSequence key = prefix.concat(ByteSequence.from(name, StandardCharsets.UTF_8));
    return attempt(session.leaseId(), name, key, value, previousLeaseId, 1);
  }

  private CompletableFuture<Void> attempt(long lease, String name, ByteSequence key, ByteSequence value,
      long previousLeaseId, int attempt) {
    PutOption withLease = PutOption.builder().withLeaseId(lease).build();
    return kv.txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
        .Then(Op.put(key, value, withLease))
        .Else(Op.get(key, GetOption.DEFAULT))
        .commit()
        .thenComposeAsync(created -> {
          if (created.isSucceeded()) {
            LOG.info("{}: registered {} under lease {}", prefixText, name, RecipeKeys.hex(lease));
            return CompletableFuture.completedFuture(null);
          }
          List<KeyValue> existing = created.getGetResponses().get(0).getKvs();
          if (existing.isEmpty()) {
            return retry(lease, name, key, value, previousLeaseId, attempt, "it vanished");
          }
          KeyValue current = existing.get(0);
          long owner = current.getLease();
          if (owner != lease && (previousLeaseId == 0 || owner != previousLeaseId)) {
            return CompletableFuture.failedFuture(new DuplicateMemberException(name, owner));
          }
          return kv.txn()
              .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(current.getModRevision())))
              .Then(Op.put(key, value, withLease))
              .commit()
              .thenComposeAsync(updated -> updated.isSucceeded()
                  ? tookOver(name, lease, owner)
                  : retry(lease, name, key, value, previousLeaseId, attempt, "it changed meanwhile"), serial);
        }, serial);
  }

  private CompletableFuture<Void> tookOver(String name, long lease, long owner) {
    if (owner == lease) {
      LOG.info("{}: updated {} under lease {}", prefixText, name, RecipeKeys.hex(lease));
      return CompletableFuture.completedFuture(null);
    }
    LOG.info("{}: took over {} from this node's previous lease {}; revoking that lease", prefixText, name,
        RecipeKeys.hex(owner));
    return client.getLeaseClient().revoke(owner).handle((ok, error) -> {
      if (error != null && !EtcdErrors.isLeaseNotFound(error)) {
        LOG.info("{}: revoking the previous lease {} failed ({}); it expires after its TTL", prefixText,
            RecipeKeys.hex(owner), EtcdErrors.describe(error));
      }
      return null;
    });
  }

  private CompletableFuture<Void> retry(long lease, String name, ByteSequence key, ByteSequence value,
      long previousLeaseId, int attempt, String why) {
    if (attempt >= REGISTER_ATTEMPTS) {
      return CompletableFuture.failedFuture(new IllegalStateException("registering member '" + name + "' under "
          + prefixText + " failed " + attempt + " times because the key kept changing (last: " + why + ")"));
    }
    return attempt(lease, name, key, value, previousLeaseId, attempt + 1);
  }

  /** Name to value, sorted by name, immutable; empty before {@link #start()} completes. */
  public SortedMap<String, ByteSequence> members() {
    return members;
  }

  /** Calls {@code listener} on {@code executor}, in order, whenever {@link #members()} changes. */
  public void addListener(MembershipListener listener, Executor executor) {
    listeners.add(listener, executor);
  }

  public void removeListener(MembershipListener listener) {
    listeners.remove(listener);
  }

  /** Stops watching. Registrations stay: they live as long as their sessions. */
  @Override
  public void close() {
    cache.close();
  }

  /** On serial: recompute the member map; tell listeners if it changed. */
  private void update(CacheSnapshot snapshot) {
    TreeMap<String, ByteSequence> now = new TreeMap<>();
    for (Map.Entry<ByteSequence, KeyValue> e : snapshot.entries().entrySet()) {
      String name = e.getKey().substring(prefix.size()).toString(StandardCharsets.UTF_8);
      now.put(name, e.getValue().getValue());
    }
    if (now.equals(members)) {
      return;
    }
    SortedMap<String, ByteSequence> view = Collections.unmodifiableSortedMap(now);
    members = view;
    LOG.info("{}: members {}", prefixText, view.keySet());
    listeners.tell(l -> l.onMembersChanged(view));
  }
}
