package keel.testing;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces the parts of etcdctl output that legitimately differ between two clusters (or two runs)
 * with fixed tokens, keeping the structure around them, so transcripts can be compared as text.
 *
 * <p>Masked: cluster, member, leader and lease ids and the raft term, in {@code -w json}, {@code -w
 * fields} and hex ids in {@code -w simple/table}; in the client's own log lines the timestamp, the
 * client UUID and loopback endpoints. Zero values stay: an inner txn response header carries
 * {@code cluster_id 0}, and a Keel that filled it in would differ from etcd. Revisions are not
 * masked: on a fresh cluster they are deterministic and must match.
 *
 * <pre>
 * {"header":{"cluster_id":5298435163934787985,"member_id":86457824995,"revision":2,"raft_term":2}}
 *   -> {"header":{"cluster_id":&lt;cluster_id&gt;,"member_id":&lt;member_id&gt;,"revision":2,"raft_term":&lt;raft_term&gt;}}
 * "MemberID" : 8645782499530242234  ->  "MemberID" : &lt;member_id&gt;
 * </pre>
 */
public final class EtcdctlMask {
  private record Rule(Pattern pattern, String replacement) {
    String apply(String text) {
      return pattern.matcher(text).replaceAll(replacement);
    }
  }

  private static Rule json(String field, String token) {
    return new Rule(Pattern.compile("(\"" + field + "\":)[1-9][0-9]*"), "$1" + Matcher.quoteReplacement(token));
  }

  private static Rule fields(String field, String token) {
    return new Rule(Pattern.compile("(\"" + field + "\" : )[1-9][0-9]*"), "$1" + Matcher.quoteReplacement(token));
  }

  private static final List<Rule> RULES =
      List.of(
          // the client's zap log lines on stderr (before the hex-id rule, which would eat UUID parts)
          new Rule(Pattern.compile("(\"ts\":\")[^\"]*"), "$1<ts>"),
          new Rule(Pattern.compile("(\"took\":\")[^\"]*"), "$1<took>"),
          new Rule(Pattern.compile("client-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "client-<uuid>"),
          new Rule(Pattern.compile("(https?://)?127\\.0\\.0\\.[0-9]{1,3}:[0-9]{1,5}"), "<endpoint>"),
          // -w json (protobuf field names)
          json("cluster_id", "<cluster_id>"),
          json("member_id", "<member_id>"),
          json("raft_term", "<raft_term>"),
          json("lease", "<lease_id>"),
          json("ID", "<id>"),
          json("leader", "<member_id>"),
          json("raftTerm", "<raft_term>"),
          // -w fields (Go field names)
          fields("ClusterID", "<cluster_id>"),
          fields("MemberID", "<member_id>"),
          fields("RaftTerm", "<raft_term>"),
          fields("Lease", "<lease_id>"),
          fields("ID", "<id>"),
          fields("Leader", "<member_id>"),
          // -w simple / table: `lease 694d77aa4d7e3a0c granted with TTL(10s)`, member ids in tables
          new Rule(Pattern.compile("(?<=lease )[0-9a-f]{1,16}(?= )"), "<lease_id>"),
          new Rule(Pattern.compile("\\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{12,16}\\b"), "<id>"));


  private EtcdctlMask() {}

  /** {@code output} with every rule above applied, in order. */
  public static String mask(String output) {
    String masked = output;
    for (Rule rule : RULES) {
      masked = rule.apply(masked);
    }
    return masked;
  }
}
