package dev.kiln.nn.utils;

import static dev.kiln.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * clip_grad_norm_ against real PyTorch 1.13 ({@code src/test/python/gen_clip_torch.py}): norm types 2, 1, 3, 0.5,
 * inf, -inf and 0; float64 and float32 gradients; max_norm below and above the total; a parameter without a
 * gradient in the middle.
 */
class ClipGradTorchTest extends KilnTest {
    private static final Golden REF = Golden.load("/dev/kiln/nn/clip_torch.txt", "gen_clip_torch.py");

    static Stream<Arguments> cases() {
        return Stream.of("f64", "f32").flatMap(d -> Stream.of(1.5, 1000.0).flatMap(m -> Stream.of(
                "2", "1", "3", "0.5", "inf", "-inf", "0").map(p -> Arguments.of(d, m, p))));
    }

    private static Tensor param(String key, DType dtype) {
        Tensor g = REF.tensor(key, dtype);
        Tensor p = TensorScope.detach(Tensor.zerosLike(g)).requiresGrad_(true);
        p.setGrad(TensorScope.detach(g));
        return p;
    }

    @ParameterizedTest(name = "{0} max_norm={1} p={2}")
    @MethodSource("cases")
    void matchesPyTorch(String dtypeName, double maxNorm, String p) {
        DType dtype = dtypeName.equals("f64") ? DType.FLOAT64 : DType.FLOAT32;
        double tol = dtype == DType.FLOAT64 ? 1e-12 : 2e-6;
        double normType = switch (p) {
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(p);
        };
        Tensor a = param("g1", dtype);
        Tensor none = TensorScope.detach(Tensor.ones(dtype, 2)).requiresGrad_(true);
        Tensor b = param("g3", dtype);
        try (a; none; b) {
            Tensor total = ClipGrad.clipGradNorm_(List.of(a, none, b), maxNorm, normType, false);
            String key = "clip." + dtypeName + "." + maxNorm + "." + p;
            assertEquals(dtype, total.dtype());
            assertClose(total, tol, REF.values(key + ".total"));
            assertClose(a.grad(), tol, REF.values(key + ".g1"));
            assertClose(b.grad(), tol, REF.values(key + ".g3"));
            assertEquals(null, none.grad());
        }
    }
}
