package keel.server.raft;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;

/**
 * Ratis's gRPC transport with its log appender replaced by {@link RaceSafeLogAppender}. Ratis
 * finds a user-defined RPC type by its class name ({@code raft.rpc.type}), hence the public
 * no-argument constructor.
 */
public final class KeelRpcType implements RpcType {
  @Override
  public String name() {
    return KeelRpcType.class.getName();
  }

  @Override
  public RpcFactory newFactory(Parameters parameters) {
    return new Factory(parameters);
  }

  /** {@link GrpcFactory} but for the leader's log appenders. */
  static final class Factory extends GrpcFactory {
    Factory(Parameters parameters) {
      super(parameters);
    }

    @Override
    public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
      return new RaceSafeLogAppender(server, state, follower);
    }
  }
}
