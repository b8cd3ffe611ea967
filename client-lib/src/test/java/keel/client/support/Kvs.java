package keel.client.support;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;

/** KeyValues for unit tests. */
public final class Kvs {
  private Kvs() {}

  public static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  public static io.etcd.jetcd.api.KeyValue proto(String key, String value, long create, long mod) {
    return io.etcd.jetcd.api.KeyValue.newBuilder()
        .setKey(ByteString.copyFromUtf8(key))
        .setValue(ByteString.copyFromUtf8(value))
        .setCreateRevision(create)
        .setModRevision(mod)
        .setVersion(1 + mod - create)
        .build();
  }

  public static KeyValue kv(String key, String value, long create, long mod) {
    return new KeyValue(proto(key, value, create, mod), ByteSequence.EMPTY);
  }
}
