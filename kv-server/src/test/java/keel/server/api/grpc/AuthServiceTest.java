package keel.server.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.AuthRoleAddRequest;
import io.etcd.jetcd.api.AuthRoleAddResponse;
import io.etcd.jetcd.api.AuthUserAddRequest;
import io.etcd.jetcd.api.AuthUserAddResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.etcd.jetcd.api.AuthUserListRequest;
import io.etcd.jetcd.api.AuthUserListResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** etcd's refusals come before Keel's "not supported yet" (found by GrpcFuzzIT). */
class AuthServiceTest {
  private final AuthService auth = new AuthService(new Headers(1, 2, () -> 3), () -> 1,
      () -> CompletableFuture.completedFuture(null));

  /** etcd answers a user list through Raft: Keel answers once its ReadIndex barrier passed, with the revision of then. */
  @Test
  void aUserListIsAnsweredAfterTheReadBarrierWithTheRevisionOfThen() {
    AtomicLong revision = new AtomicLong(10);
    CompletableFuture<Void> barrier = new CompletableFuture<>();
    AuthService waiting = new AuthService(new Headers(1, 2, () -> 3), revision::get, () -> barrier);
    List<AuthUserListResponse> answers = new ArrayList<>();
    waiting.userList(AuthUserListRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(AuthUserListResponse value) {
        answers.add(value);
      }

      @Override
      public void onError(Throwable t) {
        throw new AssertionError(t);
      }

      @Override
      public void onCompleted() {}
    });
    assertThat(answers).as("answered before the barrier").isEmpty();
    revision.set(11); // the write the member had not applied yet
    barrier.complete(null);
    assertThat(answers).singleElement().satisfies(a -> assertThat(a.getHeader().getRevision()).isEqualTo(11));
  }

  @Test
  void anEmptyUserOrRoleNameGetsEtcdsInvalidArgument() {
    Status user = AuthServiceTest.<AuthUserAddResponse>failure(o -> auth.userAdd(AuthUserAddRequest.getDefaultInstance(), o));
    assertThat(user.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(user.getDescription()).isEqualTo("etcdserver: user name is empty");
    Status role = AuthServiceTest.<AuthRoleAddResponse>failure(o -> auth.roleAdd(AuthRoleAddRequest.getDefaultInstance(), o));
    assertThat(role.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(role.getDescription()).isEqualTo("etcdserver: role name is empty");
  }

  @Test
  void aNamedUserOrRoleIsNotSupportedYetAndSaysSo() {
    Status user = AuthServiceTest.<AuthUserAddResponse>failure(o -> auth.userAdd(AuthUserAddRequest.newBuilder().setName("alice").build(), o));
    assertThat(user.getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(user.getDescription()).startsWith("keel: ");
    Status role = AuthServiceTest.<AuthRoleAddResponse>failure(o -> auth.roleAdd(AuthRoleAddRequest.newBuilder().setName("readers").build(), o));
    assertThat(role.getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  private static <T> Status failure(java.util.function.Consumer<StreamObserver<T>> call) {
    AtomicReference<Throwable> error = new AtomicReference<>();
    call.accept(new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        throw new AssertionError("answered " + value);
      }

      @Override
      public void onError(Throwable t) {
        error.set(t);
      }

      @Override
      public void onCompleted() {}
    });
    assertThat(error.get()).as("refused").isNotNull();
    return Status.fromThrowable(error.get());
  }
}
