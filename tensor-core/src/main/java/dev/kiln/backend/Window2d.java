package dev.kiln.backend;

/**
 * The geometry of a sliding 2-d window (convolution or pooling), already validated by the op layer: kernel
 * {@code kh x kw}, stride, leading padding, dilation, and the output size {@code oh x ow}. Output position
 * {@code (oy, ox)} with kernel tap {@code (ki, kj)} reads input row {@code oy*sh - ph + ki*dh} and column
 * {@code ox*sw - pw + kj*dw}; reads outside the input are padding. Because the output size is given explicitly,
 * trailing padding may differ from leading padding ({@code padding="same"} with an even kernel, or
 * {@code ceil_mode}). 1-d windows are 2-d windows with {@code kh = sh = dh = 1}, {@code ph = 0} on a height-1 input.
 */
public record Window2d(int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {

    /** Number of output positions per plane, {@code oh * ow}. */
    public long outPlane() {
        return (long) oh * ow;
    }

    /** Number of kernel taps, {@code kh * kw}. */
    public int taps() {
        return kh * kw;
    }
}
