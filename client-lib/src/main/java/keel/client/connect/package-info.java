/**
 * Connecting to a cluster as etcdctl does: {@link keel.client.connect.EtcdConnection} (endpoints,
 * TLS files, user and password, from flags or the {@code ETCDCTL_*} environment) makes the jetcd
 * client the recipes run on.
 */
package keel.client.connect;
