package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.examples.cli.Cli;
import dev.kiln.examples.cli.Flags;
import dev.kiln.examples.cli.Flags.Kind;
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
 * <p>Run: {@code ./kiln fit-curve [--steps N]}
 */
public final class FitCurve {
    private FitCurve() {
    }

    static Flags flags() {
        return new Flags("FitCurve", "Fits a 1-32-1 tanh MLP to y = sin(x) on [-3, 3] with MSELoss and Adam.")
                .add("steps", Kind.POSITIVE_INT, "1000", "optimizer steps")
                .add("lr", Kind.POSITIVE_DOUBLE, "LR", "0.01", "Adam's learning rate")
                .add("seed", Kind.LONG, "S", "0", "random seed")
                .positional("steps");
    }

    public static void main(String[] args) {
        Cli.main(flags(), args, a -> fit(a.integer("steps"), a.number("lr"), a.longValue("seed")));
    }

    /** Returns the final mean squared error. */
    static double fit(int steps, double lr, long seed) {
        Kiln.manualSeed(seed);
        try (Tensor x = Tensor.linspace(-3, 3, 256).unsqueeze(1);
             Tensor y = x.sin();
             Sequential model = new Sequential(new Linear(1, 32), new Tanh(), new Linear(32, 1));
             MSELoss criterion = new MSELoss();
             Adam optimizer = new Adam(model.parameters(), lr)) {
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
            return loss;
        }
    }
}
