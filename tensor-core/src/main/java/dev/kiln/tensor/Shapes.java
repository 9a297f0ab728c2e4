package dev.kiln.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by every op: sizes, strides, dim wrapping and broadcasting, with PyTorch's errors. */
public final class Shapes {
    private Shapes() {
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Row-major strides (in elements) of a contiguous tensor of this shape. */
    public static long[] contiguousStrides(long[] shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return strides;
    }

    /** Wraps a possibly negative dim into {@code [0, ndim)}; a 0-d tensor accepts dims -1 and 0 like PyTorch. */
    public static int wrapDim(long dim, int ndim) {
        int n = Math.max(ndim, 1);
        if (dim < -n || dim >= n) {
            throw new IndexOutOfBoundsException("Dimension out of range (expected to be in range of [" + (-n) + ", "
                    + (n - 1) + "], but got " + dim + ")");
        }
        return (int) (dim < 0 ? dim + n : dim);
    }

    /** Broadcasts two shapes with NumPy/PyTorch rules, failing with PyTorch's message. */
    public static long[] broadcast(long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            int ia = a.length - n + i;
            int ib = b.length - n + i;
            long sa = ia >= 0 ? a[ia] : 1;
            long sb = ib >= 0 ? b[ib] : 1;
            if (sa != sb && sa != 1 && sb != 1) {
                throw new IllegalArgumentException("The size of tensor a (" + sa + ") must match the size of tensor b ("
                        + sb + ") at non-singleton dimension " + i);
            }
            out[i] = sa == 1 ? sb : sa;
        }
        return out;
    }

    public static long[] broadcast(long[]... shapes) {
        long[] out = new long[0];
        for (long[] s : shapes) {
            out = broadcast(out, s);
        }
        return out;
    }

    /** Formats a shape like PyTorch's {@code torch.Size}: {@code [2, 3]}. */
    public static String str(long[] shape) {
        return Arrays.toString(shape);
    }

    /** Resolves a single -1 in a requested view/reshape shape. */
    public static long[] inferSize(long[] requested, long numel) {
        long[] out = requested.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("only one dimension can be inferred");
                }
                infer = i;
            } else if (out[i] < 0) {
                throw new IllegalArgumentException("invalid shape dimension " + out[i] + " in " + str(requested));
            } else {
                known *= out[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("shape '" + str(requested) + "' is invalid for input of size " + numel);
            }
            out[infer] = numel / known;
        } else if (known != numel) {
            throw new IllegalArgumentException("shape '" + str(requested) + "' is invalid for input of size " + numel);
        }
        return out;
    }

    public static boolean isContiguous(long[] shape, long[] strides) {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** Checks that a view's every element lies inside a storage of {@code storageBytes} bytes. */
    public static void checkView(long storageBytes, DType dtype, long[] shape, long[] strides, long offset) {
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("shape " + Shapes.str(shape) + " and strides " + Shapes.str(strides)
                    + " must have the same length");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("storage offset must be >= 0, got " + offset);
        }
        long max = offset;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 0) {
                return;
            }
            if (strides[i] < 0) {
                throw new IllegalArgumentException("negative strides are not supported: " + Shapes.str(strides));
            }
            max += (shape[i] - 1) * strides[i];
        }
        if ((max + 1) * dtype.byteSize() > storageBytes) {
            throw new IllegalArgumentException("view of shape " + Shapes.str(shape) + ", strides " + Shapes.str(strides)
                    + ", offset " + offset + " needs " + (max + 1) * dtype.byteSize() + " bytes but storage has "
                    + storageBytes);
        }
    }
}
