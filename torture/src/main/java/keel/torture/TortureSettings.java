package keel.torture;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import keel.torture.nemesis.Nemesis;
import keel.torture.workload.RegisterWorkload;

/**
 * What one torture run does.
 *
 * @param members cluster size (3 or 5)
 * @param duration how long the workloads run under faults
 * @param seed drives every random choice of the workloads and the nemesis
 * @param faults fault kinds by name ({@link Faults#names()}); empty: no faults. The defaults are
 *     {@link Faults#LOCAL}; {@link #withFaults} with a network fault puts the members in namespaces
 * @param breaks test-only switches that break a guarantee, passed to every member as {@code
 *     -Dkeel.test.break=...}; empty in a real run
 * @param output where the history, timeline, report and member logs go
 * @param registers the register workload's load
 * @param nemesis fault timing
 * @param leaseTtlSeconds the lease workload's TTL
 * @param sessionTtl the election candidates' session TTL
 * @param electionTimeout the members' {@code --election-timeout}; heartbeat is a tenth
 * @param coordination whether the lease, election, v2 TTL and gated-process workloads run beside
 *     the registers and watches (members then run as {@code keel agent}, the member and its node
 *     agent in one JVM, as in a container)
 * @param netns whether each member runs in a network namespace of its own, with a delay proxy in
 *     front of its peer port (needed by the network faults; root only)
 */
public record TortureSettings(
    int members,
    Duration duration,
    long seed,
    List<String> faults,
    List<String> breaks,
    Path output,
    RegisterWorkload.Settings registers,
    Nemesis.Settings nemesis,
    long leaseTtlSeconds,
    Duration sessionTtl,
    Duration electionTimeout,
    boolean coordination,
    boolean netns) {

  public static TortureSettings defaults(Path output, Duration duration, long seed) {
    return new TortureSettings(3, duration, seed, Faults.LOCAL, List.of(), output,
        RegisterWorkload.Settings.defaults(), Nemesis.Settings.defaults(), 3, Duration.ofSeconds(2),
        Duration.ofMillis(1000), true, false);
  }


  /** These faults; the members move into network namespaces when one of them needs it. */
  public TortureSettings withFaults(List<String> faults) {
    return new TortureSettings(members, duration, seed, faults, breaks, output, registers, nemesis,
        leaseTtlSeconds, sessionTtl, electionTimeout, coordination, netns || Faults.needNetns(faults));
  }

  public TortureSettings withBreaks(List<String> breaks) {
    return new TortureSettings(members, duration, seed, faults, breaks, output, registers, nemesis,
        leaseTtlSeconds, sessionTtl, electionTimeout, coordination, netns);
  }

  public TortureSettings withMembers(int members) {
    return new TortureSettings(members, duration, seed, faults, breaks, output, registers, nemesis,
        leaseTtlSeconds, sessionTtl, electionTimeout, coordination, netns);
  }

  /** Only the registers and watches (no leases, election or v2 keys). */
  public TortureSettings withoutCoordination() {
    return new TortureSettings(members, duration, seed, faults, breaks, output, registers, nemesis,
        leaseTtlSeconds, sessionTtl, electionTimeout, false, netns);
  }

  /** Members in network namespaces, as the network faults need. */
  public TortureSettings withNetns(boolean netns) {
    return new TortureSettings(members, duration, seed, faults, breaks, output, registers, nemesis,
        leaseTtlSeconds, sessionTtl, electionTimeout, coordination, netns);
  }

  public TortureSettings withNemesis(Nemesis.Settings nemesis) {
    return new TortureSettings(members, duration, seed, faults, breaks, output, registers, nemesis,
        leaseTtlSeconds, sessionTtl, electionTimeout, coordination, netns);
  }
}
