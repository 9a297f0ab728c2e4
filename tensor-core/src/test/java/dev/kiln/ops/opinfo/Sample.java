package dev.kiln.ops.opinfo;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * One call of an op on concrete inputs, like PyTorch's {@code SampleInput}: the inputs ({@link Arg}s), the call in
 * Java, and the same call in PyTorch (a Python expression over {@code x0, x1, ...}, evaluated by
 * {@code src/test/python/gen_opinfo_torch.py}; {@code null} where PyTorch has no equivalent). Inputs are drawn
 * from a source seeded by {@link #key()}, so every harness (and the generator's request file) sees the same values.
 */
public final class Sample {
    /** The op applied to a sample's inputs, in the order of its {@link Arg}s. */
    @FunctionalInterface
    public interface Call extends java.util.function.Function<List<Tensor>, Tensor> {
    }

    private final String name;
    private final List<Arg> args;
    private final Call call;
    private final String torch;
    private String op = "?";
    private double eps = 1e-6;
    private double atol = 1e-5;
    private double rtol = 1e-3;
    private boolean forwardOnly;
    private BiFunction<Random, Integer, double[]> upstream;

    Sample(String name, Call call, String torch, Arg... args) {
        this.name = name;
        this.call = call;
        this.torch = torch;
        this.args = List.of(args);
    }

    /** Gradcheck step and tolerances (defaults {@code 1e-6, 1e-5, 1e-3}, like the old per-test tables). */
    public Sample gradTol(double eps, double atol, double rtol) {
        this.eps = eps;
        this.atol = atol;
        this.rtol = rtol;
        return this;
    }

    /** No gradients are checked for this sample (its output is not differentiable, e.g. pooling indices). */
    public Sample forwardOnly() {
        this.forwardOnly = true;
        return this;
    }

    /** The upstream gradient the fast-path harness uses (default: quarters), e.g. to place NaN in it. */
    public Sample upstream(BiFunction<Random, Integer, double[]> maker) {
        this.upstream = maker;
        return this;
    }

    /** The same sample (key, inputs, tolerances) with another call: the harnesses' self-tests use it. */
    Sample withCall(Call other) {
        Sample c = new Sample(name, other, torch, args.toArray(new Arg[0]));
        c.op = op;
        c.eps = eps;
        c.atol = atol;
        c.rtol = rtol;
        c.forwardOnly = forwardOnly;
        c.upstream = upstream;
        return c;
    }

    Sample bind(String opName) {
        this.op = opName;
        return this;
    }

    public String op() {
        return op;
    }

    public String name() {
        return name;
    }

    /** {@code op|sample}: the sample's identity in reports, in the golden file, and its input seed. */
    public String key() {
        return op + "|" + name;
    }

    public List<Arg> args() {
        return args;
    }

    public String torch() {
        return torch;
    }

    public double eps() {
        return eps;
    }

    public double atol() {
        return atol;
    }

    public double rtol() {
        return rtol;
    }

    /** True when gradients are checked: some argument takes them and the sample is not forward-only. */
    public boolean differentiable() {
        return !forwardOnly && args.stream().anyMatch(Arg::grad);
    }

    /** A source seeded by the key, so a sample's inputs do not change when other samples are added. */
    public Random random() {
        return new Random(key().hashCode());
    }

    /** Draws every float argument's values (null for index/mask arguments), in argument order. */
    public List<double[]> draw() {
        Random r = random();
        List<double[]> out = new ArrayList<>();
        for (Arg a : args) {
            out.add(a.draw(r));
        }
        return out;
    }

    /** The inputs as tensors: float arguments in {@code floatType}, requiring grad where they take gradients. */
    public List<Tensor> inputs(List<double[]> drawn, DType floatType, boolean requiresGrad) {
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            out.add(args.get(i).tensor(drawn.get(i), floatType, requiresGrad));
        }
        return out;
    }

    public List<Tensor> inputs(DType floatType, boolean requiresGrad) {
        return inputs(draw(), floatType, requiresGrad);
    }

    public Tensor run(List<Tensor> inputs) {
        return call.apply(inputs);
    }

    public Call call() {
        return call;
    }

    /** The fast-path harness's upstream gradient: {@link #upstream(BiFunction)} or quarters. */
    double[] upstreamQuarters(Random r, int n) {
        if (upstream != null) {
            return upstream.apply(r, n);
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (r.nextInt(9) - 4) / 4.0;
        }
        return v;
    }

    @Override
    public String toString() {
        return key();
    }
}
