package dev.kiln.optim;

import dev.kiln.tensor.Tensor;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RMSprop (Hinton's lecture 6e), like {@code torch.optim.RMSprop}, following PyTorch's documented algorithm. With
 * {@code g} the gradient (negated when {@code maximize}):
 * <pre>
 * g = g + weight_decay * p                               if weight_decay != 0
 * v = alpha * v + (1 - alpha) * g^2                      (square_avg)
 * g_ave = alpha * g_ave + (1 - alpha) * g                if centered (grad_avg)
 * avg = sqrt(v - g_ave^2) + eps   if centered,   else   avg = sqrt(v) + eps
 * b = momentum * b + g / avg;  p = p - lr * b            if momentum > 0
 * p = p - lr * g / avg                                   otherwise
 * </pre>
 * State per parameter: {@code step}, {@code square_avg}, {@code momentum_buffer} (momentum > 0) and
 * {@code grad_avg} (centered), PyTorch's names.
 */
public class RMSprop extends Optimizer {
    /** Defaults: {@code lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=false, maximize=false}. */
    public static Options options() {
        LinkedHashMap<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-2);
        d.put("alpha", 0.99);
        d.put("eps", 1e-8);
        d.put("weight_decay", 0.0);
        d.put("momentum", 0.0);
        d.put("centered", false);
        d.put("maximize", false);
        return new Options("RMSprop", d);
    }

    public RMSprop(Collection<Tensor> params, double lr) {
        this(params, options().lr(lr));
    }

    public RMSprop(Collection<Tensor> params, Options options) {
        super("RMSprop", oneGroup(params), options);
    }

    public RMSprop(List<ParamGroup> groups, Options options) {
        super("RMSprop", groups, options);
    }

    @Override
    protected void validate(Map<String, Object> o) {
        requireNonNegative(o, "lr", "learning rate");
        requireNonNegative(o, "eps", "epsilon value");
        requireNonNegative(o, "momentum", "momentum value");
        requireNonNegative(o, "weight_decay", "weight_decay value");
        requireNonNegative(o, "alpha", "alpha value");
    }

    @Override
    protected void update(Tensor p, Tensor grad, ParamGroup group, ParamState s) {
        double lr = group.getDouble("lr");
        double alpha = group.getDouble("alpha");
        double eps = group.getDouble("eps");
        double weightDecay = group.getDouble("weight_decay");
        double momentum = group.getDouble("momentum");
        s.putNumber("step", s.number("step", 0) + 1);
        Tensor g = group.getBoolean("maximize") ? grad.neg() : grad;
        if (weightDecay != 0) {
            g = g.add(p.mul(weightDecay));
        }
        Tensor squareAvg = zerosState(s, "square_avg", p);
        squareAvg.mul_(alpha).add_(g.mul(g).mul(1 - alpha));
        Tensor avg;
        if (group.getBoolean("centered")) {
            Tensor gradAvg = zerosState(s, "grad_avg", p);
            gradAvg.mul_(alpha).add_(g.mul(1 - alpha));
            avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt().add(eps);
        } else {
            avg = squareAvg.sqrt().add(eps);
        }
        if (momentum > 0) {
            Tensor buf = zerosState(s, "momentum_buffer", p);
            buf.mul_(momentum).add_(g.div(avg));
            p.sub_(buf.mul(lr));
        } else {
            p.sub_(g.div(avg).mul(lr));
        }
    }

    /** The named state tensor, created as zeros shaped like {@code p} on first use. */
    static Tensor zerosState(ParamState s, String name, Tensor p) {
        Tensor t = s.tensor(name);
        if (t == null) {
            t = Tensor.zerosLike(p);
            s.putTensor(name, t);
        }
        return t;
    }
}
