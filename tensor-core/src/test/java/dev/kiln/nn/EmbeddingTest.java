package dev.kiln.nn;

import static dev.kiln.testing.Assertions.assertClose;
import static dev.kiln.testing.Assertions.assertShape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.autograd.GradCheck;
import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import java.util.List;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;

class EmbeddingTest extends KilnTest {

    @Test
    void lookupCopiesRowsForAnyIndexShape() {
        Tensor w = Tensor.of(new double[][] {{0, 0}, {1, 2}, {3, 4}, {5, 6}});
        Tensor out = F.embedding(Tensor.of(new long[] {3, 1, 1, 2}).reshape(2, 2), w);
        assertShape(out, 2, 2, 2);
        assertClose(out, 0, 5, 6, 1, 2, 1, 2, 3, 4);
        assertClose(F.embedding(Tensor.of(2, 0), w), 0, 3, 4, 0, 0); // int32 indices work too
        assertShape(F.embedding(Tensor.of(1L).reshape(), w), 2);
    }

    @Test
    void initIsStandardNormalWithZeroPaddingRow() {
        Kiln.manualSeed(1);
        try (var emb = new Embedding(1000, 20, 0L)) {
            Tensor w = emb.weight();
            assertEquals(0, w.select(0, 0).abs().sum().item());
            Tensor rest = w.narrow(0, 1, 999);
            assertEquals(0, rest.mean().item(), 0.02);
            assertEquals(1, rest.var().item(), 0.03);
            assertEquals(List.of("weight"), List.copyOf(emb.stateDict().keySet()));
            assertEquals("Embedding(1000, 20, padding_idx=0)", emb.toString());
        }
        try (var emb = new Embedding(10, 3, -1L)) {
            assertEquals(9L, emb.paddingIdx());
            assertEquals("Embedding(10, 3, padding_idx=9)", emb.toString());
        }
        try (var emb = new Embedding(10, 3)) {
            assertEquals("Embedding(10, 3)", emb.toString());
        }
    }

    @Test
    void gradientAccumulatesRepeatsAndSkipsPadding() {
        try (var emb = new Embedding(4, 2, 1L, DType.FLOAT64)) {
            Tensor idx = Tensor.of(new long[] {1, 2, 2, 3, 1});
            Tensor out = emb.forward(idx);
            assertClose(out.select(0, 0), 0, 0, 0);
            out.sum().backward();
            assertClose(emb.weight().grad(), 0, 0, 0, 0, 0, 2, 2, 1, 1);
        }
        Tensor w = Tensor.randn(new long[] {5, 3}, DType.FLOAT64, new Generator(2)).requiresGrad_(true);
        GradCheck.check(in -> F.embedding(Tensor.of(new long[] {4, 0, 4, 2}).reshape(2, 2), in.get(0)), List.of(w));
        // NOTE: no gradcheck with a padding index that occurs in the input: the padding row's analytic gradient is
        // zero by design while finite differences see the row; the explicit check above covers it.
        GradCheck.check(in -> F.embedding(Tensor.of(new long[] {4, 1, 3}), in.get(0), 0L), List.of(w));
    }

    @Test
    void badInput() {
        try (var emb = new Embedding(10, 3)) {
            var e = assertThrows(IndexOutOfBoundsException.class, () -> emb.forward(Tensor.of(new long[] {1, 10})));
            assertTrue(e.getMessage().startsWith("index out of range in self"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> emb.forward(Tensor.of(new long[] {-1})));
            var e2 = assertThrows(IllegalArgumentException.class, () -> emb.forward(Tensor.of(1.0, 2.0)));
            assertEquals("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
                    + "Int; but got torch.float64 instead (while checking arguments for embedding)", e2.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> new Embedding(10, 3, 10L));
        assertEquals("Padding_idx must be within num_embeddings", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Embedding(10, 3, -11L));
    }
}
