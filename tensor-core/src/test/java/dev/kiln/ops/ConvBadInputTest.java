package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** One test per misuse of convolution and pooling, with PyTorch's message. */
class ConvBadInputTest extends KilnTest {

    private static void assertError(String message, Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    private static final long[] ONE = {1};
    private static final long[] ZERO = {0};

    @Test
    void conv2dInputRank() {
        assertError("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]",
                () -> F.conv2d(Tensor.zeros(2, 3), Tensor.zeros(8, 3, 3, 3), null));
    }

    @Test
    void conv1dInputRank() {
        assertError("Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [2, 3, 4, 5]",
                () -> F.conv1d(Tensor.zeros(2, 3, 4, 5), Tensor.zeros(8, 3, 3), null));
    }

    @Test
    void channelMismatch() {
        assertError("Given groups=1, weight of size [8, 3, 3, 3], expected input[1, 4, 5, 5] to have 3 channels, "
                + "but got 4 channels instead", () -> F.conv2d(Tensor.zeros(1, 4, 5, 5), Tensor.zeros(8, 3, 3, 3), null));
    }

    @Test
    void unbatchedChannelMismatchNamesTheBatchedShape() {
        assertError("Given groups=1, weight of size [8, 3, 3, 3], expected input[1, 4, 5, 5] to have 3 channels, "
                + "but got 4 channels instead", () -> F.conv2d(Tensor.zeros(4, 5, 5), Tensor.zeros(8, 3, 3, 3), null));
    }

    @Test
    void kernelLargerThanPaddedInput() {
        assertError("Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be "
                + "greater than actual input size", () -> F.conv2d(Tensor.zeros(1, 1, 4, 4), Tensor.zeros(1, 1, 5, 5), null));
    }

    @Test
    void dilatedKernelLargerThanInput() {
        assertError("Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be "
                + "greater than actual input size", () -> F.conv2d(Tensor.zeros(1, 1, 4, 4), Tensor.zeros(1, 1, 3, 3),
                null, ONE, ZERO, new long[] {2}, 1));
    }

    @Test
    void weightRankMismatch() {
        assertError("Expected 3-dimensional input for 3-dimensional weight [8, 3, 3], but got 4-dimensional input of "
                + "size [1, 3, 5, 5] instead", () -> F.conv2d(Tensor.zeros(1, 3, 5, 5), Tensor.zeros(8, 3, 3), null));
    }

    @Test
    void groupsNotDividingOutChannels() {
        assertError("Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size "
                + "[7, 2, 3, 3] instead", () -> F.conv2d(Tensor.zeros(1, 4, 5, 5), Tensor.zeros(7, 2, 3, 3), null,
                ONE, ZERO, ONE, 2));
    }

    @Test
    void biasLength() {
        assertError("Given weight of size [8, 3, 3, 3], expected bias to be 1-dimensional with 8 elements, but got "
                + "bias of size [7] instead", () -> F.conv2d(Tensor.zeros(1, 3, 5, 5), Tensor.zeros(8, 3, 3, 3),
                Tensor.zeros(7)));
    }

    @Test
    void nonPositiveStrideNegativePaddingZeroDilation() {
        Tensor x = Tensor.zeros(1, 1, 5, 5);
        Tensor w = Tensor.zeros(1, 1, 3, 3);
        assertError("non-positive stride is not supported", () -> F.conv2d(x, w, null, ZERO, ZERO, ONE, 1));
        assertError("negative padding is not supported", () -> F.conv2d(x, w, null, ONE, new long[] {-1}, ONE, 1));
        assertError("dilation should be greater than zero", () -> F.conv2d(x, w, null, ONE, ZERO, ZERO, 1));
        assertError("non-positive groups is not supported", () -> F.conv2d(x, w, null, ONE, ZERO, ONE, 0));
    }

    @Test
    void samePaddingWithStrideAndUnknownString() {
        Tensor x = Tensor.zeros(1, 1, 5, 5);
        Tensor w = Tensor.zeros(1, 1, 3, 3);
        assertError("padding='same' is not supported for strided convolutions",
                () -> F.conv2d(x, w, null, new long[] {2}, "same", ONE, 1));
        assertError("Invalid padding string 'full', should be one of {'valid', 'same'}",
                () -> F.conv2d(x, w, null, ONE, "full", ONE, 1));
    }

    @Test
    void mismatchedAndIntegerDtypes() {
        assertError("Input type (torch.DoubleTensor) and weight type (torch.FloatTensor) should be the same",
                () -> F.conv2d(Tensor.zeros(DType.FLOAT64, 1, 1, 5, 5), Tensor.zeros(1, 1, 3, 3), null));
        assertError("\"conv2d\" not implemented for 'Long'",
                () -> F.conv2d(Tensor.zeros(DType.INT64, 1, 1, 5, 5), Tensor.zeros(DType.INT64, 1, 1, 3, 3), null));
    }

    @Test
    void convTransposeOutputPaddingTooLarge() {
        assertError("output padding must be smaller than either stride or dilation, but got output_padding_height: 2 "
                + "output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1",
                () -> F.convTranspose2d(Tensor.zeros(1, 2, 3, 3), Tensor.zeros(2, 1, 3, 3), null, new long[] {2},
                        ZERO, new long[] {2}, 1, ONE));
    }

    @Test
    void convTransposeChannelMismatch() {
        assertError("Given transposed=1, weight of size [4, 8, 3, 3], expected input[1, 3, 5, 5] to have 4 channels, "
                + "but got 3 channels instead", () -> F.convTranspose2d(Tensor.zeros(1, 3, 5, 5),
                Tensor.zeros(4, 8, 3, 3), null));
    }

    @Test
    void poolInputRankAndPadding() {
        assertError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[2, 3]",
                () -> F.maxPool2d(Tensor.zeros(2, 3), 2));
        assertError("pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1",
                () -> F.maxPool2d(Tensor.zeros(1, 1, 6, 6), new long[] {2}, new long[0], new long[] {2}, ONE, false));
        assertError("pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1",
                () -> F.avgPool2d(Tensor.zeros(1, 1, 6, 6), new long[] {3}, new long[0], new long[] {2}, false, true));
    }

    @Test
    void poolOutputTooSmallAndBadKernel() {
        assertError("Given input size: (1x2x2). Calculated output size: (1x0x0). Output size is too small",
                () -> F.maxPool2d(Tensor.zeros(1, 1, 2, 2), 3));
        assertError("kernel size should be greater than zero, but got kH: 0 kW: 0",
                () -> F.avgPool2d(Tensor.zeros(1, 1, 2, 2), 0));
    }

    @Test
    void adaptivePoolRankAndEmptyInput() {
        assertError("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [4, 4]",
                () -> F.adaptiveAvgPool2d(Tensor.zeros(4, 4), 2));
        assertError("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input "
                + "has sizes [1, 2, 0, 3] with dimension 2 being empty",
                () -> F.adaptiveAvgPool2d(Tensor.zeros(1, 2, 0, 3), 2));
    }
}
