package dev.kiln.tensor;

import java.util.Locale;

/**
 * Prints tensors the way PyTorch's {@code repr} does: {@code tensor([[1., 2.],\n        [3., 4.]])}, floats with
 * 4 decimals (or as {@code 1.} when all values are whole), scientific notation for very large/small ranges,
 * {@code dtype=} for non-default types, and {@code grad_fn=<...>} / {@code requires_grad=True} suffixes.
 */
final class TensorFormatter {
    private static final int SUMMARIZE_THRESHOLD = 1000;
    private static final int EDGE_ITEMS = 3;

    private TensorFormatter() {
    }

    static String format(Tensor t) {
        double[] values = t.toDoubleArray();
        ElementFormat fmt = ElementFormat.choose(t.dtype(), values);
        StringBuilder sb = new StringBuilder("tensor(");
        long[] shape = t.shape();
        if (t.numel() == 0) {
            sb.append(shape.length <= 1 ? "[]" : "[]");
        } else {
            boolean summarize = values.length > SUMMARIZE_THRESHOLD;
            appendDim(sb, values, shape, Shapes.contiguousStrides(shape), 0, 0, fmt, 7, summarize);
        }
        if (t.dtype() != DType.FLOAT32 && t.dtype() != DType.INT64 && t.dtype() != DType.BOOL) {
            sb.append(", dtype=").append(t.dtype().torchName());
        }
        if (t.numel() == 0 && shape.length > 1) {
            sb.append(", size=(").append(joinShape(shape)).append(")");
        }
        if (t.gradFn() != null) {
            sb.append(", grad_fn=<").append(t.gradFn().name()).append(">");
        } else if (t.requiresGrad()) {
            sb.append(", requires_grad=True");
        }
        return sb.append(")").toString();
    }

    private static String joinShape(long[] shape) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return s.toString();
    }

    private static void appendDim(StringBuilder sb, double[] v, long[] shape, long[] strides, int dim, long base,
                                  ElementFormat fmt, int indent, boolean summarize) {
        if (dim == shape.length) {
            sb.append(fmt.format(v[(int) base]));
            return;
        }
        sb.append('[');
        long n = shape[dim];
        boolean last = dim == shape.length - 1;
        for (long i = 0; i < n; i++) {
            if (summarize && n > 2 * EDGE_ITEMS && i == EDGE_ITEMS) {
                // PyTorch joins " ..." as one more element of the last dim, "..." as one more row otherwise.
                sb.append(last ? " ..., " : "...," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + dim + 1));
                i = n - EDGE_ITEMS - 1;
                continue;
            }
            appendDim(sb, v, shape, strides, dim + 1, base + i * strides[dim], fmt, indent, summarize);
            if (i < n - 1) {
                if (last) {
                    sb.append(", ");
                } else {
                    sb.append(",").append("\n".repeat(shape.length - dim - 1)).append(" ".repeat(indent + dim + 1));
                }
            }
        }
        sb.append(']');
    }

    /** One format for all elements, so columns line up like PyTorch's. */
    private record ElementFormat(DType dtype, boolean wholeNumbers, boolean sci, int width) {
        /**
         * PyTorch's {@code _Formatter}: integer mode and scientific mode are decided, and the column width measured,
         * on the nonzero finite values only (so {@code nan}/{@code inf} never widen a column). Whole-valued floats
         * switch to scientific when max/min > 1000 or max > 1e8; others also when min < 1e-4.
         */
        static ElementFormat choose(DType dtype, double[] values) {
            if (!dtype.isFloatingPoint()) {
                int w = 1;
                for (double v : values) {
                    w = Math.max(w, dtype == DType.BOOL ? (v != 0 ? 4 : 5) : Long.toString((long) v).length());
                }
                return new ElementFormat(dtype, true, false, w);
            }
            boolean whole = true;
            double maxAbs = 0;
            double minAbs = Double.POSITIVE_INFINITY;
            for (double v : values) {
                if (!Double.isFinite(v) || v == 0) {
                    continue;
                }
                whole &= v == Math.ceil(v);
                double a = Math.abs(v);
                maxAbs = Math.max(maxAbs, a);
                minAbs = Math.min(minAbs, a);
            }
            if (maxAbs == 0) { // no nonzero finite value: PyTorch keeps integer mode and width 1
                return new ElementFormat(dtype, true, false, 1);
            }
            boolean sci = maxAbs / minAbs > 1000 || maxAbs > 1e8 || (!whole && minAbs < 1e-4);
            ElementFormat probe = new ElementFormat(dtype, whole, sci, 0);
            int w = 1;
            for (double v : values) {
                if (Double.isFinite(v) && v != 0) {
                    w = Math.max(w, probe.raw(v).length());
                }
            }
            return new ElementFormat(dtype, whole, sci, w);
        }

        String raw(double v) {
            if (dtype == DType.BOOL) {
                return v != 0 ? "True" : "False";
            }
            if (!dtype.isFloatingPoint()) {
                return Long.toString((long) v);
            }
            if (Double.isNaN(v)) {
                return "nan";
            }
            if (Double.isInfinite(v)) {
                return v > 0 ? "inf" : "-inf";
            }
            if (sci) {
                return String.format(Locale.ROOT, "%.4e", v).replaceAll("e([+-])(\\d)$", "e$10$2");
            }
            if (wholeNumbers) {
                return String.format(Locale.ROOT, "%.0f.", v);
            }
            return String.format(Locale.ROOT, "%.4f", v);
        }

        String format(double v) {
            String s = raw(v);
            return " ".repeat(Math.max(0, width - s.length())) + s;
        }
    }
}
