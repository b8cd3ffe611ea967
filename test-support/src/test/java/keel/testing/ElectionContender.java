package keel.testing;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.election.CampaignResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One election contender, run as its own process by {@link ElectionIT}: grants a lease of the
 * given TTL, keeps it alive, campaigns through Keel's Election service and prints {@code LEADING}
 * once it leads, then holds leadership until killed.
 *
 * <pre>java -cp ... keel.testing.ElectionContender http://127.0.0.1:2379,... election-name my-value 2</pre>
 */
public final class ElectionContender {
  private ElectionContender() {}

  public static void main(String[] args) throws Exception {
    URI[] endpoints = Arrays.stream(args[0].split(",")).map(URI::create).toArray(URI[]::new);
    ByteSequence name = ByteSequence.from(args[1], StandardCharsets.UTF_8);
    ByteSequence value = ByteSequence.from(args[2], StandardCharsets.UTF_8);
    long ttl = Long.parseLong(args[3]);
    try (Client client = Client.builder().endpoints(endpoints).build()) {
      long lease = client.getLeaseClient().grant(ttl).get().getID();
      client.getLeaseClient().keepAlive(lease, new io.grpc.stub.StreamObserver<>() {
        @Override public void onNext(io.etcd.jetcd.lease.LeaseKeepAliveResponse response) { }
        @Override public void onError(Throwable t) { System.out.println("KEEPALIVE-ERROR " + t); }
        @Override public void onCompleted() { }
      });
      System.out.println("CAMPAIGNING " + Long.toHexString(lease));
      CampaignResponse campaign = client.getElectionClient().campaign(name, lease, value).get();
      System.out.println("LEADING " + campaign.getLeader().getKey().toString(StandardCharsets.UTF_8));
      Thread.currentThread().join();
    }
  }
}
