package keel.client.cache;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;

/** KeyValues for unit tests. */
final class Kvs {
  private Kvs() {}

  static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  static io.etcd.jetcd.api.KeyValue proto(String key, String value, long create, long mod) {
    return io.etcd.jetcd.api.KeyValue.newBuilder()
        .setKey(ByteString.copyFromUtf8(key))
        .setValue(ByteString.copyFromUtf8(value))
        .setCreateRevision(create)
        .setModRevision(mod)
        .setVersion(1 + mod - create)
        .build();
  }

  static KeyValue kv(String key, String value, long create, long mod) {
    return new KeyValue(proto(key, value, create, mod), ByteSequence.EMPTY);
  }
}
