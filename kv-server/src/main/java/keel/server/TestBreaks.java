package keel.server;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test-only switches that break one of Keel's guarantees on purpose. They exist only for the
 * torture checkers' self-test (issue #8: "each broken-guarantee switch makes its checker fail"):
 * a checker that never fails proves nothing. Never turn one on for a member that serves anyone.
 *
 * <p>Turned on by one JVM system property, {@value #PROPERTY}, a comma-separated list of switch
 * names, read when a member starts ({@link KeelServer#start}); e.g. {@code
 * -Dkeel.test.break=stale-reads} among a member process's JVM options. There is no flag, no
 * {@code ETCD_*} variable and no configuration field for them, so they cannot be turned on by
 * accident. An unknown name stops the member at startup; every switch that is on is logged at
 * WARN when the member starts.
 *
 * <ul>
 *   <li>{@code stale-reads}: linearizable reads (KV.Range, its /v3 gateway route, a read-only
 *       Txn) skip the ReadIndex barrier and read the local store, as serializable reads do. A
 *       partitioned or paused member then answers with old values.
 *   <li>{@code early-ack}: KV.Put answers success at once, with header revision = this member's
 *       current revision + 1, before its proposal commits; the proposal goes on in the background
 *       and nobody learns if it fails. An acknowledged write can then be lost or reordered.
 *   <li>{@code drop-watch-event}: every watcher of this member silently drops the
 *       {@value #DROPPED_WATCH_EVENT}th event it would have been sent (counting the events of its
 *       stream from the first, whether they come from fan-out or from history); exactly one per
 *       watcher, so the stream has a gap.
 * </ul>
 */
public final class TestBreaks {
  private static final Logger LOG = LoggerFactory.getLogger(TestBreaks.class);

  /** The JVM system property that lists the switches to turn on. */
  public static final String PROPERTY = "keel.test.break";
  /** Under {@code drop-watch-event}: the ordinal (from 1) of the one event each watcher drops. */
  public static final int DROPPED_WATCH_EVENT = 10;
  /** No switch on: what every real member runs with. */
  public static final TestBreaks NONE = new TestBreaks(EnumSet.noneOf(Break.class));

  /** One broken guarantee: its name in {@value #PROPERTY} and what it breaks. */
  public enum Break {
    STALE_READS("stale-reads", "linearizable reads are served from the local store without ReadIndex"),
    EARLY_ACK("early-ack", "puts are acknowledged before they commit and may be lost or reordered"),
    DROP_WATCH_EVENT("drop-watch-event",
        "every watcher drops the " + DROPPED_WATCH_EVENT + "th event of its stream");

    private final String switchName;
    private final String effect;

    Break(String switchName, String effect) {
      this.switchName = switchName;
      this.effect = effect;
    }

    /** The name used in {@value TestBreaks#PROPERTY}. */
    public String switchName() {
      return switchName;
    }

    /** What it breaks, for the startup warning. */
    public String effect() {
      return effect;
    }
  }

  private final Set<Break> on;

  private TestBreaks(Set<Break> on) {
    this.on = Set.copyOf(on);
  }

  /** The switches named by the {@value #PROPERTY} system property (none when it is unset). */
  public static TestBreaks fromSystemProperty() {
    return parse(System.getProperty(PROPERTY));
  }

  /**
   * The switches in a comma-separated list of names; null or blank means none.
   *
   * @throws IllegalArgumentException naming the unknown switch and the known ones
   */
  public static TestBreaks parse(String names) {
    if (names == null || names.isBlank()) {
      return NONE;
    }
    EnumSet<Break> on = EnumSet.noneOf(Break.class);
    for (String raw : names.split(",")) {
      String name = raw.trim();
      if (name.isEmpty()) {
        continue;
      }
      on.add(Arrays.stream(Break.values()).filter(b -> b.switchName.equals(name)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException(PROPERTY + "=" + names + ": unknown switch '" + name
              + "'; the known test-only switches are " + knownNames() + ". Remove the -D" + PROPERTY
              + " JVM option to run a normal member")));
    }
    return on.isEmpty() ? NONE : new TestBreaks(on);
  }

  private static String knownNames() {
    return Arrays.stream(Break.values()).map(Break::switchName).collect(Collectors.joining(", "));
  }

  public boolean isOn(Break b) {
    return on.contains(b);
  }

  public boolean staleReads() {
    return isOn(Break.STALE_READS);
  }

  public boolean earlyAck() {
    return isOn(Break.EARLY_ACK);
  }

  public boolean dropWatchEvent() {
    return isOn(Break.DROP_WATCH_EVENT);
  }

  public boolean isEmpty() {
    return on.isEmpty();
  }

  /** One loud WARN line per switch that is on, naming the member. */
  public void warn(String member) {
    for (Break b : Break.values()) {
      if (on.contains(b)) {
        LOG.warn("{}: {}={}: {}; this member is NOT safe (test-only switch for the torture checkers' self-test)",
            member, PROPERTY, b.switchName, b.effect);
      }
    }
  }

  @Override
  public String toString() {
    return on.stream().map(Break::switchName).sorted().collect(Collectors.joining(",", "TestBreaks[", "]"));
  }
}
