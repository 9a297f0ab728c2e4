package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every misuse fails fast with a message that names the shapes, dims or values at fault (PyTorch's text). */
class BadInputTest extends KilnTest {

    private static String fails(Executable e) {
        return assertThrows(RuntimeException.class, e).getMessage();
    }

    private static void contains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), () -> "message <" + message + "> lacks <" + p + ">");
        }
    }

    @Test
    void nonBroadcastableShapes() {
        Tensor a = Tensor.zeros(2, 3);
        String expected = "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1";
        assertEquals(expected, fails(() -> a.add(Tensor.zeros(2))));
        assertEquals(expected, fails(() -> a.mul(Tensor.zeros(2, 2))));
        contains(fails(() -> Tensor.where(Tensor.of(true, false, true), a, Tensor.zeros(2))), "must match");
        contains(fails(() -> a.maskedFill(Tensor.of(true, false), 1)), "(3)", "(2)");
    }

    @Test
    void dimsOutOfRangeButNegativeDimsAllowed() {
        Tensor x = Tensor.zeros(2, 3);
        assertEquals(3, x.sum(-1).numel() + 1);
        assertEquals(3, x.size(-1));
        String m = "Dimension out of range (expected to be in range of [-2, 1], but got ";
        assertEquals(m + "2)", fails(() -> x.sum(2)));
        assertEquals(m + "-3)", fails(() -> x.softmax(-3)));
        assertEquals(m + "2)", fails(() -> x.transpose(0, 2)));
        assertEquals(m + "5)", fails(() -> x.size(5)));
        contains(fails(() -> x.mean(new long[] {0, -2}, false)), "dim 0 appears multiple times");
        contains(fails(() -> x.unsqueeze(3)), "[-3, 2]", "got 3");
        contains(fails(() -> x.select(1, 3)), "index 3 out of range", "[2, 3]", "dimension 1");
        contains(fails(() -> x.narrow(1, 2, 2)), "start (2) + length (2) exceeds dimension size (3)");
        contains(fails(() -> x.permute(0)), "input.dim() = 2", "len(dims) = 1");
        contains(fails(() -> x.permute(0, 0)), "duplicate dims");
        contains(fails(() -> x.get(2, 0)), "index 2 is out of bounds for dimension 0 with size 2");
    }

    @Test
    void viewNeedingACopy() {
        Tensor t = Tensor.zeros(2, 3).t();
        contains(fails(() -> t.view(6)), "view size is not compatible with input tensor's size and stride",
                "Use .reshape(...) instead", "[3, 2]");
    }

    @Test
    void invalidShapes() {
        Tensor x = Tensor.zeros(2, 3);
        assertEquals("shape '[4]' is invalid for input of size 6", fails(() -> x.view(4)));
        assertEquals("shape '[-1, 4]' is invalid for input of size 6", fails(() -> x.reshape(-1, 4)));
        assertEquals("only one dimension can be inferred", fails(() -> x.view(-1, -1)));
        contains(fails(() -> x.expand(3, 3)), "The expanded size of the tensor (3) must match the existing size (2) "
                + "at non-singleton dimension 0");
        contains(fails(() -> Tensor.zeros(2, -1)), "negative dimension -1");
        contains(fails(() -> x.t().t().flatten(1, 0)), "start_dim", "end_dim");
    }

    @Test
    void itemOnManyElements() {
        Tensor x = Tensor.zeros(2, 3);
        contains(fails(x::item), "a Tensor with 6 elements cannot be converted to Scalar", "[2, 3]");
        assertEquals(0, Tensor.zeros(1, 1).item());
    }

    @Test
    void matmulShapes() {
        contains(fails(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5))),
                "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
        contains(fails(() -> Tensor.zeros(3).matmul(Tensor.zeros(4))), "cannot be multiplied", "[3]", "[4]");
        contains(fails(() -> Tensor.scalar(1).matmul(Tensor.zeros(4))), "at least 1D", "0D");
        contains(fails(() -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(3, 3, 4))), "The size of tensor a (2)",
                "(3)");
        contains(fails(() -> Tensor.zeros(3).mm(Tensor.zeros(3, 2))), "mm", "[3]", "[3, 2]");
    }

    @Test
    void dtypeMisuse() {
        contains(fails(() -> Tensor.of(1L, 2L).mean()), "mean(): could not infer output dtype", "Long");
        contains(fails(() -> Tensor.of(1L, 2L).requiresGrad_(true)), "floating point", "torch.int64");
        contains(fails(() -> Tensor.where(Tensor.of(1L, 0L), Tensor.zeros(2), Tensor.zeros(2))), "boolean",
                "torch.int64");
        contains(fails(() -> Tensor.zeros(2).maskedFill(Tensor.of(1L, 0L), 1)), "boolean masks", "torch.int64");
        contains(fails(() -> Tensor.zeros(2).clamp(1, 0)), "min (1.0) must be <= max (0.0)");
    }

    @Test
    void inPlaceCannotBroadcastSelf() {
        Tensor a = Tensor.zeros(3);
        contains(fails(() -> a.add_(Tensor.zeros(2, 3))), "output with shape [3] doesn't match the broadcast shape "
                + "[2, 3]");
        // PyTorch's copy_ reports the broadcast failure itself.
        assertEquals("The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0",
                fails(() -> a.copy_(Tensor.zeros(2))));
        contains(fails(() -> a.copy_(Tensor.zeros(2, 3))), "[2, 3]", "[3]");
    }

    @Test
    void badGradients() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor y = x.mul(2);
        contains(fails(() -> y.backward(Tensor.zeros(3))), "Mismatch in shape", "[3]", "[2]");
        contains(fails(() -> x.setGrad(Tensor.zeros(3))), "different size", "[3]", "[2]");
        contains(fails(() -> Tensor.zeros(2).sum().backward()), "does not require grad");
    }

    @Test
    void useAfterClose() {
        Tensor t = Tensor.zeros(2, 3);
        t.close();
        String m = fails(() -> t.add(1));
        contains(m, "[2, 3]", "already released");
        contains(fails(t::item), "already released");
        contains(fails(() -> t.get(0, 0)), "already released");
        contains(fails(t::toDoubleArray), "already released");
        contains(fails(() -> t.view(6)), "already released");
        contains(fails(t::sum), "already released");
        contains(fails(() -> t.matmul(Tensor.zeros(3))), "already released");
        t.close(); // idempotent
    }

    @Test
    void useAfterScopeClosed() {
        Tensor t;
        try (TensorScope s = TensorScope.open()) {
            t = Tensor.ones(4);
        }
        assertTrue(t.isClosed());
        contains(fails(() -> t.mul(2)), "[4]", "after close() or after its TensorScope closed");
        contains(fails(t::dataAddress), "already released");
    }
}
