package keel.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import keel.testing.Deadlines;
import keel.testing.KeelCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Streams owe their answers: a client that sends requests on a stream and half-closes its side at
 * once still gets an answer to every request, on a single member, on a leader and on a follower.
 * etcd's LeaseKeepAlive answers each request before it reads the next, so the end of the requests
 * is seen only after every answer went out; its Watch stream keeps serving after a half-close.
 *
 * <p>The regression: a keep-alive answered on a Ratis thread was handed to Armeria off its event
 * loop, while the half-close ended the call on the event loop at once, so the answer found the call
 * closed and was dropped (a trailers-only OK with no message, about one call in a hundred on a
 * single member here, up to half on a loaded machine).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StreamHalfCloseIT {
  private static final int REPEATS = 200;
  private static final Duration CALL_DEADLINE = Deadlines.scaled(Duration.ofSeconds(10));
  private static final String KEEP_ALIVE_PATH = "etcdserverpb.Lease/LeaseKeepAlive";
  private static final MethodDescriptor<byte[], byte[]> KEEP_ALIVE =
      RawGrpc.method(KEEP_ALIVE_PATH, MethodDescriptor.MethodType.BIDI_STREAMING);
  private static final MethodDescriptor<byte[], byte[]> WATCH =
      RawGrpc.method("etcdserverpb.Watch/Watch", MethodDescriptor.MethodType.BIDI_STREAMING);

  @RegisterExtension
  static final KeelCluster three = KeelCluster.ofSize(3);

  @RegisterExtension
  static final KeelCluster single = KeelCluster.ofSize(1);

  @Test
  void keepAliveThenHalfCloseIsAnsweredOnASingleMember() throws Exception {
    keepAlivesAreAllAnswered(single, 0);
    keepAlivesInOneBodyAreAllAnswered(single, 0);
  }

  @Test
  void keepAliveThenHalfCloseIsAnsweredOnTheLeader() throws Exception {
    keepAlivesAreAllAnswered(three, three.awaitLeader());
  }

  @Test
  void keepAliveThenHalfCloseIsAnsweredOnAFollower() throws Exception {
    keepAlivesAreAllAnswered(three, (three.awaitLeader() + 1) % 3);
  }

  @Test
  void watchCreateAndCancelThenHalfCloseAreAnsweredEverywhere() throws Exception {
    int leader = three.awaitLeader();
    watchAnswersAreAllSent(single, 0);
    watchAnswersAreAllSent(three, leader);
    watchAnswersAreAllSent(three, (leader + 1) % 3);
  }

  /** Requests, then a half-close, as separate frames from grpc-java: 1 to 3 requests per call. */
  private static void keepAlivesAreAllAnswered(KeelCluster cluster, int member) throws Exception {
    long lease = cluster.client().getLeaseClient().grant(60).get(10, TimeUnit.SECONDS).getID();
    byte[] request = LeaseKeepAliveRequest.newBuilder().setID(lease).build().toByteArray();
    List<String> missed = new ArrayList<>();
    try (RawGrpc grpc = new RawGrpc(endpoint(cluster, member))) {
      for (int i = 0; i < REPEATS; i++) {
        int count = 1 + i % 3; // one request, as a keep-alive-once, and short bursts
        List<byte[]> requests = new ArrayList<>();
        for (int r = 0; r < count; r++) {
          requests.add(request);
        }
        RawGrpc.Exchange exchange = grpc.call(KEEP_ALIVE, requests, CALL_DEADLINE);
        if (exchange.responses().size() != count || !exchange.status().isOk()) {
          missed.add("try " + i + ": " + count + " requests, " + exchange);
          continue;
        }
        for (byte[] bytes : exchange.responses()) {
          assertRenewed(LeaseKeepAliveResponse.parseFrom(bytes), lease);
        }
      }
    }
    assertThat(missed).as("keep-alive calls on member %d that did not get every answer", member).isEmpty();
  }

  /** The requests and the end of the stream in one HTTP/2 body (END_STREAM on the data). */
  private static void keepAlivesInOneBodyAreAllAnswered(KeelCluster cluster, int member) throws Exception {
    long lease = cluster.client().getLeaseClient().grant(60).get(10, TimeUnit.SECONDS).getID();
    byte[] frame = RawH2.frame(LeaseKeepAliveRequest.newBuilder().setID(lease).build().toByteArray());
    int answerBytes = -1;
    List<String> missed = new ArrayList<>();
    try (RawH2 h2 = new RawH2(endpoint(cluster, member))) {
      for (int i = 0; i < REPEATS; i++) {
        int count = 1 + i % 2;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int r = 0; r < count; r++) {
          body.write(frame);
        }
        RawH2.Answer answer = h2.post("/" + KEEP_ALIVE_PATH, body.toByteArray());
        if (i == 0) {
          answerBytes = answer.body().length;
          assertThat(answerBytes).as("one answer's frame").isGreaterThan(5);
        }
        if (!"0".equals(answer.grpcStatus()) || answer.body().length != count * answerBytes) {
          missed.add("try " + i + ": " + count + " requests, " + answer);
        }
      }
    }
    assertThat(missed).as("one-body keep-alive calls on member %d without every answer", member).isEmpty();
  }

  private static void watchAnswersAreAllSent(KeelCluster cluster, int member) throws Exception {
    try (RawGrpc grpc = new RawGrpc(endpoint(cluster, member))) {
      for (int i = 0; i < REPEATS / 4; i++) {
        ByteString key = ByteString.copyFromUtf8(cluster.uniqueKey().toString());
        byte[] create = WatchRequest.newBuilder()
            .setCreateRequest(WatchCreateRequest.newBuilder().setKey(key)).build().toByteArray();
        byte[] cancel = WatchRequest.newBuilder()
            .setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(0)).build().toByteArray();
        List<byte[]> answers = grpc.collect(WATCH, List.of(create, cancel), 2, CALL_DEADLINE);
        assertThat(answers).as("member %d, try %d: created and canceled", member, i).hasSize(2);
        WatchResponse created = WatchResponse.parseFrom(answers.get(0));
        WatchResponse canceled = WatchResponse.parseFrom(answers.get(1));
        assertThat(created.getCreated()).as("first answer is created").isTrue();
        assertThat(canceled.getCanceled()).as("second answer is canceled").isTrue();
        assertThat(canceled.getWatchId()).isEqualTo(created.getWatchId());
      }
    }
  }

  private static void assertRenewed(LeaseKeepAliveResponse response, long lease) {
    assertThat(response.getID()).isEqualTo(lease);
    assertThat(response.getTTL()).as("renewed TTL").isBetween(1L, 60L);
  }

  private static URI endpoint(KeelCluster cluster, int member) {
    return cluster.endpoints().get(member);
  }
}
