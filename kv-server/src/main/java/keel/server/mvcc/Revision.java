package keel.server.mvcc;

/**
 * etcd's revision pair: {@code main} is the store revision of a write transaction, {@code sub}
 * numbers the changes inside it (0, 1, 2, ... in the order they were applied). Ordered by main,
 * then sub, as etcd's {@code revision.GreaterThan}.
 */
public record Revision(long main, long sub) implements Comparable<Revision> {

  @Override
  public int compareTo(Revision other) {
    int byMain = Long.compare(main, other.main);
    return byMain != 0 ? byMain : Long.compare(sub, other.sub);
  }

  @Override
  public String toString() {
    return main + "." + sub;
  }
}
