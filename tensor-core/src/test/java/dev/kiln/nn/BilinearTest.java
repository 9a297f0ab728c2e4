package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.autograd.GradCheck;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bilinear against the defining double sum, gradcheck, and PyTorch's printout. */
class BilinearTest extends KilnTest {

    @Test
    void matchesTheDefiningSumAndGradchecks() {
        try (Bilinear m = new Bilinear(3, 4, 2)) {
            m.to(DType.FLOAT64);
            Generator g = new Generator(3);
            Tensor x1 = Tensor.randn(new long[] {5, 3}, DType.FLOAT64, g).requiresGrad_(true);
            Tensor x2 = Tensor.randn(new long[] {5, 4}, DType.FLOAT64, g).requiresGrad_(true);
            Tensor y = m.forward(x1, x2);
            Tensor w = m.parameters().get(0);
            Tensor b = m.parameters().get(1);
            for (int n = 0; n < 5; n++) {
                for (int o = 0; o < 2; o++) {
                    double ref = b.get(o);
                    for (int i = 0; i < 3; i++) {
                        for (int j = 0; j < 4; j++) {
                            ref += x1.get(n, i) * w.get(o, i, j) * x2.get(n, j);
                        }
                    }
                    assertEquals(ref, y.get(n, o), 1e-12);
                }
            }
            GradCheck.check(in -> m.forward(in.get(0), in.get(1)), List.of(x1, x2));
            GradCheck.check(in -> m.forward(x1, x2), List.of(w, b));
            assertEquals("Bilinear(in1_features=3, in2_features=4, out_features=2, bias=True)", m.toString());
        }
    }
}
