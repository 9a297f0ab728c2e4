package dev.kiln.optim;

import dev.kiln.ops.Dispatch;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.tensor.Tensor;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma & Ba 2015), like {@code torch.optim.Adam}, following PyTorch's documented algorithm. With
 * {@code g} the gradient (negated when {@code maximize}) and {@code t} the parameter's step count:
 * <pre>
 * g = g + weight_decay * p                 (L2 penalty; AdamW instead decays p directly, see {@link AdamW})
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g^2
 * v_max = max(v_max, v)                    if amsgrad (then v_max replaces v below)
 * p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * State per parameter: {@code step} (a number), {@code exp_avg}, {@code exp_avg_sq}, and {@code max_exp_avg_sq}
 * with amsgrad — PyTorch's names, so state dicts line up.
 */
public class Adam extends Optimizer {
    /** Defaults: {@code lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0, amsgrad=false, maximize=false}. */
    public static Options options() {
        return new Options("Adam", defaults(0.0));
    }

    static Map<String, Object> defaults(double weightDecay) {
        LinkedHashMap<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 1e-3);
        d.put("beta1", 0.9);
        d.put("beta2", 0.999);
        d.put("eps", 1e-8);
        d.put("weight_decay", weightDecay);
        d.put("amsgrad", false);
        d.put("maximize", false);
        return d;
    }

    public Adam(Collection<Tensor> params, double lr) {
        this(params, options().lr(lr));
    }

    public Adam(Collection<Tensor> params, Options options) {
        this("Adam", oneGroup(params), options);
    }

    public Adam(List<ParamGroup> groups, Options options) {
        this("Adam", groups, options);
    }

    protected Adam(String name, List<ParamGroup> groups, Options options) {
        super(name, groups, options);
    }

    @Override
    protected void validate(Map<String, Object> o) {
        requireNonNegative(o, "lr", "learning rate");
        requireNonNegative(o, "eps", "epsilon value");
        requireNonNegative(o, "weight_decay", "weight_decay value");
        checkBeta(o, "beta1", 0);
        checkBeta(o, "beta2", 1);
    }

    private static void checkBeta(Map<String, Object> o, String key, int index) {
        double b = (Double) o.get(key);
        if (!(b >= 0 && b < 1)) {
            throw new IllegalArgumentException("Invalid beta parameter at index " + index + ": " + b);
        }
    }

    /** Whether weight decay is decoupled from the gradient (AdamW) rather than an L2 term in it (Adam). */
    protected boolean decoupledWeightDecay() {
        return false;
    }

    @Override
    protected void update(Tensor p, Tensor grad, ParamGroup group, ParamState s) {
        double lr = group.getDouble("lr");
        double beta1 = group.getDouble("beta1");
        double beta2 = group.getDouble("beta2");
        double weightDecay = group.getDouble("weight_decay");
        double step = s.number("step", 0) + 1;
        s.putNumber("step", step);
        Tensor m = stateTensor(s, "exp_avg", p);
        Tensor v = stateTensor(s, "exp_avg_sq", p);
        Tensor vMax = group.getBoolean("amsgrad") ? stateTensor(s, "max_exp_avg_sq", p) : null;
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        var h = new PointwiseKernels.AdamHyper(lr, beta1, beta2, group.getDouble("eps"), weightDecay,
                decoupledWeightDecay(), group.getBoolean("maximize"), biasCorrection1, biasCorrection2Sqrt);
        // One fused pass over p, grad and the state where the backend has it; the same math composed otherwise.
        if (!Dispatch.on(p, grad, m, v).pointwise().adamStep(p.arg(), grad.arg(), m.arg(), v.arg(), vMax == null ? null : vMax.arg(), h)) {
            composedUpdate(p, grad, m, v, vMax, h);
        }
    }

    /** The update rule of the class javadoc written with tensor ops (the reference the fused kernels match). */
    static void composedUpdate(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor vMax,
                               PointwiseKernels.AdamHyper h) {
        Tensor g = h.maximize() ? grad.neg() : grad;
        if (h.weightDecay() != 0) {
            if (h.decoupled()) {
                p.mul_(1 - h.lr() * h.weightDecay());
            } else {
                g = g.add(p.mul(h.weightDecay()));
            }
        }
        m.mul_(h.beta1()).add_(g.mul(1 - h.beta1()));
        v.mul_(h.beta2()).add_(g.mul(g).mul(1 - h.beta2()));
        Tensor second = v;
        if (vMax != null) {
            second = vMax;
            second.copy_(second.maximum(v));
        }
        Tensor denom = second.sqrt().div(h.biasCorrection2Sqrt()).add(h.eps());
        p.sub_(m.div(denom).mul(h.lr() / h.biasCorrection1()));
    }

    /** The named state tensor, created as zeros shaped like {@code p} on first use. */
    private static Tensor stateTensor(ParamState s, String name, Tensor p) {
        Tensor t = s.tensor(name);
        if (t == null) {
            t = Tensor.zerosLike(p);
            s.putTensor(name, t);
        }
        return t;
    }
}
