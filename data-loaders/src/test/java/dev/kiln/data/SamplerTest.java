package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.testing.KilnTest;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest extends KilnTest {
    @Test
    void sequentialSamplerCountsUp() {
        assertArrayEquals(new long[] {0, 1, 2, 3}, new SequentialSampler(4).indices());
        assertEquals(4, new SequentialSampler(4).length());
    }

    @Test
    void randomSamplerDrawsANewSeededPermutationEachEpoch() {
        var a = new RandomSampler(20, 7);
        var b = new RandomSampler(20, 7);
        long[] e1 = a.indices();
        long[] e2 = a.indices();
        assertArrayEquals(e1, b.indices(), "same seed, same first epoch");
        assertArrayEquals(e2, b.indices(), "same seed, same second epoch");
        assertFalse(Arrays.equals(e1, e2), "epochs differ");
        long[] sorted = e1.clone();
        Arrays.sort(sorted);
        assertArrayEquals(Permutations.range(20), sorted, "a permutation");
    }

    @Test
    void randomSamplerWithReplacementDrawsNumSamples() {
        var s = new RandomSampler(3, true, 50, new dev.kiln.tensor.Generator(1));
        long[] idx = s.indices();
        assertEquals(50, idx.length);
        assertEquals(50, s.length());
        assertFalse(Arrays.stream(idx).anyMatch(i -> i < 0 || i >= 3));
        assertThrows(IllegalArgumentException.class, () -> new RandomSampler(3, false, 5, new dev.kiln.tensor.Generator(1)));
    }

    @Test
    void distributedSamplerPadsByRepeatingTheHeadLikePyTorch() {
        // torch: DistributedSampler(range(10), num_replicas=4, rank=r, shuffle=False) ->
        // r0 [0, 4, 8], r1 [1, 5, 9], r2 [2, 6, 0], r3 [3, 7, 1]
        long[][] expected = {{0, 4, 8}, {1, 5, 9}, {2, 6, 0}, {3, 7, 1}};
        for (int r = 0; r < 4; r++) {
            var s = new DistributedSampler(10, r, 4, false, 0, false);
            assertEquals(3, s.length());
            assertArrayEquals(expected[r], s.indices(), "rank " + r);
        }
    }

    @Test
    void distributedSamplerPadsRepeatedlyWhenNIsSmallerThanTheWorld() {
        // torch: len 2, 5 replicas: padded list [0, 1, 0, 1, 0]; each rank gets one.
        long[] got = new long[5];
        for (int r = 0; r < 5; r++) {
            got[r] = new DistributedSampler(2, r, 5, false, 0, false).indices()[0];
        }
        assertArrayEquals(new long[] {0, 1, 0, 1, 0}, got);
    }

    @Test
    void distributedSamplerDropLastDropsTheTail() {
        // torch: len 10, 4 replicas, drop_last -> num_samples 2, total 8: r0 [0, 4], r3 [3, 7]
        var s0 = new DistributedSampler(10, 0, 4, false, 0, true);
        assertEquals(2, s0.length());
        assertArrayEquals(new long[] {0, 4}, s0.indices());
        assertArrayEquals(new long[] {3, 7}, new DistributedSampler(10, 3, 4, false, 0, true).indices());
    }

    @Test
    void distributedShuffleIsDisjointAgreedOnAndChangesWithEpoch() {
        int world = 3;
        long n = 12;
        List<long[]> epoch0 = shares(n, world, 0);
        Set<Long> union = new HashSet<>();
        for (long[] share : epoch0) {
            for (long i : share) {
                union.add(i);
            }
        }
        assertEquals(n, union.size(), "disjoint cover when world divides N");
        assertArrayEquals(epoch0.get(1), shares(n, world, 0).get(1), "deterministic for a given epoch");
        assertFalse(Arrays.equals(epoch0.get(1), shares(n, world, 1).get(1)), "setEpoch reshuffles");
    }

    private static List<long[]> shares(long n, int world, long epoch) {
        long[][] out = new long[world][];
        for (int r = 0; r < world; r++) {
            var s = new DistributedSampler(n, r, world, true, 123, false);
            s.setEpoch(epoch);
            out[r] = s.indices();
        }
        return List.of(out);
    }

    @Test
    void distributedSamplerRejectsBadRank() {
        assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(10, 4, 4, false, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new DistributedSampler(10, 0, 0, false, 0, false));
    }

    @Test
    void batchSamplerKeepsOrDropsTheShortTail() {
        var keep = new BatchSampler(new SequentialSampler(5), 2, false);
        assertEquals(3, keep.length());
        List<long[]> b = keep.batches();
        assertArrayEquals(new long[] {4}, b.get(2));
        var drop = new BatchSampler(new SequentialSampler(5), 2, true);
        assertEquals(2, drop.length());
        assertEquals(2, drop.batches().size());
        assertThrows(IllegalArgumentException.class, () -> new BatchSampler(new SequentialSampler(5), 0, false));
    }
}
