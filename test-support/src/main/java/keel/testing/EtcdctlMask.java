package keel.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
          // member ids where etcdctl names a member (%x, so of any length and maybe only digits):
          // `member 8e9e05c52164694d is healthy`, v2 `8e9e05c52164694d: name=...`, v3 `..., started,`
          new Rule(Pattern.compile("(?<=\\bmember )[0-9a-f]{1,16}(?= is | on )"), "<id>"),
          new Rule(Pattern.compile("(?m)^[0-9a-f]{1,16}(?=: name=|, (un)?started,)"), "<id>"),
          new Rule(Pattern.compile("(?<=Leadership transferred from )[0-9a-f]{1,16} to [0-9a-f]{1,16}$", Pattern.MULTILINE), "<id> to <id>"),
          new Rule(Pattern.compile("(?<=\\| )[0-9a-f]{1,16}(?= \\| (un)?started \\|)"), "<id>"),
          new Rule(Pattern.compile("(?<=<endpoint>, )[0-9a-f]{1,16}(?=, [0-9]+\\.[0-9]+\\.[0-9]+, )"), "<id>"),
          new Rule(Pattern.compile("(?<=\\| <endpoint> \\| )[0-9a-f]{1,16}(?= \\| [0-9]+\\.[0-9]+\\.[0-9]+ \\|)"), "<id>"),
          // any other hex id of etcd's usual width (a run of 12-16 hex digits with a letter in it)
          new Rule(Pattern.compile("\\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{12,16}\\b"), "<id>"));


  private EtcdctlMask() {}

  /**
   * Lease ids named by order of grant within one transcript, so that two clusters' transcripts,
   * which grant different ids, still compare step by step (and a step can name a lease granted by
   * an earlier one). The first lease {@code etcdctl lease grant} prints becomes {@code <lease-1>},
   * the next {@code <lease-2>}; a step's arguments use the tokens, which {@link #resolve} turns into
   * the cluster's ids; {@link #hide} turns the ids in output back into tokens, in etcdctl's hex
   * ({@code %016x}) and in decimal ({@code -w json}). Ids never granted (say {@code 1234}) stay.
   */
  public static final class LeaseTokens {
    private static final Pattern GRANTED = Pattern.compile("lease ([0-9a-f]{16}) granted with TTL");
    private static final Pattern TOKEN = Pattern.compile("<lease-[0-9]+>");
    /** Token to the lease id, in grant order. */
    private final Map<String, Long> ids = new LinkedHashMap<>();

    /** Names every lease {@code output} reports granted that has no token yet. */
    public void learn(String output) {
      Matcher m = GRANTED.matcher(output);
      while (m.find()) {
        long id = Long.parseUnsignedLong(m.group(1), 16);
        if (!ids.containsValue(id)) {
          ids.put("<lease-" + (ids.size() + 1) + ">", id);
        }
      }
    }

    /** {@code args} with every lease token replaced by its id in hex, as etcdctl takes it. */
    public List<String> resolve(List<String> args) {
      List<String> resolved = new ArrayList<>();
      for (String arg : args) {
        Matcher m = TOKEN.matcher(arg);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
          Long id = ids.get(m.group());
          if (id == null) {
            throw new IllegalStateException("no lease granted yet for " + m.group() + " in " + args);
          }
          m.appendReplacement(out, String.format("%016x", id));
        }
        resolved.add(m.appendTail(out).toString());
      }
      return resolved;
    }

    /** {@code output} with every named lease id (hex or decimal) replaced by its token. */
    public String hide(String output) {
      String hidden = output;
      for (Map.Entry<String, Long> lease : ids.entrySet()) {
        String token = Matcher.quoteReplacement(lease.getKey());
        hidden = Pattern.compile("\\b0*" + Long.toHexString(lease.getValue()) + "\\b").matcher(hidden).replaceAll(token);
        hidden = Pattern.compile("\\b" + lease.getValue() + "\\b").matcher(hidden).replaceAll(token);
      }
      return hidden;
    }
  }

  /** {@code output} with every rule above applied, in order. */
  public static String mask(String output) {
    String masked = output;
    for (Rule rule : RULES) {
      masked = rule.apply(masked);
    }
    return masked;
  }
}
