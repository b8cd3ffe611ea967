package keel.agent;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a node publishes about itself, as {@code key=value} lines so that {@code etcdctl get} and
 * {@code etcdctl elect -l} print something a person can read. Two uses: its member entry
 * ({@code ip}, {@code ssh}) and its election value ({@code node}, {@code service}: where its gated
 * process listens).
 *
 * <pre>
 * ip=127.0.0.11
 * ssh=ssh-ed25519 AAAAC3Nz... keel@node1
 * </pre>
 */
public record NodeRecord(Map<String, String> fields) {
  public NodeRecord {
    fields = Map.copyOf(fields);
  }

  public static NodeRecord member(String ip, String sshPublicKey) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("ip", ip);
    if (sshPublicKey != null && !sshPublicKey.isBlank()) {
      fields.put("ssh", sshPublicKey.strip());
    }
    return new NodeRecord(fields);
  }

  public static NodeRecord leader(String node, String serviceHostPort) {
    return new NodeRecord(Map.of("node", node, "service", serviceHostPort));
  }

  public Optional<String> get(String field) {
    return Optional.ofNullable(fields.get(field));
  }

  public ByteSequence toBytes() {
    StringBuilder text = new StringBuilder();
    fields.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> text.append(e.getKey()).append('=').append(e.getValue()).append('\n'));
    return ByteSequence.from(text.toString(), StandardCharsets.UTF_8);
  }

  /** Parses {@code key=value} lines; lines without '=' are ignored (a value written by someone else). */
  public static NodeRecord parse(ByteSequence bytes) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : bytes.toString(StandardCharsets.UTF_8).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        fields.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
      }
    }
    return new NodeRecord(fields);
  }
}
