package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Locale;

/**
 * The smallest end-to-end Kiln program: a two-layer network fit to y = sin(x) with autograd and plain gradient
 * descent, one {@link TensorScope} per step so every intermediate is freed deterministically.
 *
 * <p>Run: {@code ./mvnw -B -q install -DskipTests && ./mvnw -B -q -pl examples exec:java}
 */
public final class FitCurve {
    private FitCurve() {
    }

    public static void main(String[] args) {
        Kiln.manualSeed(0);
        int hidden = 32;
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        double lr = 0.05;
        try (Tensor x = Tensor.linspace(-3, 3, 256).unsqueeze(1);
             Tensor y = x.sin();
             Tensor w1 = Tensor.randn(1, hidden).mul(1.0).requiresGrad_(true);
             Tensor b1 = Tensor.zeros(hidden).requiresGrad_(true);
             Tensor w2 = Tensor.randn(hidden, 1).mul(1.0 / Math.sqrt(hidden)).requiresGrad_(true);
             Tensor b2 = Tensor.zeros(1).requiresGrad_(true)) {
            Tensor[] params = {w1, b1, w2, b2};
            double loss = Double.NaN;
            for (int step = 1; step <= steps; step++) {
                try (TensorScope scope = TensorScope.open()) {
                    Tensor pred = x.matmul(w1).add(b1).tanh().matmul(w2).add(b2);
                    Tensor mse = pred.sub(y).pow(2).mean();
                    mse.backward();
                    loss = mse.item();
                    try (var g = Autograd.noGrad()) {
                        for (Tensor p : params) {
                            p.sub_(p.grad().mul(lr));
                            p.grad().zero_();
                        }
                    }
                }
                if (step % (steps / 10) == 0) {
                    System.out.printf(Locale.ROOT, "step %5d  mse %.6f%n", step, loss);
                }
            }
            System.out.printf(Locale.ROOT, "final mse %.6f (a tanh MLP fit to sin(x) on [-3, 3])%n", loss);
        }
    }
}
