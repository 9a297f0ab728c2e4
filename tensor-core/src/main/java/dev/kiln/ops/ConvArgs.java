package dev.kiln.ops;

import dev.kiln.tensor.Shapes;
import java.util.Arrays;

/**
 * Argument handling shared by convolution and pooling: expanding an int to one per spatial dim (PyTorch's
 * {@code _pair}), resolving {@code padding="same"/"valid"}, and the sliding-window output size.
 */
final class ConvArgs {
    private ConvArgs() {
    }

    /** {@code v} with one entry per spatial dim: a single value is repeated, like {@code _pair(3) = (3, 3)}. */
    static long[] expand(long[] v, int spatial, String name, String op) {
        if (v.length == spatial) {
            return v.clone();
        }
        if (v.length == 1) {
            long[] r = new long[spatial];
            Arrays.fill(r, v[0]);
            return r;
        }
        throw new IllegalArgumentException(op + ": expected " + name + " to be a single integer value or a list of "
                + spatial + " values to match the convolution dimensions, but got " + name + "=" + Shapes.str(v));
    }

    /**
     * {@code [before..., after...]} padding per spatial dim for {@code "valid"} (none) or {@code "same"} (output
     * size = input size: total {@code d*(k-1)}, the odd element going after, as PyTorch's {@code _conv_forward}
     * pads the right/bottom side).
     */
    static long[] stringPadding(String padding, long[] kernel, long[] stride, long[] dilation, String op) {
        int n = kernel.length;
        long[] pad = new long[2 * n];
        if ("valid".equals(padding)) {
            return pad;
        }
        if (!"same".equals(padding)) {
            throw new IllegalArgumentException("Invalid padding string '" + padding
                    + "', should be one of {'valid', 'same'}");
        }
        for (long s : stride) {
            if (s != 1) {
                throw new IllegalArgumentException("padding='same' is not supported for strided convolutions");
            }
        }
        for (int i = 0; i < n; i++) {
            long total = dilation[i] * (kernel[i] - 1);
            pad[i] = total / 2;
            pad[n + i] = total - total / 2;
        }
        return pad;
    }

    /** Symmetric padding as {@code [before..., after...]}. */
    static long[] symmetric(long[] padding) {
        long[] pad = Arrays.copyOf(padding, 2 * padding.length);
        System.arraycopy(padding, 0, pad, padding.length, padding.length);
        return pad;
    }

    /** {@code floor((in + padTotal - d*(k-1) - 1) / s) + 1}, the number of window positions. */
    static long outSize(long in, long padTotal, long k, long s, long d) {
        return Math.floorDiv(in + padTotal - d * (k - 1) - 1, s) + 1;
    }

    static void checkPositive(long[] v, String message) {
        for (long x : v) {
            if (x <= 0) {
                throw new IllegalArgumentException(message);
            }
        }
    }

    static void checkNonNegative(long[] v, String message) {
        for (long x : v) {
            if (x < 0) {
                throw new IllegalArgumentException(message);
            }
        }
    }

    /** PyTorch's tuple text: {@code (3, 3)}, {@code (3,)}. */
    static String tuple(long[] v) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < v.length; i++) {
            sb.append(i > 0 ? ", " : "").append(v[i]);
        }
        return sb.append(v.length == 1 ? ",)" : ")").toString();
    }

    static int toInt(long v) {
        return Math.toIntExact(v);
    }
}
