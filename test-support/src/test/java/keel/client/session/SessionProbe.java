package keel.client.session;

import io.etcd.jetcd.Client;
import java.time.Duration;

/**
 * A client process for {@link SessionIT}'s pause test: opens a {@link Session} and prints {@code
 * OPEN <lease hex>}, then {@code LOST <reason> <detail>} once it is lost, then keeps running until
 * killed.
 *
 * <pre>java -cp ... keel.client.session.SessionProbe http://127.0.0.1:2379,... 2</pre>
 */
public final class SessionProbe {
  private SessionProbe() {}

  public static void main(String[] args) throws Exception {
    String[] endpoints = args[0].split(",");
    long ttl = Long.parseLong(args[1]);
    try (Client client = Client.builder().endpoints(endpoints).build();
        Session session = Session.open(client, Duration.ofSeconds(ttl))) {
      session.addListener(lost -> {
        System.out.println("LOST " + lost.reason() + " " + lost.detail());
        System.out.flush();
      }, Runnable::run);
      System.out.println("OPEN " + Long.toHexString(session.leaseId()));
      System.out.flush();
      Thread.currentThread().join();
    }
  }
}
