package dev.kiln.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fast sum paths (contiguous rows, outer-dim columns, generic strided) agree with a double-precision loop. */
class ReduceKernelTest extends KilnTest {

    @ParameterizedTest
    @CsvSource({"FLOAT32, 0", "FLOAT32, 1", "FLOAT64, 0", "FLOAT64, 1"})
    void sumAlongEitherDimMatchesReference(DType dtype, int dim) {
        long rows = 300;
        long cols = 257; // odd sizes exercise the unrolled loops' tails; large enough to run in parallel
        Tensor x = Tensor.randn(new long[] {rows, cols}, dtype, new Generator(7));
        double[] v = x.toDoubleArray();
        Tensor s = x.sum(dim);
        double[] got = s.toDoubleArray();
        long outer = dim == 0 ? cols : rows;
        long inner = dim == 0 ? rows : cols;
        for (int o = 0; o < outer; o++) {
            double ref = 0;
            for (int i = 0; i < inner; i++) {
                ref += dim == 0 ? v[(int) (i * cols + o)] : v[(int) (o * cols + i)];
            }
            assertEquals(ref, got[o], dtype == DType.FLOAT32 ? 1e-4 : 1e-10, "output " + o);
        }
        // A transposed (non-contiguous) input takes the generic path and must agree too.
        Tensor t = x.t().sum(1 - dim);
        assertEquals(got.length, t.numel());
        double[] tv = t.toDoubleArray();
        for (int o = 0; o < outer; o++) {
            assertEquals(got[o], tv[o], dtype == DType.FLOAT32 ? 1e-4 : 1e-10);
        }
    }
}
