package keel.torture.check;

import io.etcd.jetcd.maintenance.HashKVResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.torture.workload.Clients;

/** After healing: every member's HashKV at one revision is the same (the same keys, values and history). */
public final class Convergence {
  private static final String NAME = "convergence";

  private Convergence() {}

  public static Verdict check(Clients clients, long revision) {
    List<String> lines = new ArrayList<>();
    Integer first = null;
    boolean same = true;
    for (int i = 0; i < clients.size(); i++) {
      String url = clients.urls().get(i);
      try {
        HashKVResponse r = clients.member(i).getMaintenanceClient().hashKV(url, revision).get(10, TimeUnit.SECONDS);
        lines.add("    " + clients.endpoint(i) + ": hash " + Integer.toUnsignedString(r.getHash())
            + " at revision " + revision + " (compact revision " + r.getCompacted() + ")");
        if (first == null) {
          first = r.getHash();
        } else if (first.intValue() != r.getHash()) {
          same = false;
        }
      } catch (Exception e) {
        lines.add("    " + clients.endpoint(i) + ": " + e);
        same = false;
      }
    }
    if (!same) {
      return Verdict.violation(NAME, "the members' HashKV at revision " + revision + " differ", lines);
    }
    return Verdict.ok(NAME, clients.size() + " members hash equal at revision " + revision);
  }
}
