package keel.server.command;

import java.util.ArrayList;
import java.util.List;
import keel.server.errors.V2Error;
import keel.server.errors.V2Exception;
import keel.server.v2store.V2Event;
import keel.server.v2store.V2NodeExtern;

/**
 * A v2 write's outcome to and from its log-result message ({@link V2Answer}): the event, or
 * etcd's error with its code, cause and index. The leader answers a forwarded write with these
 * bytes, so the conversion must lose nothing a client sees.
 */
public final class V2Answers {
  private V2Answers() {}

  public static V2Answer of(V2Event e) {
    V2Answer.Builder b = V2Answer.newBuilder().setAction(e.action()).setEtcdIndex(e.etcdIndex());
    if (e.node() != null) {
      b.setNode(node(e.node()));
    }
    if (e.prevNode() != null) {
      b.setPrevNode(node(e.prevNode()));
    }
    return b.build();
  }

  public static V2Answer of(V2Exception e) {
    return V2Answer.newBuilder()
        .setErrorCode(e.error().code())
        .setErrorCause(e.errorCause() == null ? "" : e.errorCause())
        .setEtcdIndex(e.index())
        .build();
  }

  /** The event an answer carries; throws the error it carries instead. */
  public static V2Event event(V2Answer answer) {
    if (answer.getErrorCode() != 0) {
      throw new V2Exception(V2Error.ofCode(answer.getErrorCode()), answer.getErrorCause(), answer.getEtcdIndex());
    }
    return new V2Event(answer.getAction(), answer.hasNode() ? extern(answer.getNode()) : null,
        answer.hasPrevNode() ? extern(answer.getPrevNode()) : null, answer.getEtcdIndex(), false);
  }

  private static V2Node node(V2NodeExtern n) {
    V2Node.Builder b = V2Node.newBuilder()
        .setKey(n.key())
        .setDir(n.dir())
        .setExpiration(n.expiration())
        .setTtl(n.ttl())
        .setModifiedIndex(n.modifiedIndex())
        .setCreatedIndex(n.createdIndex());
    if (n.value() != null) {
      b.setValue(n.value());
    }
    if (n.nodes() != null) {
      n.nodes().forEach(child -> b.addNodes(node(child)));
    }
    return b.build();
  }

  private static V2NodeExtern extern(V2Node n) {
    List<V2NodeExtern> nodes = new ArrayList<>(n.getNodesCount());
    n.getNodesList().forEach(child -> nodes.add(extern(child)));
    return new V2NodeExtern(n.getKey(), n.hasValue() ? n.getValue() : null, n.getDir(), n.getExpiration(),
        n.getTtl(), nodes, n.getModifiedIndex(), n.getCreatedIndex());
  }
}
