package keel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EtcdctlMaskTest {
  @Test
  void memberIdsAreMaskedWhereverEtcdctlNamesAMemberEvenWithoutALetter() {
    assertThat(EtcdctlMask.mask("member 3258719035551793 is healthy: got healthy result from http://127.0.0.1:2379\n"))
        .isEqualTo("member <id> is healthy: got healthy result from <endpoint>\n");
    assertThat(EtcdctlMask.mask("2e5d1a3b: name=m1 peerURLs=http://127.0.0.1:2380 isLeader=true\n"))
        .isEqualTo("<id>: name=m1 peerURLs=<endpoint> isLeader=true\n");
    assertThat(EtcdctlMask.mask("1234567890123456, started, m1, http://127.0.0.1:2380, http://127.0.0.1:2379, false\n"))
        .isEqualTo("<id>, started, m1, <endpoint>, <endpoint>, false\n");
    assertThat(EtcdctlMask.mask("127.0.0.1:2379, 1234567890123456, 3.4.23, 20 kB, true, false, 2, 8, 8, \n"))
        .isEqualTo("<endpoint>, <id>, 3.4.23, 20 kB, true, false, 2, 8, 8, \n");
    assertThat(EtcdctlMask.mask("Leadership transferred from 8e9e05c52164694d to 1234567890\n"))
        .isEqualTo("Leadership transferred from <id> to <id>\n");
  }

  @Test
  void numbersThatAreNotIdsStay() {
    assertThat(EtcdctlMask.mask("$ etcdctl member add m4 --peer-urls=http://127.0.0.1:2390\n"))
        .isEqualTo("$ etcdctl member add m4 --peer-urls=<endpoint>\n");
    assertThat(EtcdctlMask.mask("foo\n1234567890123456\n")).isEqualTo("foo\n1234567890123456\n");
    assertThat(EtcdctlMask.mask("127.0.0.1:2379, 1084519789\n")).isEqualTo("<endpoint>, 1084519789\n");
  }
}
