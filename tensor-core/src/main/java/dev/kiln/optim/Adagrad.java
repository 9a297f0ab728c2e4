package dev.kiln.optim;

import dev.kiln.tensor.Tensor;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adagrad (Duchi et al. 2011), like {@code torch.optim.Adagrad}, following PyTorch's documented algorithm. With
 * {@code g} the gradient (negated when {@code maximize}) and {@code t} the parameter's step count:
 * <pre>
 * clr = lr / (1 + (t - 1) * lr_decay)
 * g = g + weight_decay * p                      if weight_decay != 0
 * sum = sum + g^2                               (sum starts at initial_accumulator_value)
 * p = p - clr * g / (sqrt(sum) + eps)
 * </pre>
 * State per parameter: {@code step} and {@code sum}, PyTorch's names. PyTorch fills {@code sum} when the optimizer
 * is built; here it is made on the parameter's first step, which gives the same updates.
 *
 * <p>NOTE: {@code sum} starts at the optimizer's (constructor) {@code initial_accumulator_value} for every group,
 * as in PyTorch 1.13 (its constructor fills the state before groups are consulted), so a param group's own
 * {@code initial_accumulator_value} has no effect; checked against PyTorch by {@code OptimTorchTest}.
 */
public class Adagrad extends Optimizer {
    private final double initialAccumulatorValue;

    /** Defaults: {@code lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=false}. */
    public static Options options() {
        LinkedHashMap<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-2);
        d.put("lr_decay", 0.0);
        d.put("weight_decay", 0.0);
        d.put("initial_accumulator_value", 0.0);
        d.put("eps", 1e-10);
        d.put("maximize", false);
        return new Options("Adagrad", d);
    }

    public Adagrad(Collection<Tensor> params, double lr) {
        this(params, options().lr(lr));
    }

    public Adagrad(Collection<Tensor> params, Options options) {
        this(oneGroup(params), options);
    }

    public Adagrad(List<ParamGroup> groups, Options options) {
        super("Adagrad", groups, options);
        initialAccumulatorValue = (Double) options.asMap().get("initial_accumulator_value");
    }

    @Override
    protected void validate(Map<String, Object> o) {
        requireNonNegative(o, "lr", "learning rate");
        requireNonNegative(o, "lr_decay", "lr_decay value");
        requireNonNegative(o, "weight_decay", "weight_decay value");
        requireNonNegative(o, "initial_accumulator_value", "initial_accumulator_value value");
        requireNonNegative(o, "eps", "epsilon value");
    }

    @Override
    protected void update(Tensor p, Tensor grad, ParamGroup group, ParamState s) {
        double step = s.number("step", 0) + 1;
        s.putNumber("step", step);
        double clr = group.getDouble("lr") / (1 + (step - 1) * group.getDouble("lr_decay"));
        double weightDecay = group.getDouble("weight_decay");
        Tensor g = group.getBoolean("maximize") ? grad.neg() : grad;
        if (weightDecay != 0) {
            g = g.add(p.mul(weightDecay));
        }
        Tensor sum = s.tensor("sum");
        if (sum == null) {
            sum = Tensor.fullLike(p, initialAccumulatorValue);
            s.putTensor("sum", sum);
        }
        sum.add_(g.mul(g));
        p.sub_(g.div(sum.sqrt().add(group.getDouble("eps"))).mul(clr));
    }
}
