package keel.server.statemachine;

import io.etcd.jetcd.api.AlarmMember;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
import io.etcd.jetcd.api.AlarmType;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.TxnRequest;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.Executor;
import keel.server.command.Command;
import keel.server.command.CommandBatch;
import keel.server.command.CommandResult;
import keel.server.command.CommandResults;
import keel.server.command.MemberChange;
import keel.server.command.MemberRecord;
import keel.server.command.MembershipResult;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.lease.Lessor;
import keel.server.mvcc.MvccCounters;
import keel.server.mvcc.MvccSnapshot;
import keel.server.mvcc.MvccStore;
import keel.server.mvcc.WriteResult;
import keel.server.v2store.V2Store;
import keel.server.watch.EventSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one dispatch switch: applies a command to the stores, in log order, deterministically.
 * Errors are data ({@link CommandResult#getError()}) so that every member records the same answer.
 */
public final class Applier {
  private static final Logger LOG = LoggerFactory.getLogger(Applier.class);
  /**
   * 5: the members are the whole membership (ids, peer and client URLs, learners, removed ids).
   * 4: the alarms follow the members (3: the v2 store follows the lessor).
   */
  private static final int SNAPSHOT_FORMAT = 5;

  /**
   * What every member must agree on to apply alike.
   *
   * @param minLeaseTtl etcd's minimum lease TTL in seconds ({@link Lessor#minTtlSeconds})
   */
  public record Settings(long minLeaseTtl) {}

  private final Settings settings;
  private final MvccStore store;
  private final Members members;
  private final Alarms alarms;
  private final Lessor lessor;
  private final V2Store v2;
  /** Gets each write's events, by a non-blocking call (the watch hub). */
  private final EventSink events;

  public Applier(Settings settings) {
    this(settings, Lessor.Listener.NONE, EventSink.NONE, newV2Store(1, Runnable::run));
  }

  /**
   * @param leases told of grants and revokes on the apply thread (the leader's expiry clocks)
   * @param events told of every write's events on the apply thread (the watch hub)
   * @param v2 the v2 key tree, from {@link #newV2Store}; it outlives appliers replaced by snapshots,
   *     so that v2 watchers stay registered
   */
  public Applier(Settings settings, Lessor.Listener leases, EventSink events, V2Store v2) {
    this(settings, leases, events, v2, new MvccCounters());
  }

  /**
   * As {@link #Applier(Settings, Lessor.Listener, EventSink, V2Store)}, with the member's MVCC
   * counters, which outlive appliers replaced by snapshots as {@code v2} does.
   */
  public Applier(Settings settings, Lessor.Listener leases, EventSink events, V2Store v2, MvccCounters counters) {
    this(settings, new MvccStore(counters), new Members(), new Alarms(),
        new Lessor(settings.minLeaseTtl(), leases), events, v2);
  }

  private Applier(Settings settings, MvccStore store, Members members, Alarms alarms, Lessor lessor,
      EventSink events, V2Store v2) {
    this.settings = settings;
    this.store = store;
    this.members = members;
    this.alarms = alarms;
    store.setCapped(alarms.active(AlarmType.NOSPACE));
    this.lessor = lessor;
    this.events = events;
    this.v2 = v2;
  }

  /** An empty v2 tree for a cluster formed of {@code members}, at etcd's index after formation. */
  public static V2Store newV2Store(int members, Executor watchExecutor) {
    return V2Apply.newStore(members, watchExecutor);
  }

  public MvccStore store() {
    return store;
  }

  public Members members() {
    return members;
  }

  public Lessor lessor() {
    return lessor;
  }

  public Alarms alarms() {
    return alarms;
  }

  public V2Store v2() {
    return v2;
  }

  /**
   * Applies the command of the log entry at {@code index}, written in {@code term}. Only lease
   * expiries look at the term ({@link keel.server.command.LeaseExpiry}).
   */
  public CommandResult apply(long index, long term, Command command) {
    try {
      return switch (command.getBodyCase()) {
        case PUT -> {
          WriteResult<io.etcd.jetcd.api.PutResponse> r = written(store.put(command.getPut(), lessor));
          yield CommandResult.newBuilder()
              .setPut(r.response().toBuilder().setHeader(header(r.revision()))).build();
        }
        case DELETE_RANGE -> {
          WriteResult<io.etcd.jetcd.api.DeleteRangeResponse> r = written(store.deleteRange(command.getDeleteRange()));
          yield CommandResult.newBuilder()
              .setDeleteRange(r.response().toBuilder().setHeader(header(r.revision()))).build();
        }
        case TXN -> {
          WriteResult<io.etcd.jetcd.api.TxnResponse> r = written(store.txn(command.getTxn(), lessor));
          yield CommandResult.newBuilder()
              .setTxn(r.response().toBuilder().setHeader(header(r.revision()))).build();
        }
        case COMPACTION -> {
          WriteResult<io.etcd.jetcd.api.CompactionResponse> r = store.compact(command.getCompaction());
          yield CommandResult.newBuilder()
              .setCompaction(r.response().toBuilder().setHeader(header(r.revision()))).build();
        }
        case LEASE_GRANT -> {
          if (alarms.active(AlarmType.NOSPACE)) { // etcd's capped applier refuses every grant
            throw new EtcdException(EtcdError.NO_SPACE);
          }
          long ttl = lessor.grant(command.getLeaseGrant().getID(), command.getLeaseGrant().getTTL());
          yield CommandResult.newBuilder().setLeaseGrant(LeaseGrantResponse.newBuilder()
              .setHeader(header(store.currentRevision()))
              .setID(command.getLeaseGrant().getID())
              .setTTL(ttl)).build();
        }
        case LEASE_REVOKE -> {
          WriteResult<?> r = revoke(command.getLeaseRevoke().getID());
          yield CommandResult.newBuilder().setLeaseRevoke(LeaseRevokeResponse.newBuilder()
              .setHeader(header(r.revision()))).build();
        }
        case LEASE_EXPIRY -> {
          if (command.getLeaseExpiry().getTerm() != term) {
            LOG.info("lease {} expired on the clocks of the leader of term {}, but the entry is of term {}:"
                + " that leader was deposed, the lease stays", Long.toHexString(command.getLeaseExpiry().getId()),
                command.getLeaseExpiry().getTerm(), term);
            throw new EtcdException(EtcdError.NOT_LEADER);
          }
          WriteResult<?> r = revoke(command.getLeaseExpiry().getId());
          yield CommandResult.newBuilder().setLeaseRevoke(LeaseRevokeResponse.newBuilder()
              .setHeader(header(r.revision()))).build();
        }
        case V2 -> CommandResult.newBuilder().setV2(V2Apply.apply(v2, command.getV2())).build();
        case V2_SYNC -> CommandResult.newBuilder().setV2(V2Apply.sync(v2, command.getV2Sync().getTime())).build();
        case PUBLISH_MEMBER -> {
          members.publish(command.getPublishMember());
          V2Apply.published(v2);
          yield CommandResult.newBuilder().setPublishMember(command.getPublishMember()).build();
        }
        case BOOTSTRAP -> {
          members.bootstrap(command.getBootstrap());
          if (command.getBootstrap().hasPublisher()) {
            members.publish(command.getBootstrap().getPublisher());
            V2Apply.published(v2);
          }
          yield membership(null);
        }
        case MEMBER_CHANGE -> {
          MemberRecord changed = changeMembers(command.getMemberChange());
          V2Apply.membershipChanged(v2, command.getMemberChange());
          yield membership(changed);
        }
        case BATCH -> applyBatch(index, term, command.getBatch());
        case ALARM -> CommandResult.newBuilder().setAlarm(alarm(command.getAlarm())).build();
        case BODY_NOT_SET -> throw new IllegalStateException("empty command at index " + index);
      };
    } catch (EtcdException e) {
      return CommandResult.newBuilder().setError(e.error().name()).build();
    } catch (RuntimeException e) {
      LOG.error("applying the command at index {} failed unexpectedly: {}", index, command, e);
      return unknownError();
    }
  }

  /**
   * Each command of the batch in order, as if each had its own entry: a command that fails
   * answers its error and the rest still apply. A batch inside a batch, or bytes that are not a
   * command, answer an error of their own on every member alike.
   */
  private CommandResult applyBatch(long index, long term, CommandBatch batch) {
    CommandResults.Builder results = CommandResults.newBuilder();
    for (com.google.protobuf.ByteString encoded : batch.getCommandsList()) {
      CommandResult result;
      try {
        Command command = Command.parseFrom(encoded);
        result = command.getBodyCase() == Command.BodyCase.BATCH ? unknownError() : apply(index, term, command);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        LOG.error("the batch at index {} holds bytes that are not a Keel command", index, e);
        result = unknownError();
      }
      results.addResults(result.toByteString());
    }
    return CommandResult.newBuilder().setBatch(results).build();
  }

  /**
   * etcd's applyAlarm: activate answers the alarm raised, deactivate the one cleared (nothing when
   * that member had not raised it), get every alarm of the type (all for NONE). A NOSPACE alarm
   * caps the store until the last one is cleared. etcd answers without a header.
   */
  private AlarmResponse alarm(AlarmRequest request) {
    AlarmResponse.Builder response = AlarmResponse.newBuilder();
    switch (request.getAction()) {
      case GET -> response.addAllAlarms(alarms.get(request.getAlarm()));
      case ACTIVATE -> {
        if (request.getAlarm() == AlarmType.NONE || request.getAlarm() == AlarmType.UNRECOGNIZED) {
          break; // etcd ignores an alarm of no known type
        }
        AlarmMember raised = alarms.activate(request.getMemberID(), request.getAlarm());
        LOG.warn("alarm {} raised by member {}", raised.getAlarm(), Long.toHexString(raised.getMemberID()));
        response.addAlarms(raised);
      }
      case DEACTIVATE -> {
        AlarmMember cleared = alarms.deactivate(request.getMemberID(), request.getAlarm());
        if (cleared != null) {
          LOG.warn("alarm {} of member {} disarmed", cleared.getAlarm(), Long.toHexString(cleared.getMemberID()));
          response.addAlarms(cleared);
        }
      }
      default -> { }
    }
    store.setCapped(alarms.active(AlarmType.NOSPACE));
    return response.build();
  }

  /**
   * etcd's lessor Revoke: forgets the lease, then deletes every key attached to it in one write
   * transaction, so all of them go at one new revision (one delete event each, in key order).
   * A lease without keys changes no revision.
   */
  private WriteResult<?> revoke(long leaseId) {
    List<com.google.protobuf.ByteString> keys = lessor.revoke(leaseId);
    TxnRequest.Builder deletes = TxnRequest.newBuilder();
    for (com.google.protobuf.ByteString key : keys) {
      deletes.addSuccess(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(key)));
    }
    return written(store.txn(deletes.build(), lessor));
  }

  /** After every write: the lessor's key sets follow it, and the watch hub hears of it. */
  private <T> WriteResult<T> written(WriteResult<T> result) {
    attachments(result.events());
    if (!result.events().isEmpty()) {
      events.publish(result.revision(), result.events());
    }
    return result;
  }

  /**
   * Keeps the lessor's key sets in step with the store, from what a write did: a key whose previous
   * version had a lease leaves that lease (overwritten or deleted), a key put with a lease joins it.
   */
  private void attachments(List<Event> events) {
    for (Event event : events) {
      if (event.hasPrevKv() && event.getPrevKv().getLease() != 0) {
        lessor.detach(event.getPrevKv().getLease(), event.getPrevKv().getKey());
      }
      if (event.getType() == Event.EventType.PUT && event.getKv().getLease() != 0) {
        lessor.attach(event.getKv().getLease(), event.getKv().getKey());
      }
    }
  }

  private MemberRecord changeMembers(MemberChange change) {
    return switch (change.getBodyCase()) {
      case ADD -> members.add(change.getAdd());
      case REMOVE -> members.remove(change.getRemove());
      case UPDATE -> members.update(change.getUpdate().getId(), change.getUpdate().getPeerUrlsList());
      case PROMOTE -> members.promote(change.getPromote());
      case BODY_NOT_SET -> throw new EtcdException(EtcdError.UNKNOWN);
    };
  }

  private CommandResult membership(MemberRecord changed) {
    MembershipResult.Builder result = MembershipResult.newBuilder().addAllMembers(members.list());
    if (changed != null) {
      result.setMember(changed);
    }
    return CommandResult.newBuilder().setMembership(result).build();
  }

  static CommandResult unknownError() {
    return CommandResult.newBuilder().setError(EtcdError.UNKNOWN.name()).build();
  }

  private static ResponseHeader header(long revision) {
    return ResponseHeader.newBuilder().setRevision(revision).build();
  }

  void writeTo(OutputStream out) throws IOException {
    capture().write(out);
  }

  /**
   * This state as of now, to write later on any thread while applying goes on: the small parts
   * (membership, alarms, leases, the v2 tree) encoded now, the MVCC store as an image of
   * references ({@link MvccStore#capture}), encoded when written. Apply thread only.
   */
  SnapshotFile.BodyWriter capture() throws IOException {
    java.io.ByteArrayOutputStream small = new java.io.ByteArrayOutputStream();
    DataOutputStream data = new DataOutputStream(small);
    data.writeInt(SNAPSHOT_FORMAT);
    members.writeTo(data);
    alarms.writeTo(data);
    lessor.writeTo(data);
    data.flush();
    v2.writeTo(small);
    MvccSnapshot.Image image = store.capture();
    return out -> {
      small.writeTo(out);
      image.writeTo(out);
      out.flush();
    };
  }

  /** Reads a snapshot; the v2 tree is loaded into {@code v2} in place (its watchers stay). */
  static Applier readFrom(InputStream in, Settings settings, Lessor.Listener leases, EventSink events, V2Store v2)
      throws IOException {
    return readFrom(in, settings, leases, events, v2, new MvccCounters());
  }

  /** As above; the store goes on counting into {@code counters}. */
  static Applier readFrom(InputStream in, Settings settings, Lessor.Listener leases, EventSink events, V2Store v2,
      MvccCounters counters) throws IOException {
    return read(in, settings, leases, events, v2, counters, true);
  }

  /**
   * What {@code keel snapshot restore} starts a new cluster from: the keys with their whole kept
   * history and revisions, the leases and the alarms of a snapshot, as etcd's restore keeps its
   * backend; not the members (the new cluster's own flags name them) nor the v2 tree (etcd's
   * snapshot does not hold it either). {@code v2} is the new member's own, left as it was.
   */
  static Applier restoredFrom(InputStream in, Settings settings, Lessor.Listener leases, EventSink events,
      V2Store v2, MvccCounters counters) throws IOException {
    return read(in, settings, leases, events, v2, counters, false);
  }

  /** {@code whole}: members and v2 tree too (into {@code v2}), else both left out. */
  private static Applier read(InputStream in, Settings settings, Lessor.Listener leases, EventSink events,
      V2Store v2, MvccCounters counters, boolean whole) throws IOException {
    DataInputStream data = new DataInputStream(in);
    int format = data.readInt();
    if (format != SNAPSHOT_FORMAT) {
      throw new IOException("snapshot format " + format + " is not one this Keel reads (" + SNAPSHOT_FORMAT + ")");
    }
    Members members = Members.readFrom(data);
    Alarms alarms = Alarms.readFrom(data);
    Lessor lessor = Lessor.readFrom(data, settings.minLeaseTtl(), leases);
    (whole ? v2 : newV2Store(1, Runnable::run)).readFrom(in);
    return new Applier(settings, MvccStore.readFrom(in, counters), whole ? members : new Members(), alarms, lessor, events, v2);
  }
}
