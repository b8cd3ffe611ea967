package keel.torture;

import java.io.IOException;
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
import keel.torture.check.AcknowledgedWrites;
import keel.torture.check.CommittedHistory;
import keel.torture.check.Convergence;
import keel.torture.check.FencingChecker;
import keel.torture.check.LeaseChecker;
import keel.torture.check.RegisterLinearizability;
import keel.torture.check.SerialReads;
import keel.torture.check.Verdict;
import keel.torture.check.WatchChecker;
import keel.torture.history.Call;
import keel.torture.history.History;
import keel.torture.nemesis.Nemesis;
import keel.torture.workload.ElectionWorkload;
import keel.torture.workload.LeaseRecord;
import keel.torture.workload.LeaseWorkload;
import keel.torture.workload.RegisterWorkload;
import keel.torture.workload.WatchRecorder;
import keel.torture.workload.WatchedEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One torture run: start a cluster of member processes, run the register, watch, lease and
 * election workloads while the nemesis injects faults, heal, let it converge, then judge the
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
    long heartbeat = Math.max(10, settings.electionTimeout().toMillis() / 10);
    List<String> jvm = new ArrayList<>();
    if (!settings.breaks().isEmpty()) {
      jvm.add("-Dkeel.test.break=" + String.join(",", settings.breaks()));
    }
    ClusterProcesses processes = KeelProcesses.builder(jvm.toArray(String[]::new))
        .size(settings.members())
        .clusterName("torture-" + settings.seed())
        .logDir(settings.output().resolve("logs"))
        .extraFlags("--heartbeat-interval=" + heartbeat, "--election-timeout=" + settings.electionTimeout().toMillis())
        .start();
    try (TortureCluster cluster = new TortureCluster(processes)) {
      return run(cluster);
    }
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
    History history = new History();
    RegisterWorkload registers = new RegisterWorkload(cluster.clients(), history, settings.registers());
    LeaseWorkload leases = new LeaseWorkload(cluster.clients(), 3, settings.leaseTtlSeconds());
    ElectionWorkload election = new ElectionWorkload(cluster.clients(), 3, settings.sessionTtl());
    Nemesis nemesis = new Nemesis(cluster, Faults.of(settings.faults()), settings.nemesis());
    List<String> problems = new ArrayList<>();
    try {
      registers.start(settings.seed());
      leases.start(settings.seed() + 1);
      election.start(settings.seed() + 2);
      nemesis.start(settings.seed() + 3);
      TimeUnit.NANOSECONDS.sleep(settings.duration().toNanos());
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
    }
    long workloadEnded = System.nanoTime();
    problems.addAll(nemesis.problems());

    // Leases let go at the end must expire before they are judged: wait for their deadlines.
    Duration leaseAllowance = leaseAllowance();
    long leaseDeadline = workloadEnded;
    for (LeaseRecord l : leases.records()) {
      leaseDeadline = Math.max(leaseDeadline, l.lastRefreshAnsweredNanos()
          + TimeUnit.SECONDS.toNanos(l.ttlSeconds()) + leaseAllowance.toNanos());
    }
    awaitUntil(leaseDeadline + TimeUnit.SECONDS.toNanos(1), () -> allDeleted(leases.records(), deletionSeen));
    long observedUntil = System.nanoTime();

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
    verdicts.add(LeaseChecker.check(leases.records(), deletionSeen, leaseAllowance, observedUntil));
    verdicts.add(FencingChecker.check(election.writes(), committed, ElectionWorkload.FENCE, election.terms()));
    verdicts.add(Convergence.check(cluster.clients(), finalRevision));

    TortureReport report = new TortureReport(settings, started, workloadEnded, calls, nemesis.timeline(), verdicts,
        problems, watchers.stream().mapToInt(WatchRecorder::resumes).sum(), leases.records().size(),
        election.terms());
    write(history, report);
    return report;
  }

  /**
   * How much longer than its TTL a lease may outlive its last refresh: a failover's detection and
   * election (up to two election timeouts) after which the new leader grants every lease its TTL
   * again, plus a second for the revoke to commit and reach a watcher.
   */
  private Duration leaseAllowance() {
    return Duration.ofSeconds(settings.leaseTtlSeconds()).plus(settings.electionTimeout().multipliedBy(2))
        .plusSeconds(1);
  }

  private static boolean allDeleted(List<LeaseRecord> leases, Map<String, Long> deletionSeen) {
    return leases.stream().filter(LeaseRecord::keyWritten).allMatch(l -> deletionSeen.containsKey(l.key()));
  }

  private static void awaitUntil(long deadlineNanos, java.util.function.BooleanSupplier done)
      throws InterruptedException {
    while (!done.getAsBoolean() && System.nanoTime() < deadlineNanos) {
      TimeUnit.MILLISECONDS.sleep(50);
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
