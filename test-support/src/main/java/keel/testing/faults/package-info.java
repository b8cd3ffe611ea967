/**
 * Fault injection for cluster tests: {@link keel.testing.faults.NetnsNetwork} puts members
 * in network namespaces and cuts, isolates, partitions or degrades their links with nftables
 * rules; {@link keel.testing.faults.DelayProxy} delays (and resets) TCP connections between
 * members where the kernel offers no {@code tc netem}; {@link keel.testing.faults.FakeClocks} steps
 * a member's wall clock with libfaketime.
 */
package keel.testing.faults;
