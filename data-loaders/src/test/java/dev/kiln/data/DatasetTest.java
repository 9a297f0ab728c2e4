package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DatasetTest extends KilnTest {
    /** A dataset whose sample i is i itself, to check index plumbing without tensors. */
    record Range(long size) implements Dataset<Long> {
        @Override
        public Long get(long index) {
            Dataset.checkIndex(index, size);
            return index;
        }
    }

    @Test
    void tensorDatasetReturnsRowViewsWithoutCopying() {
        Tensor x = Tensor.arange(12).reshape(4, 3);
        Tensor y = Tensor.of(10L, 11L, 12L, 13L);
        var ds = new TensorDataset(x, y);
        assertEquals(4, ds.size());
        List<Tensor> row = ds.get(2);
        assertArrayEquals(new float[] {6, 7, 8}, row.get(0).toFloatArray());
        assertEquals(12, row.get(1).item());
        assertEquals(x.dataAddress() + 6L * x.dtype().byteSize(), row.get(0).dataAddress(), "a view, not a copy");
        assertThrows(IndexOutOfBoundsException.class, () -> ds.get(4));
    }

    @Test
    void tensorDatasetRejectsMismatchedFirstDims() {
        Tensor x = Tensor.zeros(4, 3);
        Tensor y = Tensor.zeros(5);
        var e = assertThrows(IllegalArgumentException.class, () -> new TensorDataset(x, y));
        assertTrue(e.getMessage().contains("[4, 3]") && e.getMessage().contains("[5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.scalar(1)));
        assertThrows(IllegalArgumentException.class, TensorDataset::new);
    }

    @Test
    void subsetMapsIndicesAndChecksThem() {
        var s = new Subset<>(new Range(10), new long[] {7, 2, 5});
        assertEquals(3, s.size());
        assertEquals(2L, s.get(1));
        assertThrows(IndexOutOfBoundsException.class, () -> s.get(3));
        assertThrows(IndexOutOfBoundsException.class, () -> new Subset<>(new Range(3), new long[] {3}));
    }

    @Test
    void concatDatasetFindsThePartAndSkipsEmptyOnes() {
        var c = new ConcatDataset<Long>(List.of(new Range(2), new Range(0), new Range(3)));
        assertEquals(5, c.size());
        long[] got = new long[5];
        for (int i = 0; i < 5; i++) {
            got[i] = c.get(i);
        }
        assertArrayEquals(new long[] {0, 1, 0, 1, 2}, got);
        assertEquals(2L, c.get(-1));
        assertArrayEquals(new long[] {2, 2, 5}, c.cumulativeSizes());
        assertThrows(IndexOutOfBoundsException.class, () -> c.get(5));
        assertThrows(IllegalArgumentException.class, () -> new ConcatDataset<Long>(List.of()));
    }

    @Test
    void randomSplitByLengthsIsADisjointCoverAndSeeded() {
        var parts = Datasets.randomSplit(new Range(10), new long[] {3, 7}, new Generator(42));
        Set<Long> seen = new HashSet<>();
        for (var p : parts) {
            for (long i = 0; i < p.size(); i++) {
                assertTrue(seen.add(p.get(i)), "index drawn twice");
            }
        }
        assertEquals(10, seen.size());
        var again = Datasets.randomSplit(new Range(10), new long[] {3, 7}, new Generator(42));
        assertArrayEquals(parts.get(0).indices(), again.get(0).indices());
        var other = Datasets.randomSplit(new Range(10), new long[] {3, 7}, new Generator(43));
        assertNotEquals(List.of(parts.get(1).indices()), List.of(other.get(1).indices()));
    }

    @Test
    void randomSplitByFractionsFollowsPyTorchRounding() {
        // torch: random_split(range(10), [0.33, 0.33, 0.34]) -> floor gives 3, 3, 3; remainder 1 goes to part 0.
        assertArrayEquals(new long[] {4, 3, 3}, Datasets.lengthsOf(new double[] {0.33, 0.33, 0.34}, 10));
        assertArrayEquals(new long[] {8, 2}, Datasets.lengthsOf(new double[] {0.8, 0.2}, 10));
        var parts = Datasets.randomSplit(new Range(5), new double[] {0.5, 0.5}, new Generator(0));
        assertEquals(3, parts.get(0).size());
        assertEquals(2, parts.get(1).size());
    }

    @Test
    void randomSplitRejectsBadInput() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Datasets.randomSplit(new Range(10), new long[] {3, 6}, new Generator(0)));
        assertTrue(e.getMessage().contains("does not equal the length"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Datasets.randomSplit(new Range(10), new double[] {0.5, 0.6}, new Generator(0)));
        assertThrows(IllegalArgumentException.class,
                () -> Datasets.randomSplit(new Range(10), new double[] {1.5, -0.5}, new Generator(0)));
    }
}
