package keel.server.statemachine;

import java.util.List;
import java.util.concurrent.Executor;
import keel.server.command.MemberChange;
import keel.server.command.V2Answer;
import keel.server.command.V2Answers;
import keel.server.command.V2Request;
import keel.server.errors.V2Exception;
import keel.server.v2store.V2Event;
import keel.server.v2store.V2Stats;
import keel.server.v2store.V2Store;

/**
 * Applies v2 keys writes to the {@link V2Store}, choosing the store operation from the request as
 * etcd's v2 applier does (POST creates an in-order key; PUT with prevExist creates or updates,
 * with prevValue/prevIndex compares and swaps, else sets; DELETE with prevValue/prevIndex compares
 * and deletes, else deletes). A refused write is an answer too, the same on every member.
 */
final class V2Apply {
  private V2Apply() {}

  /**
   * A store for a cluster of {@code members} initial members, at the index etcd 3.4 reaches on
   * formation before any client write: one hidden create per member and one set of the cluster
   * version (each member's publish adds one more as it is applied, see {@link #published}).
   */
  static V2Store newStore(int members, Executor watchExecutor) {
    V2Store store = new V2Store(0, V2Store.DEFAULT_HISTORY, watchExecutor);
    for (int i = 0; i < members; i++) {
      store.recordHiddenChange();
      store.stats().record(V2Stats.Op.CREATE, true);
    }
    store.recordHiddenChange();
    store.stats().record(V2Stats.Op.SETS, true);
    return store;
  }

  /** A member published its attributes: etcd sets them in its hidden membership tree. */
  static void published(V2Store store) {
    store.recordHiddenChange();
    store.stats().record(V2Stats.Op.SETS, true);
  }

  /**
   * etcd keeps its membership in the v2 store too, in hidden nodes: a member added is one create,
   * removed a delete and a create (its id among the removed), updated or promoted one update. Each
   * moves the v2 index, as a client of {@code /v2/keys} sees it move on etcd.
   */
  static void membershipChanged(V2Store store, MemberChange change) {
    List<V2Stats.Op> writes = switch (change.getBodyCase()) {
      case ADD -> List.of(V2Stats.Op.CREATE);
      case REMOVE -> List.of(V2Stats.Op.DELETE, V2Stats.Op.CREATE);
      case UPDATE, PROMOTE -> List.of(V2Stats.Op.UPDATE);
      case BODY_NOT_SET -> List.of();
    };
    for (V2Stats.Op write : writes) {
      store.recordHiddenChange();
      store.stats().record(write, true);
    }
  }

  static V2Answer apply(V2Store store, V2Request r) {
    V2Stats.Op op = operation(r);
    try {
      V2Event event = switch (op) {
        case CREATE -> store.create(r.getPath(), r.getDir(), r.getValue(), r.getMethod() == V2Request.Method.POST,
            r.getExpiration(), r.getTime());
        case UPDATE -> store.update(r.getPath(), r.getValue(), r.getExpiration(), r.getRefresh(), r.getTime());
        case COMPARE_AND_SWAP -> store.compareAndSwap(r.getPath(), r.getPrevValue(), r.getPrevIndex(), r.getValue(),
            r.getExpiration(), r.getRefresh(), r.getTime());
        case SETS -> store.set(r.getPath(), r.getDir(), r.getValue(), r.getExpiration(), r.getRefresh(), r.getTime());
        case COMPARE_AND_DELETE -> store.compareAndDelete(r.getPath(), r.getPrevValue(), r.getPrevIndex(), r.getTime());
        case DELETE -> store.delete(r.getPath(), r.getDir(), r.getRecursive(), r.getTime());
        case GETS -> throw new IllegalStateException("a v2 read is never a log entry");
      };
      store.stats().record(op, true);
      return V2Answers.of(event);
    } catch (V2Exception e) {
      store.stats().record(op, false);
      return V2Answers.of(e);
    }
  }

  /** The leader's sweep: removes what expired by {@code time}; answers with the index after it. */
  static V2Answer sync(V2Store store, long time) {
    List<V2Event> expired = store.deleteExpiredKeys(time);
    store.stats().expired(expired.size());
    return V2Answer.newBuilder().setEtcdIndex(store.index()).build();
  }

  static V2Stats.Op operation(V2Request r) {
    boolean compares = r.getPrevIndex() > 0 || !r.getPrevValue().isEmpty();
    return switch (r.getMethod()) {
      case POST -> V2Stats.Op.CREATE;
      case PUT -> {
        if (r.hasPrevExist()) {
          if (!r.getPrevExist()) {
            yield V2Stats.Op.CREATE;
          }
          yield compares ? V2Stats.Op.COMPARE_AND_SWAP : V2Stats.Op.UPDATE;
        }
        yield compares ? V2Stats.Op.COMPARE_AND_SWAP : V2Stats.Op.SETS;
      }
      case DELETE -> compares ? V2Stats.Op.COMPARE_AND_DELETE : V2Stats.Op.DELETE;
      case UNRECOGNIZED -> throw new IllegalArgumentException("unknown v2 method " + r.getMethodValue());
    };
  }
}
