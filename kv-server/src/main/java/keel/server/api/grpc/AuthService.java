package keel.server.api.grpc;

import io.etcd.jetcd.api.AuthDisableRequest;
import io.etcd.jetcd.api.AuthDisableResponse;
import io.etcd.jetcd.api.AuthEnableRequest;
import io.etcd.jetcd.api.AuthEnableResponse;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthRoleAddRequest;
import io.etcd.jetcd.api.AuthRoleAddResponse;
import io.etcd.jetcd.api.AuthRoleDeleteRequest;
import io.etcd.jetcd.api.AuthRoleDeleteResponse;
import io.etcd.jetcd.api.AuthRoleGetRequest;
import io.etcd.jetcd.api.AuthRoleGetResponse;
import io.etcd.jetcd.api.AuthRoleGrantPermissionRequest;
import io.etcd.jetcd.api.AuthRoleGrantPermissionResponse;
import io.etcd.jetcd.api.AuthRoleListRequest;
import io.etcd.jetcd.api.AuthRoleListResponse;
import io.etcd.jetcd.api.AuthRoleRevokePermissionRequest;
import io.etcd.jetcd.api.AuthRoleRevokePermissionResponse;
import io.etcd.jetcd.api.AuthUserAddRequest;
import io.etcd.jetcd.api.AuthUserAddResponse;
import io.etcd.jetcd.api.AuthUserChangePasswordRequest;
import io.etcd.jetcd.api.AuthUserChangePasswordResponse;
import io.etcd.jetcd.api.AuthUserDeleteRequest;
import io.etcd.jetcd.api.AuthUserDeleteResponse;
import io.etcd.jetcd.api.AuthUserGetRequest;
import io.etcd.jetcd.api.AuthUserGetResponse;
import io.etcd.jetcd.api.AuthUserGrantRoleRequest;
import io.etcd.jetcd.api.AuthUserGrantRoleResponse;
import io.etcd.jetcd.api.AuthUserListRequest;
import io.etcd.jetcd.api.AuthUserListResponse;
import io.etcd.jetcd.api.AuthUserRevokeRoleRequest;
import io.etcd.jetcd.api.AuthUserRevokeRoleResponse;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.AuthenticateResponse;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import keel.server.errors.EtcdError;

/**
 * etcd's Auth service over the auth store every etcd cluster starts with: no users, no roles,
 * auth off. So lists are empty, a user or role is "not found", auth cannot be enabled ("root user
 * does not exist"), disabling it changes nothing, and Authenticate answers "authentication is not
 * enabled", which etcd's clients take as "go on without a token": a client configured with a user
 * and password works as against etcd with auth off. Adding users and roles, and so auth itself,
 * is not supported yet: UserAdd and RoleAdd answer UNIMPLEMENTED and say so.
 */
public final class AuthService extends AuthGrpc.AuthImplBase {
  private final Headers headers;
  private final LongSupplier revision;
  private final Supplier<CompletableFuture<Void>> readBarrier;

  /**
   * {@code readBarrier}: etcd puts every auth request through Raft, so what it answers (and the
   * revision in its header) is current when it answers; Keel answers after a ReadIndex barrier.
   */
  public AuthService(Headers headers, LongSupplier revision, Supplier<CompletableFuture<Void>> readBarrier) {
    this.headers = headers;
    this.revision = revision;
    this.readBarrier = readBarrier;
  }

  @Override
  public void authenticate(AuthenticateRequest request, StreamObserver<AuthenticateResponse> observer) {
    fail(EtcdError.AUTH_NOT_ENABLED, observer);
  }

  @Override
  public void authEnable(AuthEnableRequest request, StreamObserver<AuthEnableResponse> observer) {
    fail(EtcdError.ROOT_USER_NOT_EXIST, observer);
  }

  @Override
  public void authDisable(AuthDisableRequest request, StreamObserver<AuthDisableResponse> observer) {
    Replies.reply(current(() -> AuthDisableResponse.newBuilder().setHeader(header()).build()), observer);
  }

  @Override
  public void userList(AuthUserListRequest request, StreamObserver<AuthUserListResponse> observer) {
    Replies.reply(current(() -> AuthUserListResponse.newBuilder().setHeader(header()).build()), observer);
  }

  @Override
  public void roleList(AuthRoleListRequest request, StreamObserver<AuthRoleListResponse> observer) {
    Replies.reply(current(() -> AuthRoleListResponse.newBuilder().setHeader(header()).build()), observer);
  }

  @Override
  public void userGet(AuthUserGetRequest request, StreamObserver<AuthUserGetResponse> observer) {
    fail(EtcdError.USER_NOT_FOUND, observer);
  }

  @Override
  public void userDelete(AuthUserDeleteRequest request, StreamObserver<AuthUserDeleteResponse> observer) {
    fail(EtcdError.USER_NOT_FOUND, observer);
  }

  @Override
  public void userChangePassword(AuthUserChangePasswordRequest request,
      StreamObserver<AuthUserChangePasswordResponse> observer) {
    fail(EtcdError.USER_NOT_FOUND, observer);
  }

  @Override
  public void userGrantRole(AuthUserGrantRoleRequest request, StreamObserver<AuthUserGrantRoleResponse> observer) {
    fail(EtcdError.USER_NOT_FOUND, observer);
  }

  @Override
  public void userRevokeRole(AuthUserRevokeRoleRequest request, StreamObserver<AuthUserRevokeRoleResponse> observer) {
    fail(EtcdError.USER_NOT_FOUND, observer);
  }

  @Override
  public void roleGet(AuthRoleGetRequest request, StreamObserver<AuthRoleGetResponse> observer) {
    fail(EtcdError.ROLE_NOT_FOUND, observer);
  }

  @Override
  public void roleDelete(AuthRoleDeleteRequest request, StreamObserver<AuthRoleDeleteResponse> observer) {
    fail(EtcdError.ROLE_NOT_FOUND, observer);
  }

  @Override
  public void roleGrantPermission(AuthRoleGrantPermissionRequest request,
      StreamObserver<AuthRoleGrantPermissionResponse> observer) {
    fail(EtcdError.ROLE_NOT_FOUND, observer);
  }

  @Override
  public void roleRevokePermission(AuthRoleRevokePermissionRequest request,
      StreamObserver<AuthRoleRevokePermissionResponse> observer) {
    fail(EtcdError.ROLE_NOT_FOUND, observer);
  }

  /** An empty name gets etcd's refusal; any other is not supported yet. */
  @Override
  public void userAdd(AuthUserAddRequest request, StreamObserver<AuthUserAddResponse> observer) {
    fail(request.getName().isEmpty() ? EtcdError.USER_EMPTY : EtcdError.AUTH_CHANGES_UNSUPPORTED, observer);
  }

  /** An empty name gets etcd's refusal; any other is not supported yet. */
  @Override
  public void roleAdd(AuthRoleAddRequest request, StreamObserver<AuthRoleAddResponse> observer) {
    fail(request.getName().isEmpty() ? EtcdError.ROLE_EMPTY : EtcdError.AUTH_CHANGES_UNSUPPORTED, observer);
  }

  /** {@code answer}, built once this member has caught up with the leader (as etcd's through Raft). */
  private <T> CompletableFuture<T> current(Supplier<T> answer) {
    return readBarrier.get().thenApply(caughtUp -> answer.get());
  }

  private io.etcd.jetcd.api.ResponseHeader header() {
    return headers.header(revision.getAsLong());
  }

  private static void fail(EtcdError error, StreamObserver<?> observer) {
    observer.onError(error.status().asRuntimeException());
  }
}
