package keel.agent;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import keel.client.election.LeaderElection;

/**
 * Where the agents keep their state, under one prefix ({@code /keel} by default): the members at
 * {@code <prefix>/members/<name>}, the election for the gated process at {@code <prefix>/leader}
 * (etcd's election recipe: {@code <prefix>/leader/<lease hex>}). The one home of that layout, for
 * the agent, {@code keel demo status} and the tests.
 */
public final class AgentKeys {
  public static final String DEFAULT_PREFIX = "/keel";

  private AgentKeys() {}

  /** {@code <prefix>/members/}: a member's key is this plus its name. */
  public static String members(String prefix) {
    return prefix + "/members/";
  }

  /** {@code <prefix>/leader}: the election the gated process follows. */
  public static String election(String prefix) {
    return prefix + "/leader";
  }

  /** The node that holds the gated process now (a linearizable read of the election), if any. */
  public static CompletableFuture<Optional<String>> gateHolder(Client client, String prefix) {
    return LeaderElection.leader(client, ByteSequence.from(election(prefix), StandardCharsets.UTF_8))
        .thenApply(info -> info.flatMap(i -> NodeRecord.parse(i.value()).get("node")));
  }
}
