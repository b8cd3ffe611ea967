/**
 * JMH microbenchmarks of Keel's hot paths, inside one JVM and without Raft, so that a change to
 * one path shows in its own number rather than in the noise of a cluster run (the load generator
 * and {@code perf/compare.sh} measure the whole server against etcd):
 *
 * <ul>
 *   <li>{@link keel.perf.jmh.ApplyBenchmark}: the state machine applying a put and a txn, and a
 *       serializable range, on a store of 1,000 or 1,000,000 keys;
 *   <li>{@link keel.perf.jmh.WatchFanOutBenchmark}: one put delivered to 1 or 1,000 watchers
 *       through the watch hub;
 *   <li>{@link keel.perf.jmh.CommandEncodingBenchmark}: a put's Raft log command and its answer,
 *       serialised and parsed;
 *   <li>{@link keel.perf.jmh.GrpcDoorBenchmark}: one unary Put or Range through the gRPC door on
 *       loopback.
 * </ul>
 *
 * <p>The annotation processor writes the harness and {@code META-INF/BenchmarkList} into the
 * module's classes at compile time, so the jar built by {@code mvn package} runs them with JMH's
 * own main class (arguments are JMH's: a regular expression of benchmarks, {@code -p} to fix a
 * parameter, {@code -f}/{@code -wi}/{@code -i} for forks and iterations, {@code -h} for the rest):
 *
 * <pre>
 *   mvn -pl perf -am package -DskipTests
 *   java -cp 'perf/target/keel-perf.jar:perf/target/lib/*' org.openjdk.jmh.Main             # all
 *   java -cp 'perf/target/keel-perf.jar:perf/target/lib/*' org.openjdk.jmh.Main 'ApplyBenchmark.put' -p keys=1000000
 * </pre>
 *
 * <p>{@code JmhSmokeTest} runs every benchmark once, briefly, with the small parameters, in the
 * default test suite: it checks that they run, not how fast.
 */
package keel.perf.jmh;
