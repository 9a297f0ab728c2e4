package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.KernelArg;
import dev.kiln.backend.PointwiseKernels.AdamHyper;
import dev.kiln.backend.PointwiseKernels.SgdHyper;
import dev.kiln.backend.RandomSource;
import dev.kiln.backend.ReduceKernels.Op;
import dev.kiln.backend.UnaryOp;
import dev.kiln.backend.Window2d;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.testing.KilnTest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Java side of every kernel launch, checked without a GPU: the kernel families run unchanged over a
 * {@link FakeGpu} that records what would be queued, and each recorded launch must name a kernel of the shipped PTX
 * and pass exactly the parameters its PTX entry declares, kind by kind ({@code .u32} an int, {@code .u64} a long
 * or pointer, {@code .f64} a double, a 136-byte aligned {@code .b8} array a Layout). Every kernel of the catalog
 * is reached except those the SPI gives no way to call. Scratch tensors must all be returned.
 */
class CudaLaunchAbiTest extends KilnTest {
    private static final Map<KernelNames.Family, Map<String, List<String>>> PTX = PtxFiles.shippedEntries();
    /** The scatter variant serves callers without the window; the SPI passes the window, so it is never used. */
    private static final Set<String> UNREACHABLE = Set.of("kiln_max_pool2d_backward_scatter_f32",
            "kiln_max_pool2d_backward_scatter_f64");

    private final FakeGpu gpu = new FakeGpu();
    private final CudaPointwise pointwise = new CudaPointwise(gpu.queues());
    private final CudaReduce reduce = new CudaReduce(gpu.queues());
    private final CudaIndex index = new CudaIndex(gpu.queues());
    private final CudaConv conv = new CudaConv(gpu.queues());
    private final CudaRandom random = new CudaRandom(gpu.queues());
    private final CudaLinalg linalg = new CudaLinalg(gpu.queues(), true);

    @AfterEach
    void everyBlockWasReturned() {
        assertEquals(0, gpu.allocator.stats().activeBlocks(), "device blocks still held after the test");
    }

    @Test
    void everyCatalogKernelIsLaunchedWithTheParametersItsPtxDeclares() {
        for (DType t : DType.values()) {
            if (t.isHalf()) { // only copies and fills: other kernels get float32 from HalfAsFloat32
                KernelArg h = gpu.tensor(t, 2, 3);
                pointwise.fill(h, 2.5);
                FakeGpu.release(h);
            } else {
                drivePointwise(t);
                driveIndex(t);
                driveReduce(t);
            }
            for (DType u : DType.values()) {
                KernelArg src = gpu.tensor(t, 3, 4);
                KernelArg dst = gpu.tensor(u, 4, 3);
                pointwise.copy(transposed(src), dst); // strided: always a kernel, also for t == u
                FakeGpu.release(src, dst);
            }
        }
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            driveConv(t);
            driveFloatingOnly(t);
        }
        KernelArg ints = gpu.tensor(DType.INT64, 10);
        random.randint(ints, -3, 7, new Generator(1));
        FakeGpu.release(ints);

        Set<String> launched = new TreeSet<>();
        for (FakeGpu.Op op : gpu.ops) {
            if (op.params() != null) {
                assertMatchesPtx(op);
                launched.add(op.name());
            }
        }
        Set<String> missing = new TreeSet<>(KernelNames.catalog().keySet());
        missing.removeAll(launched);
        missing.removeAll(UNREACHABLE);
        assertTrue(missing.isEmpty(), "kernels never launched: " + missing);
    }

    private void drivePointwise(DType t) {
        KernelArg a = gpu.tensor(t, 2, 3);
        KernelArg b = gpu.tensor(t, 2, 3);
        KernelArg out = gpu.tensor(t, 2, 3);
        KernelArg mask = gpu.tensor(DType.BOOL, 2, 3);
        pointwise.unary(UnaryOp.NEG, a, out);
        pointwise.unary(UnaryOp.LOGICAL_NOT, a, mask);
        pointwise.binary(BinaryOp.ADD, a, b, out);
        pointwise.binary(BinaryOp.LT, a, b, mask);
        pointwise.where(mask, a, b, out);
        pointwise.clamp(a, -1, 1, out);
        pointwise.fill(out, 2.5);
        FakeGpu.release(a, b, out, mask);
    }

    private void driveIndex(DType t) {
        KernelArg in = gpu.tensor(t, 3, 4);
        KernelArg idx = gpu.tensor(DType.INT64, 3, 2);
        KernelArg out = gpu.tensor(t, 3, 2);
        KernelArg idx1 = gpu.tensor(DType.INT64, 2);
        index.gather(in, 1, idx, out);
        index.scatter(in, 1, idx, out, true);
        index.indexSelect(in, 1, idx1, out);
        index.indexAdd(in, 1, idx1, out);
        FakeGpu.release(in, idx, out, idx1);
    }

    private void driveReduce(DType t) {
        KernelArg longRows = gpu.tensor(t, 4, 1000);
        KernelArg shortRows = gpu.tensor(t, 4, 10);
        KernelArg sums = gpu.tensor(CudaReduce.producedType(Op.SUM, t), 4);
        KernelArg max = gpu.tensor(t, 4);
        reduce.reduceLastDim(Op.SUM, longRows, sums);
        reduce.reduceLastDim(Op.MAX, shortRows, max);
        FakeGpu.release(longRows, shortRows, sums, max);
    }

    private void driveConv(DType t) {
        Window2d w = new Window2d(2, 2, 2, 2, 0, 0, 1, 1, 2, 2);
        KernelArg img = gpu.tensor(t, 1, 3, 4, 4);
        KernelArg cols = gpu.tensor(t, 1, 12, 4);
        KernelArg pooled = gpu.tensor(t, 1, 3, 2, 2);
        KernelArg indices = gpu.tensor(DType.INT64, 1, 3, 2, 2);
        conv.im2col(img, w, cols);
        conv.col2im(cols, w, img);
        conv.maxPool2d(img, w, pooled, indices);
        conv.maxPool2dBackward(pooled, indices, w, img);
        conv.avgPool2d(img, w, true, pooled);
        conv.avgPool2dBackward(pooled, w, false, img);
        conv.adaptiveAvgPool2d(img, pooled);
        conv.adaptiveAvgPool2dBackward(pooled, img);
        FakeGpu.release(img, cols, pooled, indices);
    }

    private void driveFloatingOnly(DType t) {
        KernelArg p = gpu.tensor(t, 5);
        KernelArg g = gpu.tensor(t, 5);
        KernelArg m = gpu.tensor(t, 5);
        KernelArg v = gpu.tensor(t, 5);
        assertTrue(pointwise.adamStep(p, g, m, v, null,
                new AdamHyper(0.1, 0.9, 0.999, 1e-8, 0, false, false, 0.1, 0.03)));
        assertTrue(pointwise.sgdStep(p, g, m, new SgdHyper(0.1, 0.9, 0, 0, false, false, true)));
        reduce.softmaxLastDim(p, g, true);
        random.uniform(p, new Generator(2));
        random.normal(p, new Generator(3));
        KernelArg a = gpu.tensor(t, 2, 3, 4);
        KernelArg b = gpu.tensor(t, 2, 4, 5);
        KernelArg c = gpu.tensor(t, 2, 3, 5);
        linalg.bmm(a, b, c);
        FakeGpu.release(p, g, m, v, a, b, c);
    }

    /** Each parameter's kind against the PTX entry's declaration, and the count. */
    private static void assertMatchesPtx(FakeGpu.Op op) {
        KernelNames.Kernel k = KernelNames.catalog().get(op.name());
        assertNotNull(k, op.name() + " is not in the catalog");
        List<String> decls = PTX.get(k.family()).get(op.name());
        assertNotNull(decls, op.name() + " is not in " + k.family().resource());
        Params p = op.params();
        assertEquals(decls.size(), p.size(), op.name() + ": parameter count");
        for (int i = 0; i < decls.size(); i++) {
            String d = decls.get(i);
            boolean ok = switch (p.kind(i)) {
                case I32 -> d.matches("\\.param \\.[usb]32 \\w+");
                case I64, POINTER -> d.matches("\\.param \\.[usb]64 \\w+");
                case F32 -> d.matches("\\.param \\.f32 \\w+");
                case F64 -> d.matches("\\.param \\.f64 \\w+");
                case LAYOUT -> d.matches("\\.param \\.align 8 \\.b8 \\w+\\[136]");
            };
            assertTrue(ok, op.name() + " parameter " + i + ": Java passes " + p.kind(i) + ", the PTX declares " + d);
        }
    }

    private static KernelArg transposed(KernelArg t) {
        return t.view(new long[] {t.size(1), t.size(0)}, new long[] {t.stride(1), t.stride(0)}, 0);
    }

    // ------------------------------------------------------------------------------------- what gets queued

    @Test
    void contiguousSameDtypeCopiesAndZeroFillsNeedNoKernel() {
        KernelArg a = gpu.tensor(DType.FLOAT32, 6);
        KernelArg b = gpu.tensor(DType.FLOAT32, 6);
        pointwise.copy(a, b);
        pointwise.fill(b, 0);
        pointwise.fill(b, -0.0); // the sign bit is set: a kernel, not a memset
        assertEquals(List.of("copy", "memset", "kiln_fill_f32"), gpu.names());
        assertEquals(24, gpu.ops.get(0).work(), "bytes copied");
        FakeGpu.release(a, b);
    }

    @Test
    void opCodesAreTheEnumOrdinalsAndCountsTheElements() {
        KernelArg a = gpu.tensor(DType.FLOAT64, 2, 3);
        KernelArg out = gpu.tensor(DType.BOOL, 2, 3);
        pointwise.binary(BinaryOp.GE, a, a, out);
        FakeGpu.Op op = gpu.last();
        assertEquals("kiln_compare_f64", op.name());
        assertEquals(BinaryOp.GE.ordinal(), op.params().bits(0));
        assertEquals(6, op.params().bits(1));
        assertEquals(a.dataAddress(), op.params().bits(2));
        FakeGpu.release(a, out);
    }

    @Test
    void anOutputOfAnotherDtypeGoesThroughAScratchTensorAndAConvertingCopy() {
        KernelArg a = gpu.tensor(DType.INT32, 4, 100);
        KernelArg out = gpu.tensor(DType.FLOAT64, 4); // the kernel writes int64 sums
        reduce.reduceLastDim(Op.SUM, a, out);
        assertEquals(List.of("kiln_reduce_last_i32", "kiln_copy_i64_f64"), gpu.names());
        FakeGpu.release(a, out);
    }

    @Test
    void shortRowsAndOuterStridedRowsAreReducedOneThreadPerRow() {
        KernelArg wide = gpu.tensor(DType.FLOAT32, 8, 1000);
        KernelArg tall = gpu.tensor(DType.FLOAT32, 5000, 100);
        KernelArg out8 = gpu.tensor(DType.FLOAT32, 8);
        KernelArg out100 = gpu.tensor(DType.FLOAT32, 100);
        KernelArg out5000 = gpu.tensor(DType.FLOAT32, 5000);
        reduce.reduceLastDim(Op.SUM, wide, out8);
        reduce.reduceLastDim(Op.SUM, transposed(tall), out100); // 100 rows: too few to fill a GPU one per thread
        reduce.reduceLastDim(Op.SUM, tall, out5000); // contiguous rows of 100: a block each
        KernelArg bias = gpu.tensor(DType.FLOAT32, 100, 5000);
        reduce.reduceLastDim(Op.SUM, transposed(bias), out5000); // 5000 rows of stride 5000... adjacent rows
        assertEquals(List.of("kiln_reduce_last_f32", "kiln_reduce_last_f32", "kiln_reduce_last_f32",
                "kiln_reduce_last_thread_f32"), gpu.names());
        FakeGpu.Op block = gpu.ops.get(0);
        assertEquals(8, block.gx());
        assertEquals(KernelNames.REDUCE_THREADS, block.threads());
        FakeGpu.release(wide, tall, out8, out100, out5000, bias);
    }

    /** Row-major C = A B through the PTX GEMM: a transposed view is passed in place with transA = 1. */
    @Test
    void gemmTakesTransposedViewsInPlaceAndCopiesOtherLayouts() {
        KernelArg a = gpu.tensor(DType.FLOAT32, 1, 4, 3); // A^T stored: [1, 4, 3] viewed as [1, 3, 4]
        KernelArg at = a.view(new long[] {1, 3, 4}, new long[] {12, 1, 3}, 0);
        KernelArg b = gpu.tensor(DType.FLOAT32, 1, 4, 5);
        KernelArg c = gpu.tensor(DType.FLOAT32, 1, 3, 5);
        linalg.bmm(at, b, c);
        FakeGpu.Op gemm = gpu.last();
        assertEquals("kiln_gemm_f32", gemm.name());
        Params p = gemm.params();
        assertEquals(List.of(1L, 0L, 3L, 5L, 4L), List.of(p.bits(0), p.bits(1), p.bits(2), p.bits(3), p.bits(4)));
        assertEquals(3, p.bits(6), "lda: A is [4, 3] row-major in memory");
        assertEquals(5, p.bits(9), "ldb");
        assertEquals(5, p.bits(12), "ldc");
        assertEquals(List.of(1, 1, 1), List.of(gemm.gx(), gemm.gy(), gemm.gz()));
        KernelArg strided = a.view(new long[] {1, 2, 2}, new long[] {12, 6, 2}, 0); // neither layout: copied
        KernelArg b2 = gpu.tensor(DType.FLOAT32, 1, 2, 5);
        KernelArg c2 = gpu.tensor(DType.FLOAT32, 1, 2, 5);
        gpu.ops.clear();
        linalg.bmm(strided, b2, c2);
        assertEquals(List.of("kiln_copy_f32_f32", "kiln_gemm_f32"), gpu.names());
        FakeGpu.release(a, b, c, b2, c2);
    }

    /** nn.Linear's [B, M, K] @ broadcast [K, N] is one GEMM of B*M rows. */
    @Test
    void aBroadcastRightOperandBecomesOneTallGemm() {
        KernelArg x = gpu.tensor(DType.FLOAT32, 8, 16, 32);
        KernelArg w = gpu.tensor(DType.FLOAT32, 32, 10);
        KernelArg wb = w.view(new long[] {8, 32, 10}, new long[] {0, 10, 1}, 0);
        KernelArg y = gpu.tensor(DType.FLOAT32, 8, 16, 10);
        linalg.bmm(x, wb, y);
        Params p = gpu.last().params();
        assertEquals(128, p.bits(2), "M = 8 * 16");
        assertEquals(1, gpu.last().gz(), "one batch");
        FakeGpu.release(x, w, y);
    }

    @Test
    void integerMatrixProductsFailLikePyTorch() {
        KernelArg a = gpu.tensor(DType.INT64, 1, 2, 2);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> linalg.bmm(a, a, a));
        assertEquals("\"bmm_cuda\" not implemented for 'Long'", e.getMessage());
        FakeGpu.release(a);
    }

    @Test
    void fusedOptimizerStepsDeclineWhatTheirKernelsCannotDo() {
        KernelArg p = gpu.tensor(DType.FLOAT32, 6);
        KernelArg g64 = gpu.tensor(DType.FLOAT64, 6);
        KernelArg m = gpu.tensor(DType.FLOAT32, 6);
        KernelArg pi = gpu.tensor(DType.INT64, 6);
        KernelArg strided = p.view(new long[] {3}, new long[] {2}, 0);
        AdamHyper h = new AdamHyper(0.1, 0.9, 0.999, 1e-8, 0, false, false, 0.1, 0.03);
        assertFalse(pointwise.adamStep(p, g64, m, m, null, h), "mixed dtypes");
        assertFalse(pointwise.adamStep(pi, pi, pi, pi, null, h), "integers");
        assertFalse(pointwise.sgdStep(strided, strided, null, new SgdHyper(0.1, 0, 0, 0, false, false, false)));
        assertTrue(gpu.ops.isEmpty(), "nothing touched");
        FakeGpu.release(p, g64, m, pi);
    }

    /** One draw from the generator per launch, used as the Philox key; the counter starts at 0. */
    @Test
    void randomFillsTakeOneSeedPerLaunchFromTheGenerator() {
        KernelArg out = gpu.tensor(DType.FLOAT32, 10);
        long expected = new Generator(7).nextLong();
        RandomSource source = new Generator(7);
        random.uniform(out, source);
        Params p = gpu.last().params();
        assertEquals(10, p.bits(0));
        assertEquals(expected, p.bits(1));
        assertEquals(0, p.bits(2));
        assertEquals(0.0, Double.longBitsToDouble(p.bits(3)));
        assertEquals(1.0, Double.longBitsToDouble(p.bits(4)));
        assertEquals(3, gpu.last().work(), "ceil(10 / 4) Philox blocks");
        assertNotEquals(expected, source.nextLong(), "the source advanced past the seed it gave");
        FakeGpu.release(out);
    }

    @Test
    void maxPoolBackwardGathersPerInputPixelWithTheWindow() {
        KernelArg grad = gpu.tensor(DType.FLOAT32, 2, 3, 2, 2);
        KernelArg indices = gpu.tensor(DType.INT64, 2, 3, 2, 2);
        KernelArg gradIn = gpu.tensor(DType.FLOAT32, 2, 3, 5, 5);
        Window2d w = new Window2d(3, 3, 2, 2, 0, 0, 1, 1, 2, 2); // overlapping windows: a scatter would race
        conv.maxPool2dBackward(grad, indices, w, gradIn);
        assertEquals(List.of("kiln_max_pool2d_backward_f32"), gpu.names(), "no memset, no atomics");
        Params p = gpu.last().params();
        assertEquals(List.of(2L, 3L, 5L, 5L, 3L), List.of(p.bits(2), p.bits(3), p.bits(4), p.bits(5), p.bits(6)));
        FakeGpu.release(grad, indices, gradIn);
    }

    @Test
    void emptyTensorsLaunchNothing() {
        KernelArg e = gpu.tensor(DType.FLOAT32, 0, 3);
        pointwise.unary(UnaryOp.EXP, e, e);
        pointwise.fill(e, 1);
        random.normal(e, new Generator(1));
        assertTrue(gpu.ops.isEmpty());
        FakeGpu.release(e);
    }
}
