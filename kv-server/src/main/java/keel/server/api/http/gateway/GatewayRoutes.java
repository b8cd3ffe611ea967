package keel.server.api.http.gateway;

import com.google.protobuf.Descriptors.Descriptor;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import java.util.Map;
import keel.server.api.http.gateway.GoUnmarshal.GoJsonException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd 3.4's JSON gateway on the client port: {@code POST /v3/<service>/<call>} with a JSON
 * request, answered in JSON, for every call etcd's gateway serves (the table below, etcd's paths);
 * {@code /v3beta/...} is the same, as etcd rewrites it. Each call runs Keel's own gRPC service
 * method ({@link GatewayCall}), so a call Keel does not implement answers what its gRPC door
 * answers: Unimplemented, HTTP 501.
 *
 * <p>Around the calls, what etcd's HTTP stack does (observed on etcd 3.4.23): OPTIONS anywhere is a
 * bare CORS preflight; a known path with another method is Go's {@code 405 Method Not Allowed};
 * an unknown path under /v3/ is {@code 404 Not Found}; {@code /v3} redirects to {@code /v3/}.
 */
public final class GatewayRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayRoutes.class);

  /** etcd 3.4's gateway paths and the gRPC methods behind them. */
  static final Map<String, String> PATHS = Map.ofEntries(
      Map.entry("/v3/kv/range", "etcdserverpb.KV/Range"),
      Map.entry("/v3/kv/put", "etcdserverpb.KV/Put"),
      Map.entry("/v3/kv/deleterange", "etcdserverpb.KV/DeleteRange"),
      Map.entry("/v3/kv/txn", "etcdserverpb.KV/Txn"),
      Map.entry("/v3/kv/compaction", "etcdserverpb.KV/Compact"),
      Map.entry("/v3/watch", "etcdserverpb.Watch/Watch"),
      Map.entry("/v3/lease/grant", "etcdserverpb.Lease/LeaseGrant"),
      Map.entry("/v3/lease/revoke", "etcdserverpb.Lease/LeaseRevoke"),
      Map.entry("/v3/kv/lease/revoke", "etcdserverpb.Lease/LeaseRevoke"),
      Map.entry("/v3/lease/keepalive", "etcdserverpb.Lease/LeaseKeepAlive"),
      Map.entry("/v3/lease/timetolive", "etcdserverpb.Lease/LeaseTimeToLive"),
      Map.entry("/v3/kv/lease/timetolive", "etcdserverpb.Lease/LeaseTimeToLive"),
      Map.entry("/v3/lease/leases", "etcdserverpb.Lease/LeaseLeases"),
      Map.entry("/v3/kv/lease/leases", "etcdserverpb.Lease/LeaseLeases"),
      Map.entry("/v3/cluster/member/add", "etcdserverpb.Cluster/MemberAdd"),
      Map.entry("/v3/cluster/member/remove", "etcdserverpb.Cluster/MemberRemove"),
      Map.entry("/v3/cluster/member/update", "etcdserverpb.Cluster/MemberUpdate"),
      Map.entry("/v3/cluster/member/list", "etcdserverpb.Cluster/MemberList"),
      Map.entry("/v3/cluster/member/promote", "etcdserverpb.Cluster/MemberPromote"),
      Map.entry("/v3/maintenance/alarm", "etcdserverpb.Maintenance/Alarm"),
      Map.entry("/v3/maintenance/status", "etcdserverpb.Maintenance/Status"),
      Map.entry("/v3/maintenance/defragment", "etcdserverpb.Maintenance/Defragment"),
      // Hash and HashKV share a path in etcd's gateway; the first registered, Hash, answers
      Map.entry("/v3/maintenance/hash", "etcdserverpb.Maintenance/Hash"),
      Map.entry("/v3/maintenance/snapshot", "etcdserverpb.Maintenance/Snapshot"),
      Map.entry("/v3/maintenance/transfer-leadership", "etcdserverpb.Maintenance/MoveLeader"),
      Map.entry("/v3/auth/enable", "etcdserverpb.Auth/AuthEnable"),
      Map.entry("/v3/auth/disable", "etcdserverpb.Auth/AuthDisable"),
      Map.entry("/v3/auth/authenticate", "etcdserverpb.Auth/Authenticate"),
      Map.entry("/v3/auth/user/add", "etcdserverpb.Auth/UserAdd"),
      Map.entry("/v3/auth/user/get", "etcdserverpb.Auth/UserGet"),
      Map.entry("/v3/auth/user/list", "etcdserverpb.Auth/UserList"),
      Map.entry("/v3/auth/user/delete", "etcdserverpb.Auth/UserDelete"),
      Map.entry("/v3/auth/user/changepw", "etcdserverpb.Auth/UserChangePassword"),
      Map.entry("/v3/auth/user/grant", "etcdserverpb.Auth/UserGrantRole"),
      Map.entry("/v3/auth/user/revoke", "etcdserverpb.Auth/UserRevokeRole"),
      Map.entry("/v3/auth/role/add", "etcdserverpb.Auth/RoleAdd"),
      Map.entry("/v3/auth/role/get", "etcdserverpb.Auth/RoleGet"),
      Map.entry("/v3/auth/role/list", "etcdserverpb.Auth/RoleList"),
      Map.entry("/v3/auth/role/delete", "etcdserverpb.Auth/RoleDelete"),
      Map.entry("/v3/auth/role/grant", "etcdserverpb.Auth/RoleGrantPermission"),
      Map.entry("/v3/auth/role/revoke", "etcdserverpb.Auth/RoleRevokePermission"),
      Map.entry("/v3/lock/lock", "v3lockpb.Lock/Lock"),
      Map.entry("/v3/lock/unlock", "v3lockpb.Lock/Unlock"),
      Map.entry("/v3/election/campaign", "v3electionpb.Election/Campaign"),
      Map.entry("/v3/election/proclaim", "v3electionpb.Election/Proclaim"),
      Map.entry("/v3/election/leader", "v3electionpb.Election/Leader"),
      Map.entry("/v3/election/observe", "v3electionpb.Election/Observe"),
      Map.entry("/v3/election/resign", "v3electionpb.Election/Resign"));

  private final Map<String, ServerMethodDefinition<?, ?>> methods;

  /** @param methods the client port's gRPC methods by full name (Armeria's {@code GrpcService.methods()}) */
  public GatewayRoutes(Map<String, ServerMethodDefinition<?, ?>> methods) {
    this.methods = Map.copyOf(methods);
  }

  /** Serves /v3/ and /v3beta/ on a client server; gRPC's routes (by service path) are unaffected. */
  public void addTo(ServerBuilder builder) {
    builder.serviceUnder("/v3/", this::serve);
    builder.serviceUnder("/v3beta/", this::serve);
    builder.service("/v3", (ctx, req) -> GatewayResponses.redirect("/v3/"));
  }

  HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    String path = pattern(ctx.path());
    String name = path == null ? null : PATHS.get(path);
    if (name == null) {
      return GatewayResponses.goError(HttpStatus.NOT_FOUND);
    }
    if (req.method() != HttpMethod.POST) {
      return GatewayResponses.goError(HttpStatus.METHOD_NOT_ALLOWED);
    }
    ServerMethodDefinition<?, ?> method = methods.get(name);
    LOG.debug("gateway {} -> {}", path, name);
    if (method == null) {
      // A call jetcd's API (and so Keel) lacks, MemberPromote: read the request as etcd does, then
      // answer what Keel's gRPC door answers for a method it does not have.
      return HttpResponse.of(req.aggregate().thenApply(body -> {
        try {
          readOne(body, EtcdMessages.memberPromoteRequest());
        } catch (GoJsonException e) {
          return GatewayResponses.requestError(Status.Code.INVALID_ARGUMENT, e.getMessage());
        }
        return GatewayResponses.callError(Status.UNIMPLEMENTED.withDescription("Method not found: " + name));
      }));
    }
    return serve(ctx, req, method);
  }

  /**
   * grpc-gateway's path matching: /v3beta/ is /v3/ (etcd rewrites it first), a ':verb' suffix
   * never matches (etcd's paths have none), "/v3/kv/range:" is "/v3/kv/range". Null: no match.
   */
  static String pattern(String path) {
    if (path.startsWith("/v3beta/")) {
      path = "/v3/" + path.substring("/v3beta/".length());
    }
    int slash = path.lastIndexOf('/');
    int colon = path.lastIndexOf(':');
    if (colon > slash) {
      if (colon == slash + 1 || colon < path.length() - 1) {
        return null;
      }
      path = path.substring(0, colon);
    }
    return path;
  }

  private static <Req, Resp> HttpResponse serve(ServiceRequestContext ctx, HttpRequest req,
      ServerMethodDefinition<Req, Resp> definition) {
    MethodDescriptor<Req, Resp> method = definition.getMethodDescriptor();
    Descriptor shape = GatewayCodec.requestShape(method);
    if (method.getType().clientSendsOneMessage()) {
      // unary and server-streaming: one request, read whole; unreadable is InvalidArgument
      return HttpResponse.of(req.aggregate().thenApplyAsync(body -> {
        Req request;
        try {
          request = GatewayCodec.parse(method, shape, readOne(body, null));
        } catch (GoJsonException e) {
          return GatewayResponses.requestError(Status.Code.INVALID_ARGUMENT, e.getMessage());
        }
        return GatewayCall.start(ctx, definition.getServerCallHandler(), method, GatewayRequests.single(request));
      }, ctx.eventLoop()));
    }
    return GatewayCall.start(ctx, definition.getServerCallHandler(), method,
        new GatewayRequests.Body<>(req, ctx.eventLoop(), method, shape));
  }

  /**
   * The first JSON value of a body (what Go's Decoder.Decode reads); {@code "{}"} for an empty body,
   * which the gateway sends as the empty request. With a shape, the value is also read into it.
   */
  private static byte[] readOne(AggregatedHttpRequest body, Descriptor shape) throws GoJsonException {
    GoJsonStream values = new GoJsonStream();
    values.feed(body.content().array());
    values.end();
    GoJsonStream.Next next = values.next();
    byte[] value = switch (next.kind()) {
      case VALUE -> next.value();
      case EOF -> "{}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      default -> throw new GoJsonException(next.error());
    };
    if (shape != null) {
      JsonpbReader.read(value, shape);
    }
    return value;
  }
}
