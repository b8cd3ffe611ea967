package keel.client.support;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Cluster;
import io.etcd.jetcd.Election;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.Lock;
import io.etcd.jetcd.Maintenance;
import io.etcd.jetcd.Watch;

/**
 * The base of the tests' fake jetcd clients: every service throws {@link UnsupportedOperationException}
 * until a fake overrides the one it scripts, so a recipe that reaches for another service fails loudly.
 */
public abstract class UnsupportedClient implements Client {
  @Override
  public KV getKVClient() {
    throw new UnsupportedOperationException("this fake client has no KV service");
  }

  @Override
  public Watch getWatchClient() {
    throw new UnsupportedOperationException("this fake client has no Watch service");
  }

  @Override
  public Lease getLeaseClient() {
    throw new UnsupportedOperationException("this fake client has no Lease service");
  }

  @Override
  public Auth getAuthClient() {
    throw new UnsupportedOperationException("this fake client has no Auth service");
  }

  @Override
  public Cluster getClusterClient() {
    throw new UnsupportedOperationException("this fake client has no Cluster service");
  }

  @Override
  public Maintenance getMaintenanceClient() {
    throw new UnsupportedOperationException("this fake client has no Maintenance service");
  }

  @Override
  public Lock getLockClient() {
    throw new UnsupportedOperationException("this fake client has no Lock service");
  }

  @Override
  public Election getElectionClient() {
    throw new UnsupportedOperationException("this fake client has no Election service");
  }

  @Override
  public void close() {}
}
