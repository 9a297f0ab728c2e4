package dev.kiln.optim;

import dev.kiln.ops.Dispatch;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.tensor.Tensor;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum, like {@code torch.optim.SGD}. The update follows PyTorch's
 * documented algorithm (with {@code g} the gradient, negated when {@code maximize}):
 * <pre>
 * g = g + weight_decay * p                          if weight_decay != 0
 * b = g                                             on the first step (momentum != 0)
 * b = momentum * b + (1 - dampening) * g            afterwards
 * g = g + momentum * b   if nesterov,  else  g = b
 * p = p - lr * g
 * </pre>
 * State per parameter: {@code momentum_buffer} (only when momentum != 0).
 */
public class SGD extends Optimizer {
    /** Defaults: {@code lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=false, maximize=false}. */
    public static Options options() {
        return new Options("SGD", defaults());
    }

    private static Map<String, Object> defaults() {
        java.util.LinkedHashMap<String, Object> d = new java.util.LinkedHashMap<>();
        d.put("lr", 1e-3);
        d.put("momentum", 0.0);
        d.put("dampening", 0.0);
        d.put("weight_decay", 0.0);
        d.put("nesterov", false);
        d.put("maximize", false);
        return d;
    }

    public SGD(Collection<Tensor> params, double lr) {
        this(params, options().lr(lr));
    }

    public SGD(Collection<Tensor> params, Options options) {
        super("SGD", oneGroup(params), options);
    }

    public SGD(List<ParamGroup> groups, Options options) {
        super("SGD", groups, options);
    }

    @Override
    protected void validate(Map<String, Object> o) {
        requireNonNegative(o, "lr", "learning rate");
        requireNonNegative(o, "momentum", "momentum value");
        requireNonNegative(o, "weight_decay", "weight_decay value");
        boolean nesterov = (Boolean) o.get("nesterov");
        if (nesterov && (((Double) o.get("momentum")) <= 0 || ((Double) o.get("dampening")) != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
    }

    @Override
    protected void update(Tensor p, Tensor grad, ParamGroup group, ParamState s) {
        double momentum = group.getDouble("momentum");
        Tensor buf = s.tensor("momentum_buffer");
        boolean init = momentum != 0 && buf == null;
        var h = new PointwiseKernels.SgdHyper(group.getDouble("lr"), momentum, group.getDouble("dampening"),
                group.getDouble("weight_decay"), group.getBoolean("nesterov"), group.getBoolean("maximize"), init);
        if (init) {
            buf = Tensor.emptyLike(p);
        }
        // One fused pass over p, grad and the buffer where the backend has it; the same math composed otherwise.
        if (Dispatch.on(p, grad).pointwise().sgdStep(p.arg(), grad.arg(), momentum != 0 ? buf.arg() : null, h)) {
            if (init) {
                s.putTensor("momentum_buffer", buf);
            }
            return;
        }
        if (init) {
            buf.close();
        }
        composedUpdate(p, grad, s, h);
    }

    /** The update rule of the class javadoc written with tensor ops (the reference the fused kernel matches). */
    static void composedUpdate(Tensor p, Tensor grad, ParamState s, PointwiseKernels.SgdHyper h) {
        Tensor g = h.maximize() ? grad.neg() : grad;
        if (h.weightDecay() != 0) {
            g = g.add(p.mul(h.weightDecay()));
        }
        if (h.momentum() != 0) {
            Tensor buf = s.tensor("momentum_buffer");
            if (buf == null) {
                buf = g.clone();
                s.putTensor("momentum_buffer", buf);
            } else {
                buf.mul_(h.momentum()).add_(g.mul(1 - h.dampening()));
            }
            g = h.nesterov() ? g.add(buf.mul(h.momentum())) : buf;
        }
        p.sub_(g.mul(h.lr()));
    }
}
