package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MSELoss;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Tanh;
import dev.kiln.optim.Adam;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Locale;

/**
 * The smallest end-to-end Kiln program, written as the PyTorch loop it mirrors: a small MLP fit to y = sin(x)
 * with {@code nn}, a loss, and Adam. One {@link TensorScope} per step frees every intermediate of the step.
 *
 * <p>Run: {@code ./mvnw -B -q install -DskipTests && ./mvnw -B -q -pl examples exec:java}
 */
public final class FitCurve {
    private FitCurve() {
    }

    public static void main(String[] args) {
        Kiln.manualSeed(0);
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        try (Tensor x = Tensor.linspace(-3, 3, 256).unsqueeze(1);
             Tensor y = x.sin();
             Sequential model = new Sequential(new Linear(1, 32), new Tanh(), new Linear(32, 1));
             MSELoss criterion = new MSELoss();
             Adam optimizer = new Adam(model.parameters(), 0.01)) {
            System.out.println(model);
            double loss = Double.NaN;
            for (int step = 1; step <= steps; step++) {
                try (TensorScope scope = TensorScope.open()) {
                    optimizer.zeroGrad();
                    Tensor l = criterion.forward(model.forward(x), y);
                    l.backward();
                    optimizer.step();
                    loss = l.item();
                }
                if (step % Math.max(1, steps / 10) == 0) {
                    System.out.printf(Locale.ROOT, "step %5d  mse %.6f%n", step, loss);
                }
            }
            System.out.printf(Locale.ROOT, "final mse %.6f (MLP fit to sin(x) on [-3, 3])%n", loss);
        }
    }
}
