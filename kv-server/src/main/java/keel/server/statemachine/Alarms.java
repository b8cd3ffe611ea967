package keel.server.statemachine;

import io.etcd.jetcd.api.AlarmMember;
import io.etcd.jetcd.api.AlarmType;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * etcd's alarm store: which member raised which alarm, replicated through the log so every member
 * lists the same ones and caps the same writes. Written on the apply thread, read by any (the
 * status, health and metrics readers): a concurrent sorted set, by alarm type, then member id.
 */
public final class Alarms {
  private record Raised(int type, long member) implements Comparable<Raised> {
    @Override
    public int compareTo(Raised o) {
      int byType = Integer.compare(type, o.type);
      return byType != 0 ? byType : Long.compareUnsigned(member, o.member);
    }

    AlarmMember toProto() {
      return AlarmMember.newBuilder().setMemberID(member).setAlarmValue(type).build();
    }
  }

  private final NavigableSet<Raised> raised = new ConcurrentSkipListSet<>();

  /** etcd's Activate: raises the alarm; answers it (also when it was raised already). */
  AlarmMember activate(long member, AlarmType type) {
    Raised r = new Raised(type.getNumber(), member);
    raised.add(r);
    return r.toProto();
  }

  /** etcd's Deactivate: the alarm it cleared, or null when that member had not raised it. */
  AlarmMember deactivate(long member, AlarmType type) {
    Raised r = new Raised(type.getNumber(), member);
    return raised.remove(r) ? r.toProto() : null;
  }

  /** The alarms of {@code type} raised, all of them for {@link AlarmType#NONE}. */
  public List<AlarmMember> get(AlarmType type) {
    List<AlarmMember> out = new ArrayList<>();
    for (Raised r : raised) {
      if (type == AlarmType.NONE || r.type == type.getNumber()) {
        out.add(r.toProto());
      }
    }
    return out;
  }

  /** Whether any member raised an alarm of {@code type}. */
  public boolean active(AlarmType type) {
    return raised.stream().anyMatch(r -> r.type == type.getNumber());
  }

  public boolean isEmpty() {
    return raised.isEmpty();
  }

  void writeTo(DataOutputStream out) throws IOException {
    out.writeInt(raised.size());
    for (Raised r : raised) {
      out.writeInt(r.type);
      out.writeLong(r.member);
    }
  }

  static Alarms readFrom(DataInputStream in) throws IOException {
    Alarms alarms = new Alarms();
    int count = in.readInt();
    if (count < 0) {
      throw new IOException("the snapshot counts " + count + " alarms");
    }
    for (int i = 0; i < count; i++) {
      alarms.raised.add(new Raised(in.readInt(), in.readLong()));
    }
    return alarms;
  }
}
