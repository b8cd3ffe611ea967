package keel.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import keel.server.ServerConfig;
import keel.server.cluster.MemberIdentity;
import keel.server.command.ClusterBootstrap;
import keel.server.command.MemberRecord;
import keel.server.raft.MemberIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a node that finds its data dir empty does, given the cluster its peers formed. */
class MemberRecoveryTest {
  private static final String TOKEN = "keel-test";
  private final Map<String, List<URI>> founders = new LinkedHashMap<>();

  MemberRecoveryTest() {
    for (int i = 1; i <= 3; i++) {
      founders.put("n" + i, List.of(URI.create("http://127.0.0." + (10 + i) + ":2380")));
    }
  }

  private ServerConfig config(String name, Path dataDir) {
    return ServerConfig.builder().name(name).dataDir(dataDir).initialCluster(founders).initialClusterToken(TOKEN)
        .initialAdvertisePeerUrls(founders.get(name)).build();
  }

  private MemberRecord founder(String name, boolean started) {
    MemberRecord.Builder b = MemberRecord.newBuilder()
        .setId(MemberIds.memberId(founders.get(name), TOKEN)).setName(name)
        .addPeerUrls(founders.get(name).get(0).toString())
        .setRaftPeer(MemberIds.raftPeer(founders.get(name).get(0)));
    if (started) {
      b.addClientUrls(founders.get(name).get(0).toString().replace(":2380", ":2379"));
    }
    return b.build();
  }

  private static ClusterBootstrap cluster(MemberRecord... members) {
    return ClusterBootstrap.newBuilder().setClusterId(42).addAllMembers(List.of(members)).build();
  }

  @Test
  void aFounderThatNeverStartedStartsAsOne(@TempDir Path dir) {
    MemberRecovery.Plan plan = MemberRecovery.plan(config("n3", dir),
        cluster(founder("n1", true), founder("n2", true), founder("n3", false)));
    assertThat(plan).isInstanceOf(MemberRecovery.Plan.AsConfigured.class);
  }

  @Test
  void aMemberThatRanHereAndLostItsDataIsRemovedAndAddedBack(@TempDir Path dir) {
    MemberRecord old = founder("n3", true);
    MemberRecovery.Plan plan = MemberRecovery.plan(config("n3", dir),
        cluster(founder("n1", true), founder("n2", true), old));
    assertThat(plan).isEqualTo(new MemberRecovery.Plan.Rejoin(java.util.Optional.of(old)));
  }

  @Test
  void aRecoveryCutShortAfterTheRemoveOnlyAdds(@TempDir Path dir) {
    MemberRecovery.Plan plan = MemberRecovery.plan(config("n3", dir), cluster(founder("n1", true), founder("n2", true)));
    assertThat(plan).isEqualTo(new MemberRecovery.Plan.Rejoin(java.util.Optional.empty()));
  }

  @Test
  void aRecoveryCutShortAfterTheAddJoinsAsTheAddedMember(@TempDir Path dir) {
    MemberRecord added = MemberRecord.newBuilder().setId(77).addPeerUrls(founders.get("n3").get(0).toString())
        .setRaftPeer(MemberIds.addedRaftPeer(founders.get("n3").get(0), 77)).build();
    MemberRecovery.Plan plan = MemberRecovery.plan(config("n3", dir),
        cluster(founder("n1", true), founder("n2", true), added));
    assertThat(plan).isInstanceOf(MemberRecovery.Plan.JoinAsAdded.class);
    MemberRecovery.Plan.JoinAsAdded join = (MemberRecovery.Plan.JoinAsAdded) plan;
    assertThat(join.member()).isEqualTo(77);
    assertThat(join.cluster()).containsOnlyKeys("n1", "n2", "n3");
    ServerConfig joining = config("n3", dir).joining(join.cluster());
    assertThat(joining.initialClusterState()).isEqualTo(ServerConfig.ClusterState.EXISTING);
    assertThat(joining.peerUrls()).isEqualTo(founders.get("n3"));
  }

  @Test
  void aDataDirWithAMemberInItIsNeverTouched(@TempDir Path dir) throws Exception {
    assertThat(MemberRecovery.hasMemberData(dir)).isFalse();
    new MemberIdentity(1, 2, "127.0.0.13_2380").save(dir);
    assertThat(MemberRecovery.hasMemberData(dir)).isTrue();
    Path raftOnly = Files.createDirectories(dir.resolve("other").resolve("raft"));
    assertThat(MemberRecovery.hasMemberData(raftOnly.getParent())).isTrue();
  }

  @Test
  void addedMembersAreNewRaftPeersEvenAtAnOldAddress() {
    URI url = founders.get("n3").get(0);
    assertThat(MemberIds.addedRaftPeer(url, 77)).isNotEqualTo(MemberIds.raftPeer(url))
        .isNotEqualTo(MemberIds.addedRaftPeer(url, 78)).startsWith(MemberIds.raftPeer(url));
  }
}
