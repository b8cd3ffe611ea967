package keel.agent;

import io.etcd.jetcd.ByteSequence;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import keel.agent.hosts.HostEntry;
import keel.agent.hosts.HostsTable;
import keel.agent.ssh.AuthorizedKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders the node's files from the cluster's live members: the hosts table (one line per member,
 * plus the service alias on the member that runs the gated process) and authorized_keys (every
 * member's public key). Called on one thread, on every membership or holder change; each file is
 * written only when its content changes. A file that cannot be written is reported (once per
 * distinct error, in {@link AgentProblems}) and retried on the next change; the other file is still kept.
 */
public final class MemberTables {
  private static final Logger LOG = LoggerFactory.getLogger(MemberTables.class);

  private final String node;
  private final HostsTable hosts;
  private final AuthorizedKeys authorizedKeys;
  private final String serviceAlias;
  private SortedMap<String, ByteSequence> members = new TreeMap<>();
  private Optional<String> holder = Optional.empty();
  private final AgentProblems problems;

  public MemberTables(String node, HostsTable hosts, AuthorizedKeys authorizedKeys, String serviceAlias,
      AgentProblems problems) {
    this.node = node;
    this.problems = problems;
    this.hosts = hosts;
    this.authorizedKeys = authorizedKeys;
    this.serviceAlias = serviceAlias;
  }

  public synchronized void membersChanged(SortedMap<String, ByteSequence> members) {
    this.members = members;
    render();
  }

  public synchronized void holderChanged(Optional<String> holderNode) {
    this.holder = holderNode;
    render();
  }

  private void render() {
    List<HostEntry> entries = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    members.forEach((name, value) -> {
      NodeRecord record = NodeRecord.parse(value);
      record.get("ip").ifPresent(ip -> {
        List<String> names = new ArrayList<>(List.of(name));
        if (holder.filter(name::equals).isPresent() && !serviceAlias.isEmpty()) {
          names.add(serviceAlias);
        }
        entries.add(new HostEntry(ip, names));
      });
      record.get("ssh").ifPresent(keys::add);
    });
    attempt("hosts file", () -> hosts.update(entries));
    attempt("authorized_keys", () -> authorizedKeys.update(keys));
  }

  private interface FileUpdate {
    boolean run() throws IOException;
  }

  private void attempt(String what, FileUpdate update) {
    try {
      if (update.run()) {
        LOG.info("{}: {} updated ({} members)", node, what, members.size());
      }
      problems.clear(what);
    } catch (IOException | RuntimeException e) {
      problems.report(what, "cannot write it: " + e.getMessage()
          + " (the agent keeps running and retries on the next change)");
    }
  }
}
