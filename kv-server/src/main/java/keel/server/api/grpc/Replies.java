package keel.server.api.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import keel.server.errors.EtcdError;
import keel.server.errors.EtcdException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Completes a unary gRPC call from a future, rendering failures as etcd's status and text. */
final class Replies {
  private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

  private Replies() {}

  static <T> void reply(CompletableFuture<T> future, StreamObserver<T> observer) {
    future.whenComplete((value, error) -> {
      if (error == null) {
        observer.onNext(value);
        observer.onCompleted();
      } else {
        observer.onError(toStatus(error).asRuntimeException());
      }
    });
  }

  /**
   * As {@link #reply(CompletableFuture, StreamObserver)}, for etcd's v3lock and v3election
   * servers, which reach etcd through its Go client: an etcd error comes back to them as a plain
   * Go error, which gRPC sends as UNKNOWN with etcd's text (e.g. an Unlock of an empty key).
   */
  static <T> void replyAsEtcdClient(CompletableFuture<T> future, StreamObserver<T> observer) {
    future.whenComplete((value, error) -> {
      if (error == null) {
        observer.onNext(value);
        observer.onCompleted();
      } else if (cause(error) instanceof EtcdException etcd) {
        observer.onError(Status.UNKNOWN.withDescription(etcd.error().message()).asRuntimeException());
      } else {
        observer.onError(toStatus(error).asRuntimeException());
      }
    });
  }

  /** Runs a synchronous answer (validation and local reads), catching etcd errors thrown by it. */
  static <T> void reply(Supplier<T> answer, StreamObserver<T> observer) {
    T value;
    try {
      value = answer.get();
    } catch (RuntimeException e) {
      observer.onError(toStatus(e).asRuntimeException());
      return;
    }
    observer.onNext(value);
    observer.onCompleted();
  }

  /** The failure inside a future's completion wrappers. */
  static Throwable cause(Throwable error) {
    while (error instanceof CompletionException && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }

  /** Rethrows a failure from inside a future's stage without wrapping it twice. */
  static CompletionException asCompletion(Throwable error) {
    return error instanceof CompletionException c ? c : new CompletionException(error);
  }

  static Status toStatus(Throwable error) {
    error = cause(error);
    if (error instanceof EtcdException etcd) {
      return etcd.error().status();
    }
    LOG.error("unexpected failure serving a request", error);
    return EtcdError.UNKNOWN.status();
  }
}
