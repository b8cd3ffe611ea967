package keel.perf.bench;

/**
 * The shape of the load: {@code clients} concurrent requesters, each with exactly one request in
 * flight (a closed loop, as etcd's benchmark tool), for {@code length}, at most {@code rate}
 * requests per second over all clients (0: as fast as the answers come).
 */
record Load(int clients, RunLength length, double rate) {}
