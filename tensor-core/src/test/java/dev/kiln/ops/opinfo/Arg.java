package dev.kiln.ops.opinfo;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.Random;
import java.util.function.Function;

/**
 * One input of a {@link Sample}: its shape, how its values are drawn from the sample's seeded source, and whether
 * gradients flow into it (PyTorch's OpInfo marks the same with {@code requires_grad} on a sample's tensors).
 *
 * <p>Floating values are always float32-representable, so one float64 reference serves the float64 and the float32
 * runs of a sample bit for bit on the input side. Index ({@code int64}) and mask ({@code bool}) inputs keep their
 * dtype in every run and never take gradients.
 */
public final class Arg {
    enum Kind { FLOAT, INDEX, MASK }

    private final Kind kind;
    private final long[] shape;
    private final boolean grad;
    private final Function<Random, double[]> values;
    private final long[] indices;

    private Arg(Kind kind, long[] shape, boolean grad, Function<Random, double[]> values, long[] indices) {
        this.kind = kind;
        this.shape = shape.clone();
        this.grad = grad;
        this.values = values;
        this.indices = indices;
    }

    /** Standard normal values pushed at least 0.1 away from 0 (the kink of abs/relu, the pole of 1/x). */
    public static Arg normal(long... shape) {
        return floats(shape, r -> {
            double v = r.nextGaussian();
            return Math.copySign(Math.abs(v) + 0.1, v);
        });
    }

    /** Uniform in [0.5, 2): safe for log, sqrt, rsqrt and a real-valued pow. */
    public static Arg positive(long... shape) {
        return floats(shape, r -> 0.5 + 1.5 * r.nextDouble());
    }

    /** Multiples of 1/4 in [-1, 1]: exact in float32 and float64, with many ties (the fast-path tests' inputs). */
    public static Arg quarters(long... shape) {
        return floats(shape, r -> (r.nextInt(9) - 4) / 4.0);
    }

    /** Exactly these values (rounded to float32). */
    public static Arg fixed(double[] values, long... shape) {
        double[] copy = values.clone();
        return new Arg(Kind.FLOAT, shape, true, r -> copy.clone(), null);
    }

    /** Values from {@code maker}, which gets the sample's source and the element count. */
    public static Arg custom(long[] shape, java.util.function.BiFunction<Random, Integer, double[]> maker) {
        int n = Math.toIntExact(Shapes.numel(shape));
        return new Arg(Kind.FLOAT, shape, true, r -> maker.apply(r, n), null);
    }

    /** An int64 index tensor (never differentiable). */
    public static Arg index(long[] values, long... shape) {
        return new Arg(Kind.INDEX, shape, false, null, values.clone());
    }

    /** A boolean mask with both values, {@code i % 3 != 1} in row-major order (never differentiable). */
    public static Arg mask(long... shape) {
        return new Arg(Kind.MASK, shape, false, null, null);
    }

    private static Arg floats(long[] shape, Function<Random, Double> draw) {
        int n = Math.toIntExact(Shapes.numel(shape));
        return new Arg(Kind.FLOAT, shape, true, r -> {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = draw.apply(r);
            }
            return v;
        }, null);
    }

    /** The same input, but gradients do not flow into it (a float operand the sample does not differentiate). */
    public Arg noGrad() {
        return new Arg(kind, shape, false, values, indices);
    }

    public boolean grad() {
        return grad;
    }

    public boolean isFloat() {
        return kind == Kind.FLOAT;
    }

    /** {@code float}, {@code index} or {@code mask}, as the torch generator's request file spells it. */
    String kindName() {
        return kind.name().toLowerCase();
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Draws the float values (float32-representable); {@code null} for index and mask inputs. */
    double[] draw(Random r) {
        if (kind != Kind.FLOAT) {
            return null;
        }
        double[] v = values.apply(r);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) v[i];
        }
        return v;
    }

    /**
     * The tensor for drawn values {@code v} (ignored for index and mask inputs): float inputs in {@code floatType},
     * requiring grad when {@code requiresGrad} and this argument takes gradients.
     */
    Tensor tensor(double[] v, DType floatType, boolean requiresGrad) {
        return switch (kind) {
            case INDEX -> Tensor.of(indices.clone()).reshape(shape);
            case MASK -> {
                boolean[] m = new boolean[Math.toIntExact(Shapes.numel(shape))];
                for (int i = 0; i < m.length; i++) {
                    m[i] = i % 3 != 1;
                }
                yield Tensor.of(m).reshape(shape);
            }
            case FLOAT -> {
                Tensor flat;
                if (floatType == DType.FLOAT32) {
                    float[] f = new float[v.length];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = (float) v[i];
                    }
                    flat = Tensor.of(f);
                } else if (floatType.isHalf()) {
                    flat = Tensor.of(v.clone()).to(floatType); // rounded to nearest even, a leaf
                } else {
                    flat = Tensor.of(v.clone());
                }
                yield flat.reshape(shape).requiresGrad_(requiresGrad && grad);
            }
        };
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase() + Shapes.str(shape) + (grad ? "" : " (no grad)");
    }
}
