package keel.server.api.http.gateway;

import keel.server.api.http.GoQuote;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MessageOrBuilder;
import java.util.Base64;

/**
 * A message as etcd 3.4's gateway prints it: golang/protobuf 1.3's jsonpb with {@code
 * OrigName: true} and nothing else (grpc-gateway's default). Concretely:
 *
 * <ul>
 *   <li>fields in declaration order, under their proto names ({@code cluster_id}, {@code prev_kv},
 *       {@code ID}, {@code dbSize}), no white space;
 *   <li>zero values left out: 0, false, "", empty bytes, empty lists, absent messages; a present
 *       message prints even when empty ({@code "header":{}}), a set oneof member even when zero;
 *   <li>64-bit integers as quoted decimals ({@code "revision":"5"}, unsigned for uint64), 32-bit
 *       ones bare;
 *   <li>bytes as standard padded base64; enums by name ({@code "type":"DELETE"}), an unknown number
 *       bare;
 *   <li>strings escaped as Go's encoding/json does ({@link GoQuote#appendJsonString}).
 * </ul>
 *
 * <p>Hand-written rather than protobuf-java-util's JsonFormat, which differs on exactly these
 * points (lowerCamel names unless told, its own escaping, default-valued oneofs) and could not be
 * checked against Go's choices one by one.
 */
final class JsonpbPrinter {
  private JsonpbPrinter() {}

  static String print(MessageOrBuilder message) {
    StringBuilder out = new StringBuilder(256);
    appendMessage(out, message);
    return out.toString();
  }

  static void appendMessage(StringBuilder out, MessageOrBuilder message) {
    out.append('{');
    boolean first = true;
    for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
      if (!isPrinted(message, field)) {
        continue;
      }
      if (!first) {
        out.append(',');
      }
      first = false;
      GoQuote.appendJsonString(out, field.getName());
      out.append(':');
      if (field.isRepeated()) {
        out.append('[');
        int count = message.getRepeatedFieldCount(field);
        for (int i = 0; i < count; i++) {
          if (i > 0) {
            out.append(',');
          }
          appendValue(out, field, message.getRepeatedField(field, i));
        }
        out.append(']');
      } else {
        appendValue(out, field, message.getField(field));
      }
    }
    out.append('}');
  }

  /** jsonpb without EmitDefaults: a Go zero value (nil pointer, nil slice, 0, "", false) is skipped. */
  private static boolean isPrinted(MessageOrBuilder message, FieldDescriptor field) {
    if (field.isRepeated()) {
      return message.getRepeatedFieldCount(field) > 0;
    }
    if (field.hasPresence()) { // messages and oneof members
      return message.hasField(field);
    }
    Object value = message.getField(field);
    if (value instanceof EnumValueDescriptor e) {
      return e.getNumber() != 0;
    }
    return !value.equals(field.getDefaultValue());
  }

  private static void appendValue(StringBuilder out, FieldDescriptor field, Object value) {
    switch (field.getType()) {
      case INT64, SINT64, SFIXED64 -> out.append('"').append((long) (Long) value).append('"');
      case UINT64, FIXED64 -> out.append('"').append(Long.toUnsignedString((Long) value)).append('"');
      case INT32, SINT32, SFIXED32 -> out.append((int) (Integer) value);
      case UINT32, FIXED32 -> out.append(Integer.toUnsignedString((Integer) value));
      case BOOL -> out.append((boolean) (Boolean) value);
      case STRING -> GoQuote.appendJsonString(out, (String) value);
      case BYTES -> out.append('"').append(Base64.getEncoder().encodeToString(((ByteString) value).toByteArray()))
          .append('"');
      case ENUM -> {
        EnumValueDescriptor e = (EnumValueDescriptor) value;
        if (field.getEnumType().findValueByNumber(e.getNumber()) != null) {
          out.append('"').append(e.getName()).append('"');
        } else {
          out.append(e.getNumber()); // jsonpb: an unknown value is not quoted, so it reads back as a number
        }
      }
      case MESSAGE, GROUP -> appendMessage(out, (MessageOrBuilder) value);
      // etcd's API has no floating-point field; printed plainly should one ever appear
      case DOUBLE, FLOAT -> out.append(value);
    }
  }
}
