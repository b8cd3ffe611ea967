package keel.server.statemachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import keel.server.command.MemberAttributes;

/**
 * What each member published about itself through the log (its client URLs), by member name.
 * Written on the apply thread, read by the Cluster service: a concurrent sorted map.
 */
public final class Members {
  private final Map<String, List<String>> clientUrls = new ConcurrentSkipListMap<>();

  void publish(MemberAttributes attributes) {
    clientUrls.put(attributes.getName(), List.copyOf(attributes.getClientUrlsList()));
  }

  /** The client URLs a member published, or an empty list if it has not (yet). */
  public List<String> clientUrls(String member) {
    return clientUrls.getOrDefault(member, List.of());
  }

  void writeTo(DataOutputStream out) throws IOException {
    Map<String, List<String>> sorted = new TreeMap<>(clientUrls);
    out.writeInt(sorted.size());
    for (Map.Entry<String, List<String>> member : sorted.entrySet()) {
      out.writeUTF(member.getKey());
      out.writeInt(member.getValue().size());
      for (String url : member.getValue()) {
        out.writeUTF(url);
      }
    }
  }

  static Members readFrom(DataInputStream in) throws IOException {
    Members members = new Members();
    int count = in.readInt();
    for (int i = 0; i < count; i++) {
      String name = in.readUTF();
      int urls = in.readInt();
      String[] list = new String[urls];
      for (int j = 0; j < urls; j++) {
        list[j] = in.readUTF();
      }
      members.clientUrls.put(name, List.of(list));
    }
    return members;
  }
}
