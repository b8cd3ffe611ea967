package keel.server.api.http.gateway;

import keel.server.api.http.GoQuote;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import keel.server.api.http.gateway.GoUnmarshal.GoJsonException;

/**
 * A request body as etcd 3.4's gateway reads it: golang/protobuf 1.3's jsonpb {@code
 * UnmarshalNext} with unknown fields allowed, over Go's encoding/json. What it accepts and how it
 * fails, matched to etcd's answers:
 *
 * <ul>
 *   <li>a field under its proto name or its lowerCamel JSON name ({@code prev_kv}, {@code prevKv});
 *       both given, the camel one wins; unknown names ignored; a repeated name, the last wins;
 *   <li>{@code null} for any field leaves it unset (for a oneof scalar it sets the zero value);
 *   <li>integers as JSON numbers or quoted ({@code 5}, {@code "5"}: the quotes are stripped, not
 *       unescaped, and the rest parsed as JSON, so {@code "x"} fails as {@code invalid character
 *       'x' looking for beginning of value});
 *   <li>enums by name (looked up in the raw text between the quotes) or number;
 *   <li>bytes as base64 ({@link GoBase64}) or as an array of numbers;
 *   <li>plain fields are read in declaration order, then oneof members: the first error in that
 *       order is the one reported.
 * </ul>
 */
final class JsonpbReader {
  private JsonpbReader() {}

  /** One request value (from {@link GoJsonStream}) as a message of {@code type}. */
  static DynamicMessage read(byte[] value, Descriptor type) throws GoJsonException {
    DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
    mergeObject(value, builder);
    return builder.build();
  }

  private static void mergeObject(byte[] raw, Message.Builder builder) throws GoJsonException {
    Map<String, byte[]> members = GoUnmarshal.object(raw, GoUnmarshal.RAW_OBJECT);
    if (members == null) {
      return;
    }
    List<FieldDescriptor> oneofMembers = new ArrayList<>();
    for (FieldDescriptor field : builder.getDescriptorForType().getFields()) {
      if (field.getRealContainingOneof() != null) {
        oneofMembers.add(field);
        continue;
      }
      byte[] value = consume(members, field);
      if (value != null) {
        readField(builder, field, value);
      }
    }
    for (FieldDescriptor field : oneofMembers) {
      byte[] value = consume(members, field);
      if (value != null) {
        readOneofMember(builder, field, value);
      }
    }
  }

  /** The member for a field, by proto name or camel name (the camel one wins when both are there). */
  private static byte[] consume(Map<String, byte[]> members, FieldDescriptor field) {
    byte[] byName = members.remove(field.getName());
    byte[] byCamel = members.remove(field.getJsonName());
    return byCamel != null ? byCamel : byName;
  }

  private static void readField(Message.Builder builder, FieldDescriptor field, byte[] raw) throws GoJsonException {
    if (field.isRepeated()) {
      if (field.getType() == FieldDescriptor.Type.ENUM && raw[0] == '"') {
        // jsonpb looks a string up as an enum name before it looks at the target, a list
        enumByName(field.getEnumType(), raw);
        throw new GoJsonException("invalid target \"slice\" for enum " + EtcdMessages.goName(field.getEnumType()));
      }
      List<byte[]> elements = GoUnmarshal.array(raw, GoUnmarshal.RAW_ARRAY);
      if (elements == null) {
        return;
      }
      for (byte[] element : elements) {
        if (field.getType() == FieldDescriptor.Type.MESSAGE) {
          Message.Builder nested = builder.newBuilderForField(field);
          if (!GoUnmarshal.isNull(element)) {
            mergeObject(element, nested);
          }
          builder.addRepeatedField(field, nested.build());
        } else {
          Object value = scalar(field, element);
          builder.addRepeatedField(field, value != null ? value : zero(field));
        }
      }
      return;
    }
    if (field.getType() == FieldDescriptor.Type.MESSAGE) {
      if (!GoUnmarshal.isNull(raw)) {
        Message.Builder nested = builder.newBuilderForField(field);
        mergeObject(raw, nested);
        builder.setField(field, nested.build());
      }
      return;
    }
    Object value = scalar(field, raw);
    if (value != null) {
      builder.setField(field, value);
    }
  }

  /**
   * jsonpb sets a oneof member's wrapper before decoding into it, so {@code "version":null} still
   * chooses the member (with 0), while a null message leaves the oneof empty on the wire.
   */
  private static void readOneofMember(Message.Builder builder, FieldDescriptor field, byte[] raw)
      throws GoJsonException {
    if (field.getType() == FieldDescriptor.Type.MESSAGE) {
      readField(builder, field, raw);
      return;
    }
    Object value = scalar(field, raw);
    builder.setField(field, value != null ? value : zero(field));
  }

  /** A scalar field's value, or null for JSON null (Go leaves the target alone). */
  private static Object scalar(FieldDescriptor field, byte[] raw) throws GoJsonException {
    if (field.getType() == FieldDescriptor.Type.ENUM) {
      EnumDescriptor type = field.getEnumType();
      if (raw[0] == '"') {
        return enumByName(type, raw);
      }
      Long number = GoUnmarshal.signed(raw, EtcdMessages.goName(type), 32);
      return number == null ? null : type.findValueByNumberCreatingIfUnknown(number.intValue());
    }
    byte[] number = isNumeric(field) && raw[0] == '"' ? GoUnmarshal.quotedText(raw) : raw;
    return switch (field.getType()) {
      case INT64, SINT64, SFIXED64 -> GoUnmarshal.signed(number, "int64", 64);
      case UINT64, FIXED64 -> GoUnmarshal.unsigned(number, "uint64", 64);
      case INT32, SINT32, SFIXED32 -> intValue(GoUnmarshal.signed(number, "int32", 32));
      case UINT32, FIXED32 -> intValue(GoUnmarshal.unsigned(number, "uint32", 32));
      case DOUBLE -> GoUnmarshal.floating(number, "float64");
      case FLOAT -> floatValue(GoUnmarshal.floating(number, "float32"));
      case BOOL -> GoUnmarshal.bool(raw);
      case STRING -> GoUnmarshal.string(raw);
      case BYTES -> {
        byte[] bytes = GoUnmarshal.bytes(raw);
        yield bytes == null ? null : ByteString.copyFrom(bytes);
      }
      case ENUM, MESSAGE, GROUP -> throw new IllegalStateException("not a scalar: " + field);
    };
  }

  private static EnumValueDescriptor enumByName(EnumDescriptor type, byte[] raw) throws GoJsonException {
    byte[] name = GoUnmarshal.quotedText(raw);
    EnumValueDescriptor value = type.findValueByName(new String(name, StandardCharsets.UTF_8));
    if (value == null) {
      throw new GoJsonException("unknown value " + GoQuote.quote(name) + " for enum " + EtcdMessages.goName(type));
    }
    return value;
  }

  private static boolean isNumeric(FieldDescriptor field) {
    return switch (field.getJavaType()) {
      case INT, LONG, FLOAT, DOUBLE -> true;
      default -> false;
    };
  }

  private static Object zero(FieldDescriptor field) {
    return field.getType() == FieldDescriptor.Type.ENUM
        ? field.getEnumType().findValueByNumber(0)
        : field.getDefaultValue();
  }

  private static Integer intValue(Long value) {
    return value == null ? null : value.intValue();
  }

  private static Float floatValue(Double value) {
    return value == null ? null : value.floatValue();
  }
}
