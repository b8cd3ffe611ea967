package keel.perf.bench;

import io.etcd.jetcd.ByteSequence;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The keys and the value a workload writes and reads. Key {@code i} of the key space is {@code i}
 * in decimal, zero-padded to {@code keySize} bytes ({@code 00000042}): readable with etcdctl, and
 * ordered as the numbers are, so the whole space is one range {@code [key(0), key(size-1)+"\0")}.
 * (etcd's benchmark tool writes binary keys of the same size; the size is what costs.) Request
 * {@code n} uses key {@code n mod size} with {@code --sequential-keys}, else a random one.
 */
record Keys(int keySize, int valueSize, long spaceSize, boolean sequential) {
  Keys {
    if (keySize < 1 || keySize > 18) {
      throw new IllegalArgumentException("key size must be 1..18, was " + keySize);
    }
    if (spaceSize < 1 || spaceSize > maxSpace(keySize)) {
      throw new IllegalArgumentException("key space size must be 1.." + maxSpace(keySize) + ", was " + spaceSize);
    }
  }

  /** How many distinct keys {@code keySize} decimal digits hold: 10^keySize. */
  static long maxSpace(int keySize) {
    long max = 1;
    for (int i = 0; i < keySize; i++) {
      max *= 10;
    }
    return max;
  }

  /** Key {@code index} of the space. */
  ByteSequence key(long index) {
    byte[] key = new byte[keySize];
    Arrays.fill(key, (byte) '0');
    long rest = index;
    for (int i = keySize - 1; i >= 0 && rest > 0; i--) {
      key[i] = (byte) ('0' + rest % 10);
      rest /= 10;
    }
    return ByteSequence.from(key);
  }

  /** The index of the key request {@code n} uses. */
  long indexFor(long n) {
    return sequential ? n % spaceSize : ThreadLocalRandom.current().nextLong(spaceSize);
  }

  /** The index a key of this space stands for (the inverse of {@link #key}). */
  static long indexOf(ByteSequence key) {
    long index = 0;
    for (byte b : key.getBytes()) {
      index = index * 10 + (b - '0');
    }
    return index;
  }

  /** The end of the range that holds keys 0 to {@code lastIndex}: the key just after the last. */
  ByteSequence rangeEndAfter(long lastIndex) {
    return key(lastIndex).concat(ByteSequence.from(new byte[] {0}));
  }

  /** The value every write puts: {@code valueSize} bytes. */
  ByteSequence value() {
    byte[] value = new byte[valueSize];
    Arrays.fill(value, (byte) 'v');
    return ByteSequence.from(value);
  }
}
