package keel.agent;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import keel.agent.gate.GatedProcess;
import keel.agent.gate.LeaderGate;
import keel.agent.hosts.HostsTable;
import keel.agent.proxy.ElectionRoutes;
import keel.agent.proxy.LeaderProxy;
import keel.agent.ssh.AuthorizedKeys;
import keel.agent.ssh.SshKeys;
import keel.client.membership.DuplicateMemberException;
import keel.client.membership.Membership;
import keel.client.session.Session;
import keel.server.KeelServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's agent: registers the node under a session, keeps the hosts table and
 * authorized_keys in step with the live members, runs the gated process while this node leads the
 * election, and forwards its proxy port to wherever the gated process runs. Optionally runs the
 * Keel member of this node in the same JVM.
 *
 * <p>Liveness hangs off one {@link Session} at a time: when it is lost the gate has already
 * dropped leadership (the gate's own fence fires first), and the loop here opens a new session,
 * registers again and campaigns again.
 */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
  private static final String LEASE_FILE = "agent-lease";
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(1);

  private final AgentConfig config;
  private final AgentProblems problems;
  private final Optional<KeelServer> server;
  private final Client client;
  private final ExecutorService tablesThread;
  private final Membership membership;
  private final MemberTables tables;
  private final LeaderGate gate;
  private final ElectionRoutes routes;
  private final LeaderProxy proxy;
  private final String sshPublicKey;
  private final Thread sessionLoop;
  private volatile Session session;
  private volatile boolean closed;

  private Agent(AgentConfig config, Optional<KeelServer> server) throws IOException {
    this.config = config;
    this.server = server;
    String node = config.name();
    this.problems = new AgentProblems(node);
    Files.createDirectories(config.stateDir());
    this.sshPublicKey = publicKey(config, problems);
    this.client = config.connection().connect();
    this.tablesThread = Executors.newSingleThreadExecutor(r -> daemon(r, "keel-" + node + "-tables"));
    this.tables = new MemberTables(node, new HostsTable(config.hostsFile()),
        new AuthorizedKeys(config.authorizedKeys()), config.serviceAlias(), problems);
    this.membership = new Membership(client, bytes(config.membersPrefix()));
    membership.addListener(tables::membersChanged, tablesThread);
    this.gate = config.gateEnabled() ? new LeaderGate(node, client, bytes(config.electionName()),
        NodeRecord.leader(node, config.serviceAddress()).toBytes(), gatedProcess(config),
        config.stopGrace()) : null;
    this.routes = new ElectionRoutes(node, client, bytes(config.electionName()),
        () -> gate != null && gate.holdsValidLeadership(), this::viewFreshUntil);
    this.proxy = config.proxyListen().map(listen -> new LeaderProxy(node, listen, routes)).orElse(null);
    this.sessionLoop = new Thread(this::sessionLoop, "keel-" + node + "-session");
    sessionLoop.setDaemon(true);
  }

  /** Starts the embedded member (if any) and the agent; returns once both run (the cluster may not be up yet). */
  public static Agent start(AgentConfig config) throws IOException {
    Optional<KeelServer> server = Optional.empty();
    if (config.server().isPresent()) {
      server = Optional.of(KeelServer.start(MemberRecovery.prepare(config.server().get(), config.connection())));
    }
    try {
      Agent agent = new Agent(config, server);
      agent.startParts();
      return agent;
    } catch (IOException | RuntimeException e) {
      server.ifPresent(KeelServer::close);
      throw e;
    }
  }

  private void startParts() {
    if (proxy != null) {
      try {
        proxy.start();
        LOG.info("{}: proxy on {} forwards to the gated process's holder", config.name(),
            proxy.boundAddress());
      } catch (IOException e) {
        problems.report("proxy", "cannot listen on " + config.proxyListen().orElseThrow() + ": "
            + e.getMessage() + " (the rest of the agent keeps running)");
      }
    }
    routes.start(Optional.ofNullable(proxy), holder -> tables.holderChanged(
        holder.map(ElectionRoutes::holderName)), tablesThread);
    sessionLoop.start();
  }

  /** What is wrong with this node now, by area (empty when all is well). */
  public Map<String, String> problems() {
    return problems.snapshot();
  }

  /** Whether this node's gated process runs here now. */
  public boolean runsGatedProcess() {
    return gate != null && gate.isProcessRunning();
  }

  public AgentConfig config() {
    return config;
  }

  public Optional<KeelServer> server() {
    return server;
  }

  /** While this node's view of the cluster is recent: its session was confirmed within the TTL. */
  private long viewFreshUntil() {
    Session s = session;
    return s == null || !s.isAlive() ? System.nanoTime() - 1 : s.aliveUntilNanos();
  }

  private void sessionLoop() {
    String node = config.name();
    long previousLease = readPreviousLease();
    boolean membershipStarted = false;
    Duration backoff = Duration.ofMillis(100);
    while (!closed) {
      Session s;
      try {
        s = Session.builder(client).ttl(config.ttl()).open();
      } catch (RuntimeException e) {
        problems.report("cluster", "cannot open a session on " + config.endpoints() + ": "
            + rootMessage(e) + "; retrying every second");
        pause(backoff);
        // Capped at a second: a node joins the tables about a second after its cluster forms.
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        continue;
      }
      backoff = Duration.ofMillis(100);
      problems.clear("cluster");
      session = s;
      LOG.info("{}: session open (lease {}, TTL {} s)", node, Long.toHexString(s.leaseId()), s.ttl().toSeconds());
      try {
        if (!membershipStarted) {
          membership.start().get(30, TimeUnit.SECONDS);
          membershipStarted = true;
        }
        if (!register(s, previousLease)) {
          continue;
        }
        previousLease = s.leaseId();
        if (closed) {
          return;
        }
        writePreviousLease(previousLease);
        if (gate != null) {
          gate.campaign(s);
        }
        s.lost().get();
        if (!closed) {
          LOG.warn("{}: session lost ({}); registering again under a new one", node, s.lost().get());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException | RuntimeException e) {
        LOG.warn("{}: {}; starting over with a new session", node, rootMessage(e));
        s.close();
      }
    }
  }

  /** Registers under {@code s}; a duplicate name is reported and retried until the session ends. */
  private boolean register(Session s, long previousLease) throws InterruptedException {
    ByteSequence value = NodeRecord.member(config.advertiseIp(), sshPublicKey).toBytes();
    while (!closed && s.isAlive()) {
      try {
        membership.register(s, config.name(), value, previousLease).get(30, TimeUnit.SECONDS);
        problems.clear("registration");
        LOG.info("{}: registered as {}{} ({})", config.name(), config.membersPrefix(), config.name(),
            config.advertiseIp());
        return true;
      } catch (ExecutionException e) {
        if (e.getCause() instanceof DuplicateMemberException dup) {
          problems.report("registration", dup.getMessage() + " Another node uses --name " + config.name()
              + ": give every node a unique name. Retrying until that registration expires.");
        } else {
          problems.report("registration", "failed: " + rootMessage(e) + "; retrying");
        }
      } catch (TimeoutException e) {
        problems.report("registration", "timed out; retrying");
      }
      pause(Duration.ofSeconds(1));
    }
    return false;
  }

  private long readPreviousLease() {
    Path file = config.stateDir().resolve(LEASE_FILE);
    try {
      return Files.exists(file) ? Long.parseUnsignedLong(Files.readString(file).strip(), 16) : 0;
    } catch (IOException | NumberFormatException e) {
      LOG.warn("{}: ignoring unreadable {}: {}", config.name(), file, e.getMessage());
      return 0;
    }
  }

  private void writePreviousLease(long lease) {
    Path file = config.stateDir().resolve(LEASE_FILE);
    try {
      Files.writeString(file, Long.toHexString(lease) + "\n");
    } catch (IOException e) {
      LOG.warn("{}: cannot remember the lease in {}: {} (after a restart this node waits for its old"
          + " registration to expire)", config.name(), file, e.getMessage());
    }
  }

  private static String publicKey(AgentConfig config, AgentProblems problems) {
    try {
      return SshKeys.ensureKeyPair(config.sshDir(), "keel@" + config.name());
    } catch (IOException | RuntimeException e) {
      problems.report("ssh key", e.getMessage() + " (the node registers without one)");
      return null;
    }
  }

  private static GatedProcess gatedProcess(AgentConfig config) {
    Map<String, String> env = new HashMap<>();
    env.put("KEEL_NODE", config.name());
    env.put("KEEL_GATE_HOST", config.advertiseIp());
    env.put("KEEL_GATE_PORT", Integer.toString(config.gatePort()));
    config.gateRecord().ifPresent(record -> env.put("KEEL_GATE_RECORD", record.toString()));
    return new GatedProcess(config.name(), config.gateCommand(), env,
        config.stateDir().resolve("gate.log"), config.stopGrace());
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis()); // a retry's backoff, not a wait for a condition
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  /**
   * Stops in the order that keeps the cluster's view right: the gated process first (with its full
   * grace), then leadership and registration go with the session's lease, then the proxy, then the
   * member this JVM runs.
   */
  @Override
  public void close() {
    closed = true;
    sessionLoop.interrupt();
    if (gate != null) {
      gate.close();
    }
    Session s = session;
    if (s != null) {
      s.close();
    }
    closeQuietly(membership);
    closeQuietly(routes);
    if (proxy != null) {
      closeQuietly(proxy);
    }
    // Nothing of this agent may touch its files once close() returns: wait for its threads.
    tablesThread.shutdown();
    try {
      if (!tablesThread.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("{}: the tables thread did not stop within 10 s", config.name());
      }
      sessionLoop.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    client.close();
    server.ifPresent(KeelServer::close);
  }

  private void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("{}: while stopping: {}", config.name(), e.toString());
    }
  }
}
