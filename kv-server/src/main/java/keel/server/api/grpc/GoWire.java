package keel.server.api.grpc;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import keel.server.errors.GrpcTransportError;

/**
 * Reads a request's protobuf bytes as Go's protobuf code (etcd's gogo-generated Unmarshal) does,
 * where Java's reader differs, before Java parses them:
 *
 * <ul>
 *   <li>A declared field sent with another wire type: Go refuses the message ("proto: wrong
 *       wireType = 1 for field Key"); Java would keep the bytes as an unknown field and leave the
 *       field unset, serving another request (an unset range_end: one key instead of a range).
 *       Numbers the message does not declare stay allowed, as in Go: etcd 3.4 fields that
 *       jetcd-grpc's protos lack are read as unknown fields on purpose (WatchStream).
 *   <li>A tag is a varint of up to 64 bits; Go takes its field number as {@code int32(tag >> 3)},
 *       bits 3 to 34, and Java as bits 3 to 31. For a tag with any of bits 32-34 set: bit 34
 *       set, or bits 3-34 all clear, Go refuses the message, "illegal tag" (as for "end group"
 *       outside a group, or a wire type of 6 or 7); otherwise Go reads a field number of 2^29 or
 *       more, which no message declares, and skips the field, where Java would read a smaller
 *       number, perhaps a declared field. Such fields are dropped before Java parses the bytes.
 *   <li>A field's length is read whole (Go: past the end is "unexpected EOF").
 *   <li>An unknown group is skipped up to the next end-group tag, whatever its field number, as
 *       Go's skip does; Java refuses a mismatched end tag, so groups are dropped before it parses.
 * </ul>
 *
 * Nested messages of declared fields are read by the same rules, as Go's Unmarshal recurses.
 */
final class GoWire {
  private static final int MAX_DEPTH = 100;

  private GoWire() {}

  /** The bytes Java should parse (the same array when nothing is dropped), or Go's refusal. */
  record Read(byte[] bytes, String problem) {}

  static Read read(byte[] bytes, Descriptor type) {
    Scan scan = new Scan();
    String problem = scan.message(bytes, 0, bytes.length, type, 0);
    if (problem != null) {
      return new Read(null, problem);
    }
    return new Read(scan.dropped ? rewrite(bytes, 0, bytes.length, type) : bytes, null);
  }

  /** One pass over the bytes, noting whether any field must be dropped. */
  private static final class Scan {
    boolean dropped;
    private int at;

    String message(byte[] b, int from, int to, Descriptor type, int depth) {
      if (depth > MAX_DEPTH) {
        return null; // Java refuses nesting this deep itself
      }
      at = from;
      while (at < to) {
        long tag = varint(b, to);
        if (varintFailed) {
          return varintProblem;
        }
        int wireType = (int) (tag & 7);
        int fieldNumber = (int) (tag >>> 3); // Go's int32(wire >> 3)
        if (wireType == 4) {
          return "proto: " + type.getName() + ": wiretype end group for non-group";
        }
        if (fieldNumber <= 0) {
          return "proto: " + type.getName() + ": illegal tag " + fieldNumber + " (wire type " + tag + ")";
        }
        boolean goSkips = goSkips(tag);
        dropped |= goSkips;
        FieldDescriptor declared = goSkips ? null : type.findFieldByNumber(fieldNumber);
        if (declared != null && !accepts(declared, wireType)) {
          return GrpcTransportError.wrongWireType(wireType, goName(declared.getName()));
        }
        dropped |= wireType == 3; // an unknown group: see rewrite
        String problem = value(b, to, wireType, declared, depth);
        if (problem != null) {
          return problem;
        }
      }
      return null;
    }

    private String value(byte[] b, int to, int wireType, FieldDescriptor declared, int depth) {
      switch (wireType) {
        case 0 -> {
          varint(b, to);
          return varintFailed ? varintProblem : null;
        }
        case 1 -> {
          return skip(to, 8);
        }
        case 5 -> {
          return skip(to, 4);
        }
        case 2 -> {
          long length = varint(b, to);
          if (varintFailed) {
            return varintProblem;
          }
          if (length < 0) {
            return "proto: negative length found during unmarshaling";
          }
          if (length > to - at) {
            return "unexpected EOF";
          }
          int start = at;
          int end = at + (int) length;
          if (declared != null && declared.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            String problem = message(b, start, end, declared.getMessageType(), depth + 1);
            if (problem != null) {
              return problem;
            }
          }
          at = end;
          return null;
        }
        case 3 -> {
          return group(b, to);
        }
        default -> {
          return "proto: illegal wireType " + wireType;
        }
      }
    }

    /** Go's skip of a group: tags and values up to its end, no field numbers checked. */
    private String group(byte[] b, int to) {
      int depth = 1;
      while (depth > 0) {
        if (at >= to) {
          return "unexpected EOF";
        }
        long tag = varint(b, to);
        if (varintFailed) {
          return varintProblem;
        }
        int wireType = (int) (tag & 7);
        if (wireType == 3) {
          depth++;
        } else if (wireType == 4) {
          depth--;
        } else {
          String problem = value(b, to, wireType, null, MAX_DEPTH);
          if (problem != null) {
            return problem;
          }
        }
      }
      return null;
    }

    private String skip(int to, int n) {
      if (n > to - at) {
        return "unexpected EOF";
      }
      at += n;
      return null;
    }

    private boolean varintFailed;
    private String varintProblem;

    /** A varint of up to 64 bits from {@code at}, as Go reads it; sets varintFailed on a bad one. */
    private long varint(byte[] b, int to) {
      varintFailed = false;
      long value = 0;
      for (int shift = 0; ; shift += 7) {
        if (shift >= 64) {
          varintFailed = true;
          varintProblem = "proto: integer overflow";
          return -1;
        }
        if (at >= to) {
          varintFailed = true;
          varintProblem = "unexpected EOF";
          return -1;
        }
        int x = b[at++] & 0xff;
        value |= (long) (x & 0x7f) << shift;
        if (x < 0x80) {
          return value;
        }
      }
    }
  }

  /** The field's own wire type, or length-delimited for a packable repeated field (Go and Java read both). */
  private static boolean accepts(FieldDescriptor field, int wireType) {
    return wireType == field.getLiteType().getWireType()
        || field.isPackable() && wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  /** protoc-gen-go's field name: {@code range_end} is {@code RangeEnd}, {@code ID} stays. */
  static String goName(String protoName) {
    StringBuilder name = new StringBuilder(protoName.length());
    boolean upper = true;
    for (char c : protoName.toCharArray()) {
      if (c == '_') {
        upper = true;
        continue;
      }
      name.append(upper ? Character.toUpperCase(c) : c);
      upper = false;
    }
    return name.toString();
  }

  /** Bits 32-33 set (34 is refused): Go reads a field number of 2^29 or more, declared nowhere. */
  private static boolean goSkips(long tag) {
    return ((tag >>> 32) & 7) != 0;
  }

  /** The message without the fields Go skips (known well-formed: {@link Scan} passed it). */
  private static byte[] rewrite(byte[] b, int from, int to, Descriptor type) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
    Scan cursor = new Scan();
    cursor.at = from;
    while (cursor.at < to) {
      int fieldStart = cursor.at;
      long tag = cursor.varint(b, to);
      int wireType = (int) (tag & 7);
      boolean goSkips = goSkips(tag);
      int tagEnd = cursor.at;
      FieldDescriptor declared = goSkips ? null : type.findFieldByNumber((int) (tag >>> 3));
      if (wireType == 2 && declared != null && declared.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        int length = (int) cursor.varint(b, to);
        byte[] nested = rewrite(b, cursor.at, cursor.at + length, declared.getMessageType());
        cursor.at += length;
        out.write(b, fieldStart, tagEnd - fieldStart);
        writeVarint(out, nested.length);
        out.writeBytes(nested);
      } else {
        cursor.value(b, to, wireType, null, MAX_DEPTH); // skips it, nested or not
        // Go skips a group (no etcd message declares one) up to any end-group tag; Java refuses
        // one whose end tag names another field, so it never sees the group.
        if (!goSkips && wireType != 3) {
          out.write(b, fieldStart, cursor.at - fieldStart);
        }
      }
    }
    return out.toByteArray();
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7fL) != 0) {
      out.write((int) (value & 0x7f) | 0x80);
      value >>>= 7;
    }
    out.write((int) value);
  }
}
