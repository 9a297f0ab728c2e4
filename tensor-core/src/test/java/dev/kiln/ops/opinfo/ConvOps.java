package dev.kiln.ops.opinfo;

import static dev.kiln.ops.opinfo.Arg.custom;
import static dev.kiln.ops.opinfo.Arg.normal;
import static dev.kiln.ops.opinfo.Arg.quarters;
import static dev.kiln.ops.opinfo.OpInfo.op;
import static dev.kiln.ops.opinfo.OpInfo.s;

import dev.kiln.backend.Window2d;
import dev.kiln.nn.functional.F;
import dev.kiln.ops.Im2Col;
import dev.kiln.ops.Pooling;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Convolution and pooling, and the im2col/col2im pair convolution is built from. */
final class ConvOps {
    private ConvOps() {
    }

    /** A window whose output width (2) is narrower than PyTorch's (3): trailing padding differs from leading. */
    private static final Window2d CROPPED = new Window2d(2, 3, 2, 1, 1, 1, 1, 2, 3, 2);
    private static final String TORCH_UNFOLD = "F.unfold(x0, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))";

    static List<OpInfo> all() {
        return List.of(
            op("unfold").samples(
                s("cropped window", x -> Im2Col.unfold(x.get(0), CROPPED),
                        TORCH_UNFOLD + ".reshape(2, 12, 3, 3)[..., :2].reshape(2, 12, 6)", normal(2, 2, 4, 5)))
                .fastPath(0),
            op("fold").samples(
                s("cropped window", x -> Im2Col.fold(x.get(0), CROPPED, 4, 5),
                        "F.fold(F.pad(x0.reshape(2, 12, 3, 2), (0, 1)).reshape(2, 12, 9), (4, 5), (2, 3), "
                                + "dilation=(1, 2), padding=1, stride=(2, 1))", normal(2, 12, 6))),
            op("conv2d").samples(
                s("stride padding dilation", x -> F.conv2d(x.get(0), x.get(1), x.get(2), new long[] {2, 1},
                        new long[] {1, 2}, new long[] {1, 2}, 1),
                        "F.conv2d(x0, x1, x2, stride=(2, 1), padding=(1, 2), dilation=(1, 2))",
                        normal(2, 3, 6, 5), normal(4, 3, 3, 2), normal(4)),
                s("groups and dilation", x -> F.conv2d(x.get(0), x.get(1), x.get(2), new long[] {1}, new long[] {2},
                        new long[] {2}, 2), "F.conv2d(x0, x1, x2, padding=2, dilation=2, groups=2)",
                        normal(2, 4, 5, 5), normal(6, 2, 3, 3), normal(6)),
                s("same padding no bias", x -> F.conv2d(x.get(0), x.get(1), null, new long[] {1}, "same",
                        new long[] {1, 2}, 1), "F.conv2d(x0, x1, None, padding='same', dilation=(1, 2))",
                        normal(1, 2, 5, 4), normal(3, 2, 4, 3)),
                s("unbatched", x -> F.conv2d(x.get(0), x.get(1), x.get(2), 1, 1), "F.conv2d(x0, x1, x2, padding=1)",
                        normal(2, 4, 4), normal(3, 2, 3, 3), normal(3)))
                .fastPath(0, conv2dFastSamples())
                // NOTE: in half precision the convolution composes im2col, a GEMM rounded to the type, and col2im,
                // whose sums of overlapping rounded columns cancel: a few more ulps than one rounded GEMM.
                .halfTolerance(3),
            op("conv1d").samples(
                s("all options", x -> F.conv1d(x.get(0), x.get(1), x.get(2), new long[] {2}, new long[] {1},
                        new long[] {2}, 3), "F.conv1d(x0, x1, x2, stride=2, padding=1, dilation=2, groups=3)",
                        normal(2, 3, 9), normal(6, 1, 3), normal(6)),
                s("same padding no bias", x -> F.conv1d(x.get(0), x.get(1), null, new long[] {1}, "same",
                        new long[] {1}, 1), "F.conv1d(x0, x1, None, padding='same')", normal(1, 2, 6), normal(2, 2, 4)))
                .fastPath(0),
            op("conv_transpose2d").samples(
                s("groups stride output padding", x -> F.convTranspose2d(x.get(0), x.get(1), x.get(2), new long[] {2},
                        new long[] {1}, new long[] {1}, 2, new long[] {1, 2}),
                        "F.conv_transpose2d(x0, x1, x2, stride=2, padding=1, output_padding=1, groups=2, "
                                + "dilation=(1, 2))", normal(2, 4, 3, 3), normal(4, 2, 3, 2), normal(4)))
                .halfTolerance(3), // as conv2d
            op("max_pool2d").samples(
                s("padding dilation ceil", x -> F.maxPool2d(x.get(0), new long[] {3, 2}, new long[] {2},
                        new long[] {1}, new long[] {1, 2}, true),
                        "F.max_pool2d(x0, (3, 2), stride=2, padding=1, dilation=(1, 2), ceil_mode=True)",
                        normal(2, 2, 7, 8)),
                s("2x2 unbatched", x -> F.maxPool2d(x.get(0), 2), "F.max_pool2d(x0, 2)", normal(3, 6, 6)))
                .fastPath(0, maxPoolFastSamples()),
            // Pooling.reluMaxPool2d: Sequential's fused ReLU + MaxPool2d. Fused on the CPU for 2x2 windows; the
            // 3x3 and ceil-mode samples take the composition (no fused kernel for them).
            op("relu_max_pool2d").samples(
                s("2x2", x -> reluMaxPool(x.get(0), 2, 2, false), "F.max_pool2d(F.relu(x0), 2)", normal(2, 3, 8, 10)),
                s("2x2 odd sizes", x -> reluMaxPool(x.get(0), 2, 2, false), "F.max_pool2d(F.relu(x0), 2)",
                        normal(1, 2, 9, 7)),
                s("2x2 unbatched", x -> reluMaxPool(x.get(0), 2, 2, false), "F.max_pool2d(F.relu(x0), 2)",
                        normal(3, 6, 6)),
                s("3x3 stride 2 composed", x -> reluMaxPool(x.get(0), 3, 2, false),
                        "F.max_pool2d(F.relu(x0), 3, stride=2)", normal(2, 2, 7, 8)),
                s("2x2 ceil composed", x -> reluMaxPool(x.get(0), 2, 2, true),
                        "F.max_pool2d(F.relu(x0), 2, ceil_mode=True)", normal(1, 2, 5, 7)))
                .fastPath(0, reluMaxPoolFastSamples()),
            op("avg_pool2d").samples(
                s("ceil count_include_pad", x -> F.avgPool2d(x.get(0), new long[] {3}, new long[] {2}, new long[] {1},
                        true, true), "F.avg_pool2d(x0, 3, 2, 1, ceil_mode=True, count_include_pad=True)",
                        normal(2, 2, 7, 8)),
                s("ceil no count_include_pad", x -> F.avgPool2d(x.get(0), new long[] {3}, new long[] {2},
                        new long[] {1}, true, false), "F.avg_pool2d(x0, 3, 2, 1, ceil_mode=True, count_include_pad=False)",
                        normal(2, 2, 7, 8)),
                s("2x2 unbatched", x -> F.avgPool2d(x.get(0), 2), "F.avg_pool2d(x0, 2)", normal(3, 4, 6))),
            op("adaptive_avg_pool2d").samples(
                s("to 3x2", x -> F.adaptiveAvgPool2d(x.get(0), 3, 2), "F.adaptive_avg_pool2d(x0, (3, 2))",
                        normal(2, 3, 7, 5)),
                s("to 1 unbatched", x -> F.adaptiveAvgPool2d(x.get(0), 1), "F.adaptive_avg_pool2d(x0, 1)",
                        normal(2, 4, 3))));
    }

    /**
     * float32 im2col (heap-assembled rows) against float64's off-heap path, forward and both gradients: padding on
     * all sides, stride 2, dilation 2 and an asymmetric "same" padding; quarter-valued data makes every GEMM sum
     * exact, so the two dtypes must agree to the bit.
     */
    private static Sample[] conv2dFastSamples() {
        long[][] geometry = {{1, 1, 2, 2, 1, 1}, {2, 1, 1, 0, 1, 1}, {1, 2, 2, 1, 2, 2}, {1, 1, 1, 2, 1, 3}};
        List<Sample> out = new ArrayList<>();
        for (long[] k : geometry) { // stride h/w, padding h/w, dilation h/w
            out.add(s("im2col " + Arrays.toString(k), x -> F.conv2d(x.get(0), x.get(1), null, new long[] {k[0], k[1]},
                    new long[] {k[2], k[3]}, new long[] {k[4], k[5]}, 1), null, quarters(2, 3, 9, 8),
                    quarters(4, 3, 3, 4)));
        }
        out.add(s("im2col same padding", x -> F.conv2d(x.get(0), x.get(1), null, new long[] {1}, "same",
                new long[] {1}, 1), null, quarters(1, 2, 5, 6), quarters(3, 2, 4, 3)));
        return out.toArray(new Sample[0]);
    }

    /**
     * The float32 2x2 max-pool kernel and its gradient against the generic loop, values and indices: ties (the
     * first cell wins), NaN (wins; the last NaN's index), an all -inf window (the first cell's index), -0; and
     * overlapping 3x3 stride-2 windows so several gradients land on one input cell.
     */
    private static Sample[] maxPoolFastSamples() {
        List<Sample> out = new ArrayList<>();
        for (long[] shape : new long[][] {{2, 3, 8, 10}, {1, 2, 9, 11}, {3, 1, 28, 28}}) {
            for (boolean ceil : new boolean[] {false, true}) {
                String at = Arrays.toString(shape) + (ceil ? " ceil" : "");
                Arg in = custom(shape, (r, n) -> withSpecials(r, n, (int) shape[3]));
                out.add(s("2x2 values " + at, x -> F.maxPool2dWithIndices(x.get(0), new long[] {2}, new long[] {},
                        new long[] {0}, new long[] {1}, ceil).values(), null, in));
                out.add(s("2x2 indices " + at, x -> F.maxPool2dWithIndices(x.get(0), new long[] {2}, new long[] {},
                        new long[] {0}, new long[] {1}, ceil).indices(), null, in).forwardOnly());
            }
        }
        for (long[] ks : new long[][] {{3, 2}, {2, 2}}) {
            out.add(s("gradient kernel " + ks[0] + " stride " + ks[1], x -> F.maxPool2d(x.get(0), new long[] {ks[0]},
                    new long[] {ks[1]}, new long[] {0}, new long[] {1}, false), null, quarters(2, 3, 9, 10)));
        }
        return out.toArray(new Sample[0]);
    }

    private static Tensor reluMaxPool(Tensor x, long k, long stride, boolean ceil) {
        return Pooling.reluMaxPool2d(x, new long[] {k}, new long[] {stride}, new long[] {0}, new long[] {1}, ceil);
    }

    /**
     * The fused float32 kernel against float64's (written as the composition reads): the max-pool specials (NaN
     * first, NaN in two cells, all -inf, a four-way tie, -0) plus windows whose maximum is 0, -0 or negative, where
     * the value is +0 and no gradient flows; odd sizes leave a last row and column outside every window.
     */
    private static Sample[] reluMaxPoolFastSamples() {
        List<Sample> out = new ArrayList<>();
        for (long[] shape : new long[][] {{2, 3, 8, 10}, {1, 2, 9, 11}, {3, 1, 28, 28}}) {
            Arg in = custom(shape, (r, n) -> withNonPositiveWindows(withSpecials(r, n, (int) shape[3]), (int) shape[3]));
            out.add(s("fused 2x2 " + Arrays.toString(shape), x -> reluMaxPool(x.get(0), 2, 2, false), null, in));
        }
        return out.toArray(new Sample[0]);
    }

    private static double[] withNonPositiveWindows(double[] v, int w) {
        int r = 2 * w; // the second row of windows
        v[r] = v[r + 1] = v[r + w] = v[r + w + 1] = 0.0;                  // all +0
        v[r + 2] = v[r + 3] = v[r + w + 2] = v[r + w + 3] = -0.0;         // all -0
        v[r + 4] = -0.25;
        v[r + 5] = -0.0;
        v[r + w + 4] = -1;
        v[r + w + 5] = 0.0;                                               // mixed signs of zero, negatives
        v[r + 6] = v[r + 7] = v[r + w + 6] = v[r + w + 7] = -0.5;         // all negative
        return v;
    }

    private static double[] withSpecials(Random r, int n, int w) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (r.nextInt(9) - 4) / 4.0;
        }
        v[0] = Double.NaN;            // window (0,0): NaN in the first cell
        v[3] = Double.NaN;            // window (0,1): NaN in the second cell ...
        v[w + 3] = Double.NaN;        // ... and in the last: the last NaN's index wins
        v[4] = v[5] = v[w + 4] = v[w + 5] = Double.NEGATIVE_INFINITY; // window (0,2): all -inf
        v[6] = v[7] = v[w + 6] = v[w + 7] = 0.5; // window (0,3): four-way tie
        v[2 * w] = -0.0;
        return v;
    }
}
