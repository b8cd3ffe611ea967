package keel.client.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class KeyOrderTest {
  private static ByteSequence bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return ByteSequence.from(b);
  }

  @Test
  void bytesCompareUnsignedAndAPrefixComesFirst() {
    List<ByteSequence> keys = new ArrayList<>(List.of(
        bytes(0xff), bytes('a', 0), bytes('b'), bytes('a'), bytes(0x80, 1), bytes(0x7f)));
    keys.sort(KeyOrder.UNSIGNED);
    assertThat(keys).containsExactly(bytes('a'), bytes('a', 0), bytes('b'), bytes(0x7f), bytes(0x80, 1), bytes(0xff));
  }

  @Test
  void recipeKeysAreGoHexOfTheLease() {
    ByteSequence name = ByteSequence.from("elect".getBytes());
    assertThat(RecipeKeys.key(name, 0x694d7a1b2cL)).isEqualTo(ByteSequence.from("elect/694d7a1b2c".getBytes()));
    assertThat(RecipeKeys.prefix(name)).isEqualTo(ByteSequence.from("elect/".getBytes()));
    assertThat(RecipeKeys.hex(-31)).isEqualTo("-1f");
    assertThat(RecipeKeys.hex(Long.MIN_VALUE)).isEqualTo("-8000000000000000");
  }
}
