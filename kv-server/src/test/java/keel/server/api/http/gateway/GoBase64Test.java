package keel.server.api.http.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Go's StdEncoding.Decode; every case here is what etcd 3.4.23's gateway answered for {"key":CASE}. */
@Timeout(10)
class GoBase64Test {
  private static byte[] decode(String text) throws GoUnmarshal.GoJsonException {
    return GoBase64.decode(text.getBytes(StandardCharsets.UTF_8));
  }

  private static void assertIllegalAt(String text, int offset) {
    assertThatThrownBy(() -> decode(text)).as(text)
        .hasMessage("illegal base64 data at input byte " + offset);
  }

  @Test
  void decodesPaddedBase64AndSkipsLineBreaks() throws Exception {
    assertThat(decode("Zm9v")).isEqualTo("foo".getBytes(StandardCharsets.US_ASCII));
    assertThat(decode("Zm8=")).isEqualTo("fo".getBytes(StandardCharsets.US_ASCII));
    assertThat(decode("Zg==")).isEqualTo("f".getBytes(StandardCharsets.US_ASCII));
    assertThat(decode("")).isEmpty();
    assertThat(decode("Zm9v\n")).isEqualTo("foo".getBytes(StandardCharsets.US_ASCII));
    assertThat(decode("Zm\r\n9vYmFy")).isEqualTo("foobar".getBytes(StandardCharsets.US_ASCII));
    assertThat(decode("Zg=\n=")).isEqualTo("f".getBytes(StandardCharsets.US_ASCII));
    assertThat(decode("+/+/")).isEqualTo(new byte[] {(byte) 0xfb, (byte) 0xff, (byte) 0xbf});
  }

  @Test
  void reportsGosOffsets() {
    assertIllegalAt("Zm9", 0);
    assertIllegalAt("Zm9v==", 4);
    assertIllegalAt("Zm 9v", 2);
    assertIllegalAt("!!!", 0);
    assertIllegalAt("Zm9vé", 4); // é is two bytes; the first is at 4
    assertIllegalAt("Zm9vY", 4);
    assertIllegalAt("Z===", 1);
    assertIllegalAt("Zg=", 3);
    assertIllegalAt("Zg=a", 2);
    assertIllegalAt("Zg==Zm9v", 4);
    assertIllegalAt("Zm9v-_", 4);
  }
}
