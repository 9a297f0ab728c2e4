package dev.kiln.ops;

import dev.kiln.autograd.GradCheck;
import dev.kiln.backend.Window2d;
import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Float64 finite-difference gradient checks for every convolution and pooling op, input, weight and bias. */
class ConvGradCheckTest extends KilnTest {

    private static Tensor randn(long seed, long... shape) {
        return Tensor.randn(shape, DType.FLOAT64, new Generator(seed)).requiresGrad_(true);
    }

    @Test
    void unfoldAndFold() {
        Window2d w = new Window2d(2, 3, 2, 1, 1, 1, 1, 2, 3, 2);
        GradCheck.check(in -> Im2Col.unfold(in.get(0), w), List.of(randn(1, 2, 2, 4, 5)));
        GradCheck.check(in -> Im2Col.fold(in.get(0), w, 4, 5), List.of(randn(2, 2, 12, 6)));
    }

    @Test
    void conv2dStridePaddingDilation() {
        GradCheck.check(in -> F.conv2d(in.get(0), in.get(1), in.get(2), new long[] {2, 1}, new long[] {1, 2},
                new long[] {1, 2}, 1), List.of(randn(1, 2, 3, 6, 5), randn(2, 4, 3, 3, 2), randn(3, 4)));
    }

    @Test
    void conv2dGroupsAndDilation() {
        GradCheck.check(in -> F.conv2d(in.get(0), in.get(1), in.get(2), new long[] {1}, new long[] {2},
                new long[] {2}, 2), List.of(randn(4, 2, 4, 5, 5), randn(5, 6, 2, 3, 3), randn(6, 6)));
    }

    @Test
    void conv2dSamePaddingNoBias() {
        GradCheck.check(in -> F.conv2d(in.get(0), in.get(1), null, new long[] {1}, "same", new long[] {1, 2}, 1),
                List.of(randn(7, 1, 2, 5, 4), randn(8, 3, 2, 4, 3)));
    }

    @Test
    void conv2dUnbatched() {
        GradCheck.check(in -> F.conv2d(in.get(0), in.get(1), in.get(2), 1, 1),
                List.of(randn(9, 2, 4, 4), randn(10, 3, 2, 3, 3), randn(11, 3)));
    }

    @Test
    void conv1dAllOptions() {
        GradCheck.check(in -> F.conv1d(in.get(0), in.get(1), in.get(2), new long[] {2}, new long[] {1},
                new long[] {2}, 3), List.of(randn(12, 2, 3, 9), randn(13, 6, 1, 3), randn(14, 6)));
        GradCheck.check(in -> F.conv1d(in.get(0), in.get(1), null, new long[] {1}, "same", new long[] {1}, 1),
                List.of(randn(15, 1, 2, 6), randn(16, 2, 2, 4)));
    }

    @Test
    void convTranspose2dGroupsStrideOutputPadding() {
        GradCheck.check(in -> F.convTranspose2d(in.get(0), in.get(1), in.get(2), new long[] {2}, new long[] {1},
                new long[] {1}, 2, new long[] {1, 2}), List.of(randn(17, 2, 4, 3, 3), randn(18, 4, 2, 3, 2),
                randn(19, 4)));
    }

    @Test
    void maxPool2dWithPaddingDilationCeilMode() {
        GradCheck.check(in -> F.maxPool2d(in.get(0), new long[] {3, 2}, new long[] {2}, new long[] {1},
                new long[] {1, 2}, true), List.of(randn(20, 2, 2, 7, 8)));
        GradCheck.check(in -> F.maxPool2d(in.get(0), 2), List.of(randn(21, 3, 6, 6)));
    }

    @Test
    void avgPool2dBothPadCountsAndCeilMode() {
        for (boolean include : new boolean[] {true, false}) {
            GradCheck.check(in -> F.avgPool2d(in.get(0), new long[] {3}, new long[] {2}, new long[] {1}, true, include),
                    List.of(randn(22, 2, 2, 7, 8)));
        }
        GradCheck.check(in -> F.avgPool2d(in.get(0), 2), List.of(randn(23, 3, 4, 6)));
    }

    @Test
    void adaptiveAvgPool2d() {
        GradCheck.check(in -> F.adaptiveAvgPool2d(in.get(0), 3, 2), List.of(randn(24, 2, 3, 7, 5)));
        GradCheck.check(in -> F.adaptiveAvgPool2d(in.get(0), 1), List.of(randn(25, 2, 4, 3)));
    }
}
