package keel.agent.cli;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import keel.agent.Agent;
import keel.agent.AgentConfig;
import keel.agent.AgentKeys;
import keel.client.connect.EtcdConnection;
import keel.server.GoDuration;
import keel.server.ServerConfig;
import keel.server.cli.CliException;
import keel.server.cli.ServerFlags;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keel agent [agent flags] [etcd flags]}: the per-node agent, and the container's
 * entrypoint. Without {@code --endpoints} it runs this node's Keel member in the same JVM, from
 * the etcd flags that follow (etcd's defaults when there are none); with {@code --endpoints} it
 * joins an existing cluster (Keel or etcd) as a client only.
 */
@Command(name = "agent", sortOptions = false,
    description = {"Run the node agent: membership, hosts table, leader-gated process, leader proxy,"
        + " ssh keys. Flags it does not know are etcd's and start this node's member in the same"
        + " JVM, unless --endpoints names an existing cluster."})
public final class AgentCommand implements Callable<Integer> {
  @Option(names = "--endpoints", split = ",", paramLabel = "URL",
      description = "Join this cluster as a client only (e.g. http://10.0.0.1:2379,...); no member runs here.")
  private List<URI> endpoints = new ArrayList<>();

  @Option(names = "--cacert", paramLabel = "FILE", description = "Verify the cluster's certificates with this CA"
      + " (etcdctl's flag; ETCDCTL_CACERT; default with an embedded member: its --trusted-ca-file).")
  private Path cacert;

  @Option(names = "--cert", paramLabel = "FILE", description = "This client's certificate (ETCDCTL_CERT; default with"
      + " an embedded member: its --cert-file).")
  private Path cert;

  @Option(names = "--key", paramLabel = "FILE", description = "The key of --cert (ETCDCTL_KEY; default with an"
      + " embedded member: its --key-file).")
  private Path key;

  @Option(names = "--insecure-skip-tls-verify", arity = "0..1", description = "Do not verify the cluster's"
      + " certificates (ETCDCTL_INSECURE_SKIP_TLS_VERIFY; default with an embedded member on --auto-tls: true).")
  private Boolean insecureSkipTlsVerify;

  @Option(names = "--user", paramLabel = "NAME[:PASSWORD]", description = "Authenticate as this user (ETCDCTL_USER).")
  private String user;

  @Option(names = "--password", paramLabel = "PASSWORD", description = "The user's password (ETCDCTL_PASSWORD).")
  private String password;

  @Option(names = "--name", description = "This node's name (default: the member's --name, or 'default').")
  private String name;

  @Option(names = "--advertise-ip", description = "The address other nodes reach this node at"
      + " (default: the host of the member's first advertised client URL, else 127.0.0.1).")
  private String advertiseIp;

  @Option(names = "--ttl", defaultValue = "5s",
      description = "Session TTL: a dead node leaves every table after about this long (default ${DEFAULT-VALUE}).")
  private String ttl;

  @Option(names = "--prefix", defaultValue = AgentKeys.DEFAULT_PREFIX, description = "Root of the agent's keys (default ${DEFAULT-VALUE}).")
  private String prefix;

  @Option(names = "--hosts-file", defaultValue = "/etc/hosts", description = "Hosts file to keep (default ${DEFAULT-VALUE}).")
  private Path hostsFile;

  @Option(names = "--service-alias", defaultValue = "jupyter",
      description = "Hosts alias of the node that runs the gated process (default ${DEFAULT-VALUE}; '' for none).")
  private String serviceAlias;

  @Option(names = "--gate-cmd", defaultValue = "auto",
      description = "The leader-gated process, a shell command (it gets KEEL_NODE, KEEL_GATE_HOST,"
          + " KEEL_GATE_PORT); 'jupyter', 'builtin' (a small page naming its node), 'auto' (jupyter"
          + " when jupyter-notebook is installed, else builtin) or 'none' (default ${DEFAULT-VALUE}).")
  private String gateCmd;

  @Option(names = "--gate-port", defaultValue = "18888", description = "Port of the gated process (default ${DEFAULT-VALUE}).")
  private int gatePort;

  @Option(names = "--gate-record", description = "File the built-in service appends its start/stop/request records to.")
  private Path gateRecord;

  @Option(names = "--stop-grace", defaultValue = "5s",
      description = "SIGTERM to SIGKILL when the gated process is stopped (default ${DEFAULT-VALUE}).")
  private String stopGrace;

  @Option(names = "--proxy-listen",
      description = "host:port of this node's proxy to the gated process ('none' for no proxy; default <advertise-ip>:8888).")
  private String proxyListen;

  @Option(names = "--ssh-dir", description = "Where this node's ssh key pair lives (default ~/.ssh).")
  private Path sshDir;

  @Option(names = "--authorized-keys", description = "authorized_keys rendered from every member's key (default <ssh-dir>/authorized_keys).")
  private Path authorizedKeys;

  @Option(names = "--state-dir", description = "Where the agent keeps its state (default <data-dir>/agent, or ./<name>.keel-agent with --endpoints).")
  private Path stateDir;

  @Parameters(arity = "0..*", paramLabel = "ETCD-FLAG", description = "etcd flags for this node's member")
  private List<String> serverFlags = new ArrayList<>();

  @Spec
  private CommandSpec spec;

  private final Map<String, String> env;

  public AgentCommand() {
    this(System.getenv());
  }

  AgentCommand(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  /**
   * The configuration {@code keel agent <args>} would run with (warnings go to stderr), for tests
   * and for programs that embed the agent.
   *
   * @throws IllegalArgumentException or {@link CliException} when the arguments are wrong
   */
  public static AgentConfig parse(Map<String, String> env, String... args) {
    AgentCommand command = new AgentCommand(env);
    CommandLine cl = configure(new CommandLine(command));
    cl.parseArgs(args);
    return command.config(new PrintWriter(System.err, true));
  }

  static CommandLine configure(CommandLine agent) {
    // As Go's flag package: a flag given twice takes the last value.
    return agent.setUnmatchedOptionsArePositionalParams(true).setExpandAtFiles(false)
        .setOverwrittenOptionsAllowed(true);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    AgentConfig config;
    try {
      config = config(err);
    } catch (CliException e) {
      err.println("keel agent: " + e.getMessage());
      err.flush();
      return e.exitCode();
    } catch (IllegalArgumentException e) {
      err.println("keel agent: " + e.getMessage());
      err.flush();
      return CliException.USAGE;
    }
    Agent agent;
    try {
      agent = Agent.start(config);
    } catch (Exception e) {
      err.println("keel agent: failed to start: " + e.getMessage());
      err.flush();
      return 1;
    }
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        agent.close();
      } finally {
        closed.countDown();
      }
    }, "keel-agent-shutdown"));
    closed.await();
    return 0;
  }

  /**
   * How the agent reaches the cluster, as etcdctl would be told: its flags, over {@code ETCDCTL_*},
   * over (with an embedded member advertising https URLs) what the member's own client TLS says:
   * its CA, its certificate and key, and no verification of a self-signed one ({@code --auto-tls}).
   */
  private EtcdConnection connection(List<URI> clusterEndpoints, Optional<ServerConfig> server) {
    EtcdConnection defaults = EtcdConnection.plain(clusterEndpoints);
    if (server.isPresent() && clusterEndpoints.stream().anyMatch(u -> "https".equals(u.getScheme()))) {
      ServerConfig.TlsInfo tls = server.get().clientTls();
      defaults = new EtcdConnection(clusterEndpoints, tls.trustedCaFile(), tls.certFile(), tls.keyFile(),
          tls.selfSigned(), null, null);
    }
    EtcdConnection fromEnv = EtcdConnection.fromEnvironment(env, defaults);
    return new EtcdConnection(fromEnv.endpoints(),
        cacert != null ? cacert : fromEnv.caCert(),
        cert != null ? cert : fromEnv.cert(),
        key != null ? key : fromEnv.key(),
        insecureSkipTlsVerify != null ? insecureSkipTlsVerify : fromEnv.insecureSkipTlsVerify(),
        user != null ? user : fromEnv.user(),
        user != null || password != null ? password : fromEnv.password());
  }

  /** The agent's configuration from its flags; visible for tests. */
  AgentConfig config(PrintWriter err) {
    Optional<ServerConfig> server = Optional.empty();
    List<URI> clusterEndpoints = endpoints;
    if (endpoints.isEmpty()) {
      List<String> flags = new ArrayList<>(serverFlags);
      if (name != null) {
        flags.add("--name=" + name);
      }
      ServerFlags.Outcome outcome = ServerFlags.parse(flags, env);
      if (outcome.action() != ServerFlags.Action.RUN) {
        throw new IllegalArgumentException("see 'keel server --help' for the member's flags");
      }
      outcome.warnings().forEach(err::println);
      server = Optional.of(outcome.config());
      clusterEndpoints = outcome.config().advertiseClientUrls();
    } else if (!serverFlags.isEmpty()) {
      throw new IllegalArgumentException("--endpoints joins an existing cluster: it takes no member"
          + " flags (got " + String.join(" ", serverFlags) + ")");
    }
    String node = name != null ? name : server.map(ServerConfig::name).orElse(ServerConfig.DEFAULT_NAME);
    String ip = advertiseIp != null ? advertiseIp : defaultIp(clusterEndpoints);
    Duration ttlDuration = duration("--ttl", ttl);
    if (ttlDuration.toSeconds() < 1) {
      throw new IllegalArgumentException("--ttl must be at least 1s (got " + ttl + ")");
    }
    Path ssh = sshDir != null ? sshDir : Path.of(System.getProperty("user.home"), ".ssh");
    Path state = stateDir != null ? stateDir
        : server.map(s -> s.dataDir().resolve("agent")).orElse(Path.of(node + ".keel-agent"));
    GateCommands.Gate gate = GateCommands.resolve(gateCmd, node, ip + ":" + gatePort, gateRecord);
    if (!gate.warning().isEmpty()) {
      err.println("keel agent: " + gate.warning());
    }
    err.flush();
    return new AgentConfig(node, ip, connection(clusterEndpoints, server), server, ttlDuration, stripSlash(prefix),
        hostsFile, serviceAlias, gate.argv(), gatePort,
        Optional.ofNullable(gateRecord), duration("--stop-grace", stopGrace),
        proxyAddress(ip), ssh, authorizedKeys != null ? authorizedKeys : ssh.resolve("authorized_keys"),
        state);
  }

  private Optional<InetSocketAddress> proxyAddress(String ip) {
    if ("none".equals(proxyListen)) {
      return Optional.empty();
    }
    String hostPort = proxyListen != null ? proxyListen : ip + ":8888";
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("--proxy-listen wants host:port or :port, got '" + hostPort + "'");
    }
    String host = colon == 0 ? ip : hostPort.substring(0, colon);
    try {
      return Optional.of(new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1))));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--proxy-listen: bad port in '" + hostPort + "'");
    }
  }

  private static String defaultIp(List<URI> endpoints) {
    String host = endpoints.isEmpty() ? null : endpoints.get(0).getHost();
    if (host == null || host.equals("localhost") || host.equals("0.0.0.0")) {
      return "127.0.0.1";
    }
    return host;
  }

  private static Duration duration(String flag, String text) {
    try {
      return text.chars().allMatch(Character::isDigit) ? Duration.ofSeconds(Long.parseLong(text))
          : GoDuration.parse(text);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(flag + ": '" + text + "' is not a duration (e.g. 5s, 500ms)");
    }
  }

  private static String stripSlash(String prefix) {
    return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
  }
}
