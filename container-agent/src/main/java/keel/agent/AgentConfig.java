package keel.agent;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import keel.client.connect.EtcdConnection;
import keel.server.ServerConfig;

/**
 * Everything one agent needs, resolved from {@code keel agent}'s flags.
 *
 * @param name this node's name: its member key, its hosts line and (embedded) its etcd member name
 * @param advertiseIp the address other nodes reach this one at (hosts line, gated process, proxy)
 * @param connection the cluster's client URLs (with an embedded server, the server's own), with
 *     the TLS files and credentials to reach them (etcdctl's flags and {@code ETCDCTL_*} variables)
 * @param server the member this JVM runs, when the agent embeds one (the container case)
 * @param ttl the session lease's TTL: a dead node leaves every table after about this long
 * @param prefix the root of Keel's keys: {@code <prefix>/members/<name>}, election {@code <prefix>/leader}
 * @param gateCommand the leader-gated process as an argv; empty when the gate is off
 * @param gatePort where the gated process listens on {@code advertiseIp}
 * @param proxyListen where this node's leader proxy listens; empty when off
 * @param stateDir where the agent remembers its last lease (to take its own registration over after a restart)
 */
public record AgentConfig(
    String name,
    String advertiseIp,
    EtcdConnection connection,
    Optional<ServerConfig> server,
    Duration ttl,
    String prefix,
    Path hostsFile,
    String serviceAlias,
    List<String> gateCommand,
    int gatePort,
    Optional<Path> gateRecord,
    Duration stopGrace,
    Optional<InetSocketAddress> proxyListen,
    Path sshDir,
    Path authorizedKeys,
    Path stateDir) {

  public AgentConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(advertiseIp, "advertiseIp");
    Objects.requireNonNull(connection, "connection");
    gateCommand = List.copyOf(gateCommand);
  }

  /** The cluster's client URLs. */
  public List<URI> endpoints() {
    return connection.endpoints();
  }

  public String membersPrefix() {
    return AgentKeys.members(prefix);
  }

  public String electionName() {
    return AgentKeys.election(prefix);
  }

  public boolean gateEnabled() {
    return !gateCommand.isEmpty();
  }

  /** {@code ip:port} where this node's gated process listens (published in its election value). */
  public String serviceAddress() {
    return advertiseIp + ":" + gatePort;
  }
}
