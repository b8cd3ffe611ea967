package keel.server.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Invalid UTF-8 in v2 values, replaced byte by byte as etcd's JSON prints it. */
class GoUtf8Test {
  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  @Test
  void validTextIsKept() {
    assertThat(GoUtf8.decode("abc ü 日本 \uD83D\uDE00 \uFFFD".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("abc ü 日本 \uD83D\uDE00 \uFFFD");
  }

  @Test
  void everyByteOfACutOffRuneIsOneReplacement() {
    // Java's decoder makes one U+FFFD of e2 82; Go's json prints two
    assertThat(GoUtf8.decode(bytes(0xe2, 0x82, 'a'))).isEqualTo("\uFFFD\uFFFDa");
    assertThat(GoUtf8.decode(bytes(0xf0, 0x9f, 0x98))).isEqualTo("\uFFFD\uFFFD\uFFFD");
  }

  @Test
  void overlongSurrogateAndOutOfRangeEncodingsAreInvalid() {
    assertThat(GoUtf8.decode(bytes(0xc0, 0x80))).isEqualTo("\uFFFD\uFFFD");
    assertThat(GoUtf8.decode(bytes(0xe0, 0x80, 0x80))).isEqualTo("\uFFFD\uFFFD\uFFFD");
    assertThat(GoUtf8.decode(bytes(0xed, 0xa0, 0x80))).isEqualTo("\uFFFD\uFFFD\uFFFD");
    assertThat(GoUtf8.decode(bytes(0xf4, 0x90, 0x80, 0x80))).isEqualTo("\uFFFD\uFFFD\uFFFD\uFFFD");
    assertThat(GoUtf8.decode(bytes(0xff, 'x', 0xc3, '('))).isEqualTo("\uFFFDx\uFFFD(");
  }

  /** Found by HttpFuzzIT: {@code PUT /v2/keys/fuzz/a?value=%e2%82a}, etcd's value is two U+FFFD and "a". */
  @Test
  void formValuesAreDecodedAsGoPrintsThem() {
    assertThat(GoForm.parse("value=%e2%82a").values().get("value")).containsExactly("\uFFFD\uFFFDa");
    assertThat(GoForm.parse(bytes('v', '=', 0xe2, 0x82, 'a', '&', 'w', '=', '%', 'c', '3', '%', 'b', 'c')).values())
        .containsEntry("v", java.util.List.of("\uFFFD\uFFFDa")).containsEntry("w", java.util.List.of("ü"));
    assertThat(GoForm.parse(bytes('v', '=', 0xff, '%', 'z')).error()).isEqualTo("invalid URL escape \"%z\"");
  }
}
