package dev.kiln.data;

import java.util.Arrays;

/**
 * The values of one categorical column and their ids: an open-addressing hash table keyed by byte strings (strings,
 * byte arrays) or by int64 values (integers), so a lookup straight from a page's bytes allocates nothing. Key
 * {@code i} (in insertion order) has category id {@code i + 1}; id {@link Vocabulary#UNKNOWN} (0) is every value
 * not in the index. While fitting, {@link #counts} counts occurrences.
 */
final class CategoryIndex {
    final boolean binary;
    private byte[][] byteKeys = new byte[16][];
    private long[] longKeys = new long[16];
    long[] counts = new long[16];
    private int size;
    /** Hash slots holding key index + 1, 0 if empty; a power of two at most half full. */
    private int[] slots = new int[32];

    CategoryIndex(boolean binary) {
        this.binary = binary;
    }

    int size() {
        return size;
    }

    byte[] bytesKey(int i) {
        return byteKeys[i];
    }

    long longKey(int i) {
        return longKeys[i];
    }

    private static int hash(byte[] a, int off, int len) {
        int h = 0x9747b28c ^ len;
        for (int i = 0; i < len; i++) {
            h = 31 * h + a[off + i];
        }
        return mix(h);
    }

    private static int hash(long k) {
        return mix((int) (k ^ (k >>> 32)) * 0x9E3779B9);
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        return h ^ (h >>> 13);
    }

    /** The index of key {@code a[off, off + len)}, or -1. */
    int find(byte[] a, int off, int len) {
        int m = slots.length - 1;
        for (int s = hash(a, off, len) & m; ; s = (s + 1) & m) {
            int k = slots[s] - 1;
            if (k < 0) {
                return -1;
            }
            byte[] key = byteKeys[k];
            if (key.length == len && Arrays.equals(key, 0, len, a, off, off + len)) {
                return k;
            }
        }
    }

    int find(long key) {
        int m = slots.length - 1;
        for (int s = hash(key) & m; ; s = (s + 1) & m) {
            int k = slots[s] - 1;
            if (k < 0) {
                return -1;
            }
            if (longKeys[k] == key) {
                return k;
            }
        }
    }

    /** The index of the key, inserting it if new. */
    int add(byte[] a, int off, int len) {
        int found = find(a, off, len);
        if (found >= 0) {
            return found;
        }
        grow();
        byteKeys[size] = Arrays.copyOfRange(a, off, off + len);
        return insert(hash(a, off, len));
    }

    int add(long key) {
        int found = find(key);
        if (found >= 0) {
            return found;
        }
        grow();
        longKeys[size] = key;
        return insert(hash(key));
    }

    private int insert(int h) {
        int m = slots.length - 1;
        int s = h & m;
        while (slots[s] != 0) {
            s = (s + 1) & m;
        }
        slots[s] = size + 1;
        return size++;
    }

    private void grow() {
        if (size == counts.length) {
            int n = size * 2;
            counts = Arrays.copyOf(counts, n);
            if (binary) {
                byteKeys = Arrays.copyOf(byteKeys, n);
            } else {
                longKeys = Arrays.copyOf(longKeys, n);
            }
        }
        if ((size + 1) * 2 > slots.length) {
            slots = new int[slots.length * 2];
            int m = slots.length - 1;
            for (int k = 0; k < size; k++) {
                int h = binary ? hash(byteKeys[k], 0, byteKeys[k].length) : hash(longKeys[k]);
                int s = h & m;
                while (slots[s] != 0) {
                    s = (s + 1) & m;
                }
                slots[s] = k + 1;
            }
        }
    }

    /** The category id of value {@code i} of a page: 1 + its index, or {@link Vocabulary#UNKNOWN}. */
    long id(Values v, int i, ColumnType type, String what) {
        int k = binary ? (v.kind == Values.Kind.BINARY ? find(v.bytes, v.starts[i], v.lens[i]) : -1)
                : find(type.toLong(v, i, what));
        return k + 1L;
    }

    /** Adds value {@code i} of a page (while fitting) and counts it. */
    void count(Values v, int i, ColumnType type, String what, long times) {
        int k = binary ? add(v.bytes, v.starts[i], v.lens[i]) : add(type.toLong(v, i, what));
        counts[k] += times;
    }
}
