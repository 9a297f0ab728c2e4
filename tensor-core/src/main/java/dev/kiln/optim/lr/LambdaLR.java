package dev.kiln.optim.lr;

import dev.kiln.optim.Optimizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/**
 * Sets each group's lr to {@code base_lr * lambda(epoch)}, like {@code torch.optim.lr_scheduler.LambdaLR}; one
 * function for all groups or one per group. The functions are code, so they are not part of the state dict.
 */
public class LambdaLR extends LRScheduler {
    private final List<IntToDoubleFunction> lambdas;

    public LambdaLR(Optimizer optimizer, IntToDoubleFunction lambda) {
        this(optimizer, nCopies(lambda, optimizer.paramGroups().size()), -1);
    }

    public LambdaLR(Optimizer optimizer, List<IntToDoubleFunction> lambdas, int lastEpoch) {
        super(optimizer, lastEpoch);
        if (lambdas.size() != optimizer.paramGroups().size()) {
            throw new IllegalArgumentException("Expected " + optimizer.paramGroups().size() + " lr_lambdas, but got "
                    + lambdas.size());
        }
        this.lambdas = List.copyOf(lambdas);
        initialStep();
    }

    private static List<IntToDoubleFunction> nCopies(IntToDoubleFunction f, int n) {
        List<IntToDoubleFunction> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(f);
        }
        return out;
    }

    @Override
    protected double[] computeLr() {
        double[] out = new double[numGroups()];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs.get(i) * lambdas.get(i).applyAsDouble(lastEpoch);
        }
        return out;
    }
}
