package dev.kiln.ops;

import static dev.kiln.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValuesIndices;
import dev.kiln.testing.KilnTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Forward values of convolution and pooling against numpy float64 loop implementations of PyTorch's formulas
 * ({@code src/test/python/gen_conv_references.py}), in float64 and float32.
 */
class ConvReferenceTest extends KilnTest {
    private static final Map<String, String[]> REF = load();

    private static Map<String, String[]> load() {
        Map<String, String[]> lines = new HashMap<>();
        try (var in = ConvReferenceTest.class.getResourceAsStream("conv_references.txt");
             var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            reader.lines().map(l -> l.split(" ")).forEach(f -> lines.put(f[0] + " " + f[1], f));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    private static Tensor ref(String key, DType dtype) {
        String[] f = REF.get(key);
        long[] shape = Arrays.stream(f[3].split(",")).mapToLong(Long::parseLong).toArray();
        double[] values = Arrays.stream(Arrays.copyOfRange(f, 4, f.length)).mapToDouble(Double::parseDouble).toArray();
        return Tensor.of(values).view(shape).to(dtype);
    }

    private static void assertRef(Tensor actual, String key, DType dtype) {
        Tensor expected = ref(key, DType.FLOAT64);
        assertArrayEquals(expected.shape(), actual.shape(), key + " shape");
        assertClose(actual, dtype == DType.FLOAT64 ? 1e-10 : 1e-4, expected.toDoubleArray());
    }

    private static final DType[] BOTH = {DType.FLOAT64, DType.FLOAT32};

    @Test
    void conv2dStridedPaddedDilated() {
        for (DType t : BOTH) {
            Tensor y = F.conv2d(ref("conv2d_strided input", t), ref("conv2d_strided weight", t),
                    ref("conv2d_strided bias", t), new long[] {2, 1}, new long[] {1, 2}, new long[] {1, 2}, 1);
            assertRef(y, "conv2d_strided expected", t);
        }
    }

    @Test
    void conv2dGroups() {
        for (DType t : BOTH) {
            Tensor y = F.conv2d(ref("conv2d_groups input", t), ref("conv2d_groups weight", t),
                    ref("conv2d_groups bias", t), new long[] {1}, new long[] {2}, new long[] {2}, 2);
            assertRef(y, "conv2d_groups expected", t);
        }
    }

    @Test
    void conv2dSamePaddingWithEvenKernel() {
        for (DType t : BOTH) {
            Tensor y = F.conv2d(ref("conv2d_same input", t), ref("conv2d_same weight", t), null, new long[] {1},
                    "same", new long[] {1}, 1);
            assertRef(y, "conv2d_same expected", t);
        }
    }

    @Test
    void conv2dUnbatchedMatchesBatched() {
        Tensor x = ref("conv2d_groups input", DType.FLOAT64).select(0, 1);
        Tensor y = F.conv2d(x, ref("conv2d_groups weight", DType.FLOAT64), ref("conv2d_groups bias", DType.FLOAT64),
                new long[] {1}, new long[] {2}, new long[] {2}, 2);
        assertClose(y, 1e-10, ref("conv2d_groups expected", DType.FLOAT64).select(0, 1).contiguous().toDoubleArray());
    }

    @Test
    void conv1d() {
        for (DType t : BOTH) {
            Tensor y = F.conv1d(ref("conv1d input", t), ref("conv1d weight", t), ref("conv1d bias", t),
                    new long[] {2}, new long[] {1}, new long[] {2}, 1);
            assertRef(y, "conv1d expected", t);
        }
    }

    @Test
    void convTranspose2d() {
        for (DType t : BOTH) {
            Tensor y = F.convTranspose2d(ref("conv_transpose2d input", t), ref("conv_transpose2d weight", t),
                    ref("conv_transpose2d bias", t), new long[] {2}, new long[] {1}, new long[] {1}, 2,
                    new long[] {1, 2});
            assertRef(y, "conv_transpose2d expected", t);
        }
    }

    @Test
    void maxPool2dValuesAndIndices() {
        for (DType t : BOTH) {
            ValuesIndices r = F.maxPool2dWithIndices(ref("max_pool2d input", t), new long[] {3, 2}, new long[] {2},
                    new long[] {1}, new long[] {1, 2}, true);
            assertRef(r.values(), "max_pool2d expected", t);
            assertArrayEquals(Arrays.stream(ref("max_pool2d indices", DType.FLOAT64).toDoubleArray())
                    .mapToLong(v -> (long) v).toArray(), r.indices().toLongArray());
        }
    }

    /** MaxPool2d(2): float32 takes the 2x2 fast path in floor mode, the generic path in ceil mode (odd width). */
    @Test
    void maxPool2d2x2FastPathValuesIndicesAndGradient() {
        for (DType t : BOTH) {
            Tensor x = ref("max_pool2d_2x2 input", t).requiresGrad_(true);
            ValuesIndices r = F.maxPool2dWithIndices(x, new long[] {2}, new long[] {}, new long[] {0}, new long[] {1},
                    false);
            assertRef(r.values(), "max_pool2d_2x2 expected", t);
            assertArrayEquals(longs(ref("max_pool2d_2x2 indices", DType.FLOAT64)), r.indices().toLongArray());
            r.values().backward(ref("max_pool2d_2x2 grad", t));
            assertRef(x.grad(), "max_pool2d_2x2 grad_input", t);
            ValuesIndices c = F.maxPool2dWithIndices(x, new long[] {2}, new long[] {}, new long[] {0}, new long[] {1},
                    true);
            assertRef(c.values(), "max_pool2d_2x2 ceil_expected", t);
            assertArrayEquals(longs(ref("max_pool2d_2x2 ceil_indices", DType.FLOAT64)), c.indices().toLongArray());
        }
    }

    private static long[] longs(Tensor t) {
        return Arrays.stream(t.toDoubleArray()).mapToLong(v -> (long) v).toArray();
    }

    @Test
    void avgPool2dCountIncludePadBothWays() {
        for (DType t : BOTH) {
            Tensor x = ref("avg_pool2d input", t);
            assertRef(F.avgPool2d(x, new long[] {3}, new long[] {2}, new long[] {1}, true, true),
                    "avg_pool2d include_pad", t);
            assertRef(F.avgPool2d(x, new long[] {3}, new long[] {2}, new long[] {1}, true, false),
                    "avg_pool2d exclude_pad", t);
        }
    }

    @Test
    void adaptiveAvgPool2d() {
        for (DType t : BOTH) {
            assertRef(F.adaptiveAvgPool2d(ref("adaptive_avg_pool2d input", t), 3, 2), "adaptive_avg_pool2d expected", t);
        }
    }
}
