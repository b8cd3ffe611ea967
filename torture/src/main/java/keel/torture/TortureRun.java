package keel.torture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import keel.testing.ClusterProcesses;
import keel.testing.KeelProcesses;
import keel.testing.MemberAddress;
import keel.testing.faults.DelayProxy;
import keel.testing.faults.FakeClocks;
import keel.torture.nemesis.ClockFault;
import keel.testing.faults.NetnsNetwork;
import keel.torture.check.AcknowledgedWrites;
import keel.torture.check.CommittedHistory;
import keel.torture.check.Convergence;
import keel.torture.check.FencingChecker;
import keel.torture.check.GatedProcessChecker;
import keel.torture.check.LeaseChecker;
import keel.torture.check.RegisterLinearizability;
import keel.torture.check.SerialReads;
import keel.torture.check.V2TtlChecker;
import keel.torture.check.Verdict;
import keel.torture.check.WatchChecker;
import keel.torture.history.Call;
import keel.torture.history.History;
import keel.torture.nemesis.Nemesis;
import keel.torture.workload.ElectionWorkload;
import keel.torture.workload.LeaderObserver;
import keel.torture.workload.LeaseRecord;
import keel.torture.workload.LeaseWorkload;
import keel.torture.workload.RegisterWorkload;
import keel.torture.workload.V2TtlWorkload;
import keel.torture.workload.WatchRecorder;
import keel.torture.workload.WatchedEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One torture run: start a cluster of member processes, run the register, watch, lease,
 * election and v2 TTL workloads while the nemesis injects faults, heal, let it converge, then judge the
 * recorded histories with every checker. Writes the history, the fault timeline and the report
 * into the output directory, and keeps it all (member logs included).
 */
public final class TortureRun {
  private static final Logger LOG = LoggerFactory.getLogger(TortureRun.class);

  private final TortureSettings settings;

  public TortureRun(TortureSettings settings) {
    this.settings = settings;
  }

  public TortureReport run() throws Exception {
    Files.createDirectories(settings.output());
    try (TortureCluster cluster = startCluster()) {
      return run(cluster);
    }
  }

  /**
   * The members as processes: on loopback, or each in a network namespace of its own with a delay
   * proxy (in the root namespace, on the bridge) in front of its peer port, which the others dial.
   */
  private TortureCluster startCluster() {
    long heartbeat = Math.max(10, settings.electionTimeout().toMillis() / 10);
    List<String> jvm = new ArrayList<>();
    jvm.add("-XX:TieredStopAtLevel=4"); // members under torture run the JIT they run in production
    // How a leader brings a member back (appends, next index, snapshot installs): Ratis logs it at
    // INFO, below Keel's default level for Ratis, and a member that never catches up leaves no
    // other trace.
    jvm.add("-Dorg.slf4j.simpleLogger.log.org.apache.ratis.grpc.server.GrpcLogAppender=info");
    jvm.add("-Dorg.slf4j.simpleLogger.log.org.apache.ratis.server.impl.SnapshotInstallationHandler=info");
    if (!settings.breaks().isEmpty()) {
      jvm.add("-Dkeel.test.break=" + String.join(",", settings.breaks()));
    }
    String[] jvmOptions = jvm.toArray(String[]::new);
    ClusterProcesses.Builder builder = ClusterProcesses.builder(settings.coordination()
            ? KeelProcesses.agentCommand(jvmOptions) : KeelProcesses.command(jvmOptions))
        .size(settings.members())
        .clusterName("torture-" + settings.seed())
        .logDir(settings.output().resolve("logs"))
        .extraFlags("--enable-v2", "--heartbeat-interval=" + heartbeat,
            "--election-timeout=" + settings.electionTimeout().toMillis());
    if (settings.coordination()) {
      gateFlags(builder);
    }
    FakeClocks clocks = settings.faults().contains("clock")
        ? FakeClocks.create(settings.output().resolve("clocks")) : null;
    if (!settings.netns()) {
      for (int i = 0; clocks != null && i < settings.members(); i++) {
        String name = ClusterProcesses.memberName(i);
        builder.wrapper(name, clocks.commandPrefix(name));
      }
      return new TortureCluster(builder.start(), null, List.of(), clocks);
    }
    NetnsNetwork network = NetnsNetwork.create(settings.members());
    List<DelayProxy> proxies = new ArrayList<>();
    try {
      for (int i = 0; i < settings.members(); i++) {
        String name = ClusterProcesses.memberName(i);
        MemberAddress address = new MemberAddress(name, network.address(i), 2379, 2380);
        DelayProxy proxy = DelayProxy.start("peer-" + name, new InetSocketAddress(network.hostAddress(), 0),
            new InetSocketAddress(network.address(i), 2380), network::relayFor);
        proxies.add(proxy);
        builder.member(address)
            .wrapper(name, concat(network.commandPrefix(i), clockPrefix(clocks, name)))
            .advertisePeerUrl(name, "http://" + network.hostAddress() + ":" + proxy.address().getPort());
      }
      return new TortureCluster(builder.start(), network, proxies, clocks);
    } catch (RuntimeException | Error e) {
      proxies.forEach(DelayProxy::close);
      network.close();
      throw e;
    }
  }

  /**
   * With the coordination workloads, each member is a container's {@code keel agent}: the member,
   * and the agent that runs the leader-gated process (torture's {@code gated-beat.py}, which
   * records when it runs) on one node at a time, with the election session TTL of the election
   * workload. The agents keep hosts files of their own under the output directory.
   */
  private void gateFlags(ClusterProcesses.Builder builder) {
    Path gate = settings.output().toAbsolutePath().resolve("gate");
    try {
      Files.createDirectories(gate);
      try (var script = TortureRun.class.getResourceAsStream("gated-beat.py")) {
        Files.copy(script, gate.resolve("gated-beat.py"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      for (int i = 0; i < settings.members(); i++) {
        String name = ClusterProcesses.memberName(i);
        Files.writeString(gate.resolve(name + ".hosts"), "127.0.0.1\tlocalhost\n");
        builder.memberFlags(name,
            // Without libfaketime (the clock fault's), under which Python's sleep fails with EINVAL.
            "--gate-cmd", "exec /usr/bin/env -u LD_PRELOAD python3 " + gate.resolve("gated-beat.py") + " "
                + gateRecords(),
            "--ttl", settings.sessionTtl().toMillis() + "ms",
            "--stop-grace", "1s",
            "--proxy-listen", "none",
            "--service-alias", "",
            "--hosts-file", gate.resolve(name + ".hosts").toString(),
            "--ssh-dir", gate.resolve(name + "-ssh").toString());
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("preparing the gated process under " + gate, e);
    }
  }

  private Path gateRecords() {
    return settings.output().toAbsolutePath().resolve("gate").resolve("records");
  }

  private static List<String> clockPrefix(FakeClocks clocks, String member) {
    return clocks == null ? List.of() : clocks.commandPrefix(member);
  }

  private static List<String> concat(List<String> first, List<String> then) {
    List<String> all = new ArrayList<>(first);
    all.addAll(then);
    return all;
  }

  private TortureReport run(TortureCluster cluster) throws Exception {
    long startRevision = cluster.revision(0) + 1;
    long started = System.nanoTime();
    LOG.info("torture: seed {}, {} members, {} under faults {}, from revision {}", settings.seed(),
        cluster.size(), settings.duration(), settings.faults(), startRevision);

    List<WatchRecorder> watchers = new ArrayList<>();
    Map<String, Long> deletionSeen = new ConcurrentHashMap<>();
    for (int i = 0; i < cluster.size(); i++) {
      watchers.add(new WatchRecorder("reg@" + cluster.member(i).name(), cluster.clients().member(i),
          RegisterWorkload.PREFIX, startRevision, e -> {}).start());
      watchers.add(new WatchRecorder("lease@" + cluster.member(i).name(), cluster.clients().member(i),
          LeaseWorkload.PREFIX, startRevision, e -> {
            if (!e.put()) {
              deletionSeen.merge(e.key(), e.nanos(), Math::min);
            }
          }).start());
    }
    LeaderObserver leaders = new LeaderObserver(cluster.size(), i -> cluster.status(i, Duration.ofMillis(500))).start();
    History history = new History();
    RegisterWorkload registers = new RegisterWorkload(cluster.clients(), history, settings.registers());
    int coordinators = settings.coordination() ? 3 : 0;
    LeaseWorkload leases = new LeaseWorkload(cluster.clients(), coordinators, settings.leaseTtlSeconds());
    ElectionWorkload election = new ElectionWorkload(cluster.clients(), coordinators, settings.sessionTtl());
    V2TtlWorkload v2 = new V2TtlWorkload(cluster.urls(),
        java.util.stream.IntStream.range(0, cluster.size()).mapToObj(i -> cluster.member(i).name()).toList());
    Nemesis nemesis = new Nemesis(cluster, Faults.of(settings.faults()), settings.nemesis());
    List<String> problems = new ArrayList<>();
    try {
      registers.start(settings.seed());
      leases.start(settings.seed() + 1);
      election.start(settings.seed() + 2);
      if (settings.coordination()) {
        v2.start(settings.seed() + 4);
      }
      nemesis.start(settings.seed() + 3);
      TimeUnit.NANOSECONDS.sleep(settings.duration().toNanos());
      // A short run goes on until every fault kind came round once (a killed member may take long
      // to serve again), for at most two more minutes.
      awaitUntil(System.nanoTime() + TimeUnit.MINUTES.toNanos(2), nemesis::everyKindTried);
    } finally {
      nemesis.close();
      try {
        cluster.awaitConverged(Duration.ofSeconds(60));
      } catch (IllegalStateException e) {
        problems.add("after healing: " + e.getMessage());
      }
      registers.close();
      election.close();
      leases.close();
      v2.stopWriting();
    }
    long workloadEnded = System.nanoTime();
    problems.addAll(nemesis.problems());

    // Leases let go at the end must expire before they are judged: wait for their deadlines.
    Duration leaseAllowance = leaseAllowance();
    long leaseDeadline = workloadEnded;
    for (LeaseRecord l : leases.records()) {
      leaseDeadline = Math.max(leaseDeadline, Math.max(workloadEnded, l.lastRefreshAnsweredNanos())
          + TimeUnit.SECONDS.toNanos(l.ttlSeconds()) + leaseAllowance.toNanos());
    }
    awaitUntil(leaseDeadline + TimeUnit.SECONDS.toNanos(1), () -> allDeleted(leases.records(), deletionSeen));
    // A v2 key set through a member whose wall clock was stepped forward expires that much later.
    Duration v2Wait = Duration.ofSeconds(10).plus(settings.faults().contains("clock") ? ClockFault.MAX_STEP : Duration.ZERO);
    awaitUntil(System.nanoTime() + v2Wait.toNanos(), () -> allExpired(v2));
    v2.close();
    long observedUntil = System.nanoTime();
    leaders.close();

    int leader = Math.max(0, cluster.leader());
    long finalRevision = cluster.revision(leader);
    CommittedHistory committed = CommittedHistory.read(cluster.clients().member(leader), startRevision, finalRevision,
        Duration.ofSeconds(60));
    for (WatchRecorder w : watchers) { // let every watcher catch up with the end, then judge what it got
      String prefix = w.name().startsWith("reg") ? RegisterWorkload.PREFIX : LeaseWorkload.PREFIX;
      List<WatchedEvent> due = committed.under(prefix);
      long last = due.isEmpty() ? 0 : due.get(due.size() - 1).revision();
      awaitUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(20), () -> w.nextRevision() > last);
    }
    watchers.forEach(WatchRecorder::close);

    List<Call> calls = history.calls();
    List<Verdict> verdicts = new ArrayList<>();
    verdicts.add(new RegisterLinearizability().check(calls));
    verdicts.add(new SerialReads().check(calls));
    verdicts.add(AcknowledgedWrites.check(calls, committed, RegisterWorkload.PREFIX));
    for (WatchRecorder w : watchers) {
      String prefix = w.name().startsWith("reg") ? RegisterWorkload.PREFIX : LeaseWorkload.PREFIX;
      verdicts.add(WatchChecker.check(w.name(), w.events(), committed, prefix, startRevision));
    }
    if (settings.coordination()) {
      verdicts.add(LeaseChecker.check(leases.records(), deletionSeen, leaders.changeTimes(),
          nemesis.disturbedWindows(),
          settings.electionTimeout(), leaseAllowance, observedUntil));
      verdicts.add(FencingChecker.check(election.writes(), committed, ElectionWorkload.FENCE, election.terms()));
      verdicts.add(V2TtlChecker.check(v2.created(), v2.streams()));
      verdicts.add(GatedProcessChecker.check(GatedProcessChecker.read(gateRecords()), started));
    }
    verdicts.add(Convergence.check(cluster.clients(), finalRevision));

    TortureReport report = new TortureReport(settings, started, workloadEnded, calls, nemesis.timeline(), verdicts,
        problems, nemesis.notInjected(), watchers.stream().mapToInt(WatchRecorder::resumes).sum(),
        leases.records().size(),
        election.terms());
    write(history, report);
    writeDetails(watchers, leases.records(), v2, started);
    Files.writeString(settings.output().resolve("streams").resolve("leader-changes.txt"), leaders.changeTimes().stream()
        .map(t -> String.format("%.3f%n", (t - started) / 1e6)).collect(java.util.stream.Collectors.joining()));
    return report;
  }

  /**
   * How long after its deadline (last refresh or last leader change, plus the TTL) a lease's key
   * may still be seen: one election timeout (a leader change is seen here up to that late) plus a
   * second for the revoke to commit and reach a watcher on a loaded machine.
   */
  private Duration leaseAllowance() {
    return settings.electionTimeout().plusSeconds(1);
  }

  private static boolean allDeleted(List<LeaseRecord> leases, Map<String, Long> deletionSeen) {
    return leases.stream().filter(LeaseRecord::keyWritten).allMatch(l -> deletionSeen.containsKey(l.key()));
  }

  private static boolean allExpired(V2TtlWorkload v2) {
    java.util.Set<String> expired = new java.util.HashSet<>();
    v2.streams().forEach(s -> s.events().stream().filter(e -> e.action().equals("expire"))
        .forEach(e -> expired.add(e.key())));
    return expired.containsAll(v2.created().keySet());
  }

  private static void awaitUntil(long deadlineNanos, java.util.function.BooleanSupplier done)
      throws InterruptedException {
    while (!done.getAsBoolean() && System.nanoTime() < deadlineNanos) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  /** What the watchers and lease clients saw, for reading a failure (times in ms from the start). */
  private void writeDetails(List<WatchRecorder> watchers, List<LeaseRecord> leases, V2TtlWorkload v2, long started)
      throws IOException {
    Path dir = Files.createDirectories(settings.output().resolve("streams"));
    for (WatchRecorder w : watchers) {
      StringBuilder b = new StringBuilder();
      for (WatchedEvent e : w.events()) {
        b.append(String.format("%10.3f %s%n", (e.nanos() - started) / 1e6, e));
      }
      w.errors().forEach(err -> b.append("error ").append(err).append('\n'));
      Files.writeString(dir.resolve("watch-" + w.name().replace('@', '-') + ".txt"), b);
    }
    StringBuilder b = new StringBuilder();
    for (LeaseRecord l : leases) {
      b.append(String.format("%s ttl %d written %b refresh sent %.3f answered %.3f lost %.3f%n", l.key(), l.ttlSeconds(),
          l.keyWritten(), (l.lastRefreshSentNanos() - started) / 1e6, (l.lastRefreshAnsweredNanos() - started) / 1e6,
          l.lostNanos() == 0 ? -1.0 : (l.lostNanos() - started) / 1e6));
    }
    Files.writeString(dir.resolve("leases.txt"), b);
    for (var s : v2.streams()) {
      StringBuilder v = new StringBuilder();
      s.events().forEach(e -> v.append(String.format("%10.3f %s%n", (e.nanos() - started) / 1e6, e)));
      s.covered().forEach(r -> v.append("covered ").append(r[0]).append("..").append(r[1]).append('\n'));
      Files.writeString(dir.resolve("v2-" + s.member() + ".txt"), v);
    }
  }

  private void write(History history, TortureReport report) throws IOException {
    Path out = settings.output();
    history.writeTo(out.resolve("history.jsonl"));
    Files.writeString(out.resolve("timeline.txt"), report.timeline());
    Files.writeString(out.resolve("report.md"), report.render());
    LOG.info("torture: report in {}", out.resolve("report.md"));
  }
}
