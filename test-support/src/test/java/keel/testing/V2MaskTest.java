package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class V2MaskTest {
  private final V2Mask mask = new V2Mask(7);

  @Test
  void indexesBecomeOffsetsFromTheBase() {
    assertThat(mask.mask("{\"action\":\"set\",\"node\":{\"key\":\"/a\",\"value\":\"1\",\"createdIndex\":9,\"modifiedIndex\":12}}"))
        .isEqualTo("{\"action\":\"set\",\"node\":{\"key\":\"/a\",\"value\":\"1\",\"createdIndex\":<i+2>,\"modifiedIndex\":<i+5>}}");
    assertThat(mask.mask("Key: /a\nCreated-Index: 9\nModified-Index: 12\nTTL: 0\nIndex: 12\n\n1\n"))
        .isEqualTo("Key: /a\nCreated-Index: <i+2>\nModified-Index: <i+5>\nTTL: 0\nIndex: <i+5>\n\n1\n");
    assertThat(mask.index(3)).isEqualTo("<i-4>");
    assertThat(mask.index(7)).isEqualTo("<i+0>");
  }

  @Test
  void errorIndexesCompareFailuresAndClearedHistory() {
    assertThat(mask.mask("Error:  101: Compare failed ([nope != v13] [9 != 12]) [12]\n"))
        .isEqualTo("Error:  101: Compare failed ([nope != v13] [<i+2> != <i+5>]) [<i+5>]\n");
    assertThat(mask.mask("{\"errorCode\":401,\"message\":\"The event in requested index is outdated and cleared\","
        + "\"cause\":\"the requested history has been cleared [82/8]\",\"index\":1081}"))
        .isEqualTo("{\"errorCode\":401,\"message\":\"The event in requested index is outdated and cleared\","
            + "\"cause\":\"the requested history has been cleared [<i+75>/<i+1>]\",\"index\":<i+1074>}");
  }

  @Test
  void zeroIndexStaysAndValuesAreLeftAlone() {
    assertThat(mask.mask("{\"errorCode\":202,\"cause\":\"invalid value for \\\"ttl\\\"\",\"index\":0}"))
        .isEqualTo("{\"errorCode\":202,\"cause\":\"invalid value for \\\"ttl\\\"\",\"index\":0}");
    assertThat(mask.mask("12\n")).isEqualTo("12\n");
    assertThat(mask.mask("Error:  100: Key not found (/k[3]) [12]")).isEqualTo("Error:  100: Key not found (/k[3]) [<i+5>]");
  }

  @Test
  void inOrderKeysAreNamedByTheirIndex() {
    assertThat(mask.mask("/queue/00000000000000000011\n/queue/00000000000000000012\n"))
        .isEqualTo("/queue/<i+4>\n/queue/<i+5>\n");
  }

  @Test
  void ttlsAndExpirationsBecomeTokens() {
    assertThat(mask.mask("{\"expiration\":\"2026-11-25T11:42:06.588481786Z\",\"ttl\":100}"))
        .isEqualTo("{\"expiration\":\"<expiration>\",\"ttl\":<ttl>}");
    assertThat(mask.mask("TTL: 57\nTTL: 0\n")).isEqualTo("TTL: <ttl>\nTTL: 0\n");
  }
}
