package keel.server.api.grpc;

import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.StatusRequest;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.function.BooleanSupplier;
import keel.server.errors.EtcdError;

/**
 * What a learner serves, as etcd's interceptors decide: Status and serializable Range only. Every
 * other call, and every stream, is refused with etcd's "rpc not supported for learner", so a
 * client moves on to a voting member.
 */
final class LearnerGuard implements ServerInterceptor {
  private final BooleanSupplier isLearner;

  LearnerGuard(BooleanSupplier isLearner) {
    this.isLearner = isLearner;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (!isLearner.getAsBoolean()) {
      return next.startCall(call, headers);
    }
    if (call.getMethodDescriptor().getType() != MethodDescriptor.MethodType.UNARY) {
      call.close(EtcdError.NOT_SUPPORTED_FOR_LEARNER.status(), new Metadata());
      return new ServerCall.Listener<>() { };
    }
    // A unary call: whether it is served depends on its request, so read that first.
    call.request(1);
    return new ServerCall.Listener<>() {
      private ServerCall.Listener<Q> served;

      @Override
      public void onMessage(Q request) {
        if (!supported(request)) {
          call.close(EtcdError.NOT_SUPPORTED_FOR_LEARNER.status(), new Metadata());
          return;
        }
        served = next.startCall(call, headers);
        served.onMessage(request);
      }

      @Override
      public void onHalfClose() {
        if (served != null) {
          served.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        if (served != null) {
          served.onCancel();
        }
      }

      @Override
      public void onComplete() {
        if (served != null) {
          served.onComplete();
        }
      }

      @Override
      public void onReady() {
        if (served != null) {
          served.onReady();
        }
      }
    };
  }

  private static boolean supported(Object request) {
    return request instanceof StatusRequest || (request instanceof RangeRequest range && range.getSerializable());
  }
}
