package keel.server.statemachine;

import io.etcd.jetcd.api.ResponseHeader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import keel.server.command.Command;
import keel.server.command.CommandResult;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import keel.server.mvcc.LeaseLookup;
import keel.server.mvcc.MvccStore;
import keel.server.mvcc.WriteResult;
import keel.server.watch.EventSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one dispatch switch: applies a command to the stores, in log order, deterministically.
 * Errors are data ({@link CommandResult#getError()}) so that every member records the same answer.
 */
public final class Applier {
  private static final Logger LOG = LoggerFactory.getLogger(Applier.class);
  private static final int SNAPSHOT_FORMAT = 1;

  /** Until leases exist, no lease does: a put with a lease answers "requested lease not found". */
  private static final LeaseLookup NO_LEASES = LeaseLookup.NONE;

  /** What every member must agree on to apply alike. */
  public record Settings(long quotaBackendBytes) {}

  private final Settings settings;
  private final MvccStore store;
  private final Members members;
  /** Gets each write's events, by a non-blocking call (the watch hub). */
  private final EventSink events;

  public Applier(Settings settings) {
    this(settings, EventSink.NONE);
  }

  public Applier(Settings settings, EventSink events) {
    this(settings, new MvccStore(settings.quotaBackendBytes()), new Members(), events);
  }

  private Applier(Settings settings, MvccStore store, Members members, EventSink events) {
    this.settings = settings;
    this.store = store;
    this.members = members;
    this.events = events;
  }

  public MvccStore store() {
    return store;
  }

  public Members members() {
    return members;
  }

  public CommandResult apply(long index, Command command) {
    try {
      return switch (command.getBodyCase()) {
        case PUT -> {
          WriteResult<io.etcd.jetcd.api.PutResponse> r = published(store.put(command.getPut(), NO_LEASES));
          yield CommandResult.newBuilder()
              .setPut(r.response().toBuilder().setHeader(header(r.revision()))).build();
        }
        case DELETE_RANGE -> {
          WriteResult<io.etcd.jetcd.api.DeleteRangeResponse> r = published(store.deleteRange(command.getDeleteRange()));
          yield CommandResult.newBuilder()
              .setDeleteRange(r.response().toBuilder().setHeader(header(r.revision()))).build();
        }
        case TXN -> {
          WriteResult<io.etcd.jetcd.api.TxnResponse> r = published(store.txn(command.getTxn(), NO_LEASES));
          yield CommandResult.newBuilder()
              .setTxn(r.response().toBuilder().setHeader(header(r.revision()))).build();
        }
        case COMPACTION -> {
          WriteResult<io.etcd.jetcd.api.CompactionResponse> r = store.compact(command.getCompaction());
          yield CommandResult.newBuilder()
              .setCompaction(r.response().toBuilder().setHeader(header(r.revision()))).build();
        }
        case PUBLISH_MEMBER -> {
          members.publish(command.getPublishMember());
          yield CommandResult.newBuilder().setPublishMember(command.getPublishMember()).build();
        }
        case BODY_NOT_SET -> throw new IllegalStateException("empty command at index " + index);
      };
    } catch (EtcdException e) {
      return CommandResult.newBuilder().setError(e.error().name()).build();
    } catch (RuntimeException e) {
      LOG.error("applying the command at index {} failed unexpectedly: {}", index, command, e);
      return unknownError();
    }
  }

  /** Hands a write's events (if it changed anything) to the watch hub; returns the result. */
  private <T> WriteResult<T> published(WriteResult<T> result) {
    if (!result.events().isEmpty()) {
      events.publish(result.revision(), result.events());
    }
    return result;
  }

  static CommandResult unknownError() {
    return CommandResult.newBuilder().setError(EtcdError.UNKNOWN.name()).build();
  }

  private static ResponseHeader header(long revision) {
    return ResponseHeader.newBuilder().setRevision(revision).build();
  }

  void writeTo(OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(SNAPSHOT_FORMAT);
    members.writeTo(data);
    data.flush();
    store.writeTo(out);
    out.flush();
  }

  static Applier readFrom(InputStream in, Settings settings, EventSink events) throws IOException {
    DataInputStream data = new DataInputStream(in);
    int format = data.readInt();
    if (format != SNAPSHOT_FORMAT) {
      throw new IOException("snapshot format " + format + " is not one this Keel reads (" + SNAPSHOT_FORMAT + ")");
    }
    Members members = Members.readFrom(data);
    return new Applier(settings, MvccStore.readFrom(in, settings.quotaBackendBytes()), members, events);
  }
}
