package keel.torture.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The search's memo (Lowe's "Testing for linearizability", 2017): the configurations already
 * explored, each the set of calls linearized so far plus the register's value after them. Two
 * paths that linearized the same calls and left the same value have the same future, so the second
 * is cut. Calls of unknown outcome are kept apart (see {@link #add}).
 *
 * <p>The live set is a bitset over the ids of the calls with a known outcome (in invocation order). The search lifts calls
 * roughly in id order, so a set is nearly always "every id below some point, plus a few above
 * it": it is stored as the words from the first not-full word to the last non-zero one (usually
 * one or two words instead of n/64). Worked example with 64-bit words and 150 calls: ids 0..129
 * and 140 linearized gives words [all ones, all ones, 0b1_0000000011..1 (bits 0, 1 and 12)]; the
 * stored slice is {@code lo = 2, [that word]}. A Zobrist hash (a random long per id, xored in and
 * out) keeps hashing O(1) per step.
 */
final class LinearizedSets {
  private final long[] words;
  private final long[] zobrist;
  private final HashMap<Key, List<long[]>> seen = new HashMap<>();
  private long hash;
  /** Words below {@code lo} are all ones. */
  private int lo;
  /** Words at and above {@code top} are zero. */
  private int top;

  LinearizedSets(int calls) {
    words = new long[(calls + 63) / 64];
    zobrist = new long[calls];
    SplittableRandom random = new SplittableRandom(0x6b65656cL);
    for (int i = 0; i < calls; i++) {
      zobrist[i] = random.nextLong();
    }
  }

  /** Marks call {@code id} linearized. */
  void set(int id) {
    int w = id >>> 6;
    words[w] |= 1L << id;
    hash ^= zobrist[id];
    top = Math.max(top, w + 1);
    while (lo < words.length && words[lo] == -1L) {
      lo++;
    }
  }

  /** Marks call {@code id} not linearized (backtracking). */
  void clear(int id) {
    int w = id >>> 6;
    words[w] &= ~(1L << id);
    hash ^= zobrist[id];
    lo = Math.min(lo, w);
    while (top > 0 && words[top - 1] == 0) {
      top--;
    }
  }

  /**
   * Records (current set, {@code state}, {@code unknowns}); false when it need not be explored:
   * it was, or one with the same set and state and a subset of these unknown calls was. The
   * latter dominates: calls of unknown outcome return at +infinity, so whatever can follow after
   * linearizing more of them could also follow without them (and they go last).
   *
   * @param unknowns bitset of the calls of unknown outcome linearized so far (not in the set)
   */
  boolean add(Long state, long[] unknowns) {
    int from = lo;
    int to = Math.max(lo, top);
    Key probe = new Key(mix(state), from, words, from, to, state);
    List<long[]> explored = seen.get(probe);
    if (explored == null) {
      explored = new ArrayList<>(1);
      seen.put(new Key(probe.hash, from, Arrays.copyOfRange(words, from, to), 0, to - from, state), explored);
    } else {
      for (long[] u : explored) {
        if (subset(u, unknowns)) {
          return false;
        }
      }
    }
    explored.add(unknowns.clone());
    return true;
  }

  private static boolean subset(long[] a, long[] b) {
    for (int i = 0; i < a.length; i++) {
      if ((a[i] & ~b[i]) != 0) {
        return false;
      }
    }
    return true;
  }

  int size() {
    return seen.size();
  }

  private int mix(Long state) {
    long h = hash ^ (Objects.hashCode(state) * 0x9E3779B97F4A7C15L) ^ lo;
    return (int) (h ^ (h >>> 32));
  }

  /** A slice {@code words[from, to)} standing for the set; {@code lo} places it. */
  private static final class Key {
    final int hash;
    final int lo;
    final long[] words;
    final int from;
    final int to;
    final Long state;

    Key(int hash, int lo, long[] words, int from, int to, Long state) {
      this.hash = hash;
      this.lo = lo;
      this.words = words;
      this.from = from;
      this.to = to;
      this.state = state;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k
          && k.hash == hash
          && k.lo == lo
          && Objects.equals(k.state, state)
          && Arrays.equals(k.words, k.from, k.to, words, from, to);
    }
  }
}
