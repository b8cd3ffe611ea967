package keel.torture.history;

/** One event as a JSON object on one line; only what the report and a human reader need. */
final class HistoryJson {
  private HistoryJson() {}

  static String line(Event e) {
    StringBuilder b = new StringBuilder(128);
    b.append("{\"index\":").append(e.index())
        .append(",\"time\":").append(e.nanos())
        .append(",\"process\":").append(e.process())
        .append(",\"type\":\"").append(e.type().name().toLowerCase()).append('"')
        .append(",\"f\":\"").append(e.op().kind().name().toLowerCase()).append('"')
        .append(",\"key\":").append(quote(e.op().key()));
    field(b, "value", e.op().value());
    field(b, "expected", e.op().expected());
    if (e.op().member() != null) {
      b.append(",\"member\":").append(quote(e.op().member()));
    }
    Result r = e.result();
    if (r != null) {
      if (r.error() != null) {
        b.append(",\"error\":").append(quote(r.error()));
      } else {
        if (e.op().isRead()) {
          b.append(",\"read\":").append(r.value() == null ? "null" : r.value().toString());
        }
        if (e.op().kind() == Op.Kind.CAS) {
          b.append(",\"swapped\":").append(r.succeeded());
        }
        b.append(",\"revision\":").append(r.revision());
        b.append(",\"mod_revision\":").append(r.modRevision());
      }
    }
    return b.append('}').toString();
  }

  private static void field(StringBuilder b, String name, Long value) {
    if (value != null) {
      b.append(",\"").append(name).append("\":").append(value);
    }
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
