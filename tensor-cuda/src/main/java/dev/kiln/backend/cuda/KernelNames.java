package dev.kiln.backend.cuda;

import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.ReduceKernels;
import dev.kiln.backend.UnaryOp;
import dev.kiln.tensor.DType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ABI of the PTX kernels shipped in this jar ({@code src/main/cuda}, documented in full in its README): kernel
 * names, parameter counts, op codes and launch geometry. No JCuda here; the backend builds its launches from these.
 * {@code PtxCatalogTest} checks this catalog against the shipped PTX (every name, every parameter count) and the op
 * codes against {@code kiln.cuh}, so the two cannot drift apart.
 *
 * <p><b>Layout</b>, the strided-view argument, is a C struct passed <em>by value</em>: {@value #LAYOUT_BYTES} bytes,
 * 8-byte aligned, little-endian: {@code long long size[8]} at byte 0, {@code long long stride[8]} at byte 64 (both
 * in elements; entries at {@code d >= ndim} must be 0), {@code int ndim} at 128, {@code int contiguous} at 132
 * (1: row-major contiguous, a fast path only: strides must be filled anyway). The data pointer passed with a Layout
 * points at element {@code [0, ..., 0]} (storage address plus offset times element size).
 *
 * <p><b>Scalar parameters</b>: {@code long long} for counts, strides and int64 values; {@code int} for op codes,
 * dims, window fields and booleans (0/1); {@code double} for floating scalars (also for float32 kernels, which
 * round them as the CPU backend does); pointers are device pointers.
 */
public final class KernelNames {
    private KernelNames() {
    }

    // ------------------------------------------------------------------------------------------ Layout

    /** {@code KILN_MAX_DIMS}: tensors of higher rank must be coalesced or split by the caller. */
    public static final int MAX_DIMS = 8;
    public static final int LAYOUT_BYTES = 136;
    public static final int LAYOUT_ALIGN = 8;
    public static final int LAYOUT_SIZE_OFFSET = 0;
    public static final int LAYOUT_STRIDE_OFFSET = 64;
    public static final int LAYOUT_NDIM_OFFSET = 128;
    public static final int LAYOUT_CONTIGUOUS_OFFSET = 132;

    // ------------------------------------------------------------------------------------------ launch geometry

    /**
     * Threads per block of every 1-d grid-stride kernel (pointwise, thread-per-row reduce, index, conv, pool,
     * optim, random). Any grid size is correct; launch {@code min(ceil(work / 256), GRID_STRIDE_MAX_BLOCKS)}.
     */
    public static final int THREADS = 256;
    /** Cap on gridDim.x for grid-stride kernels (enough blocks to fill any current GPU many times over). */
    public static final int GRID_STRIDE_MAX_BLOCKS = 1 << 16;
    /**
     * {@code kiln_reduce_last_*} and {@code kiln_softmax_last_*}: one block of exactly {@value} threads per row
     * (blocks loop over rows, so gridDim.x = {@code min(rows, GRID_STRIDE_MAX_BLOCKS)}). Results depend on the
     * block size, so it is fixed; it must be a power of two no larger than 256.
     */
    public static final int REDUCE_THREADS = 256;
    /** {@code kiln_gemm_*}: blockDim = (256, 1, 1), gridDim = (ceil(N / 64), ceil(M / 64), batch). */
    public static final int GEMM_THREADS = 256;
    public static final int GEMM_TILE_M = 64;
    public static final int GEMM_TILE_N = 64;
    public static final int GEMM_TILE_K = 16;
    /** gridDim.z limit: larger batches are launched in chunks with offset pointers. */
    public static final int GEMM_MAX_BATCH = 65535;

    // ------------------------------------------------------------------------------------------ random

    /** Philox blocks (128-bit counters) per element count: {@code ceil(n / perBlock)} advances the offset. */
    public static final int UNIFORM_F32_PER_BLOCK = 4;
    public static final int UNIFORM_F64_PER_BLOCK = 2;
    public static final int NORMAL_F32_PER_BLOCK = 4;
    public static final int NORMAL_F64_PER_BLOCK = 2;
    public static final int RANDINT_I64_PER_BLOCK = 2;

    /** Philox counter blocks a random kernel uses for {@code n} elements (the generator's offset advance). */
    public static long philoxBlocks(long n, int perBlock) {
        return (n + perBlock - 1) / perBlock;
    }

    // ------------------------------------------------------------------------------------------ modules

    /** One PTX module per family, a resource of this jar. */
    public enum Family {
        POINTWISE, REDUCE, INDEX, CONV, POOL, OPTIM, RANDOM, GEMM;

        /** Classpath resource of the family's PTX, e.g. {@code /dev/kiln/backend/cuda/kernels/pointwise.ptx}. */
        public String resource() {
            return "/dev/kiln/backend/cuda/kernels/" + name().toLowerCase() + ".ptx";
        }
    }

    /** A kernel: its PTX module and its number of parameters. */
    public record Kernel(String name, Family family, int params) {
    }

    // ------------------------------------------------------------------------------------------ op codes

    /** The {@code op} argument of {@code kiln_unary_*}: the enum ordinal (LOGICAL_NOT has its own kernel). */
    public static int opCode(UnaryOp op) {
        return op.ordinal();
    }

    /** The {@code op} of {@code kiln_binary_*} (ADD..THRESHOLD_BACKWARD) or {@code kiln_compare_*} (EQ..GE). */
    public static int opCode(BinaryOp op) {
        return op.ordinal();
    }

    /** The {@code op} argument of {@code kiln_reduce_last_*}. */
    public static int opCode(ReduceKernels.Op op) {
        return op.ordinal();
    }

    // ------------------------------------------------------------------------------------------ dtypes

    /** Storage suffix: bool shares uint8's kernels (its values are 0/1 bytes). */
    public static String suffix(DType t) {
        return switch (t) {
            case FLOAT32 -> "f32";
            case FLOAT64 -> "f64";
            case INT64 -> "i64";
            case INT32 -> "i32";
            case UINT8, BOOL -> "u8";
            case FLOAT16 -> "f16";
            case BFLOAT16 -> "bf16";
        };
    }

    /**
     * Suffix of the kernels that have a bool variant, where bool stores {@code value != 0} (unary, clamp, fill,
     * copy, scatter, index_add): bool is {@code b8}.
     */
    public static String exactSuffix(DType t) {
        return t == DType.BOOL ? "b8" : suffix(t);
    }

    private static final DType[] STORAGE = {DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32, DType.UINT8};
    private static final DType[] ALL = {DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32, DType.UINT8,
        DType.BOOL};
    private static final DType[] FLOATING = {DType.FLOAT32, DType.FLOAT64};
    /** Only copies and fills exist for these: every other kernel sees float32 ({@code HalfAsFloat32}). */
    private static final DType[] HALF = {DType.FLOAT16, DType.BFLOAT16};

    private static String floating(String kernel, DType t) {
        if (!t.isFloatingPoint()) {
            throw new IllegalArgumentException("No CUDA kernel " + kernel + " for " + t.torchName()
                    + ": only torch.float32 and torch.float64");
        }
        return kernel + "_" + suffix(t);
    }

    // ------------------------------------------------------------------------------------------ names

    /** {@code (int op, long long n, const T* in, Layout inL, T* out, Layout outL)}. */
    public static String unary(DType t) {
        return "kiln_unary_" + exactSuffix(t);
    }

    /** {@code (long long n, const T* in, Layout inL, unsigned char* out, Layout outL)}. */
    public static String logicalNot(DType t) {
        return "kiln_logical_not_" + suffix(t);
    }

    /** {@code (int op, long long n, const T* a, Layout aL, const T* b, Layout bL, T* out, Layout outL)}. */
    public static String binary(DType t) {
        return "kiln_binary_" + suffix(t);
    }

    /** As {@link #binary} with {@code unsigned char* out}. */
    public static String compare(DType t) {
        return "kiln_compare_" + suffix(t);
    }

    /**
     * {@code (long long n, const unsigned char* cond, Layout condL, const T* a, Layout aL, const T* b, Layout bL,
     * T* out, Layout outL)}: {@code out = cond ? a : b}, copying bits.
     */
    public static String where(DType t) {
        return "kiln_where_" + suffix(t);
    }

    /** {@code (long long n, const T* in, Layout inL, double lo, double hi, T* out, Layout outL)}. */
    public static String clamp(DType t) {
        return "kiln_clamp_" + exactSuffix(t);
    }

    /** {@code (long long n, double value, T* out, Layout outL)}. */
    public static String fill(DType t) {
        return "kiln_fill_" + exactSuffix(t);
    }

    /** {@code (long long n, const S* src, Layout srcL, D* dst, Layout dstL)}. */
    public static String copy(DType src, DType dst) {
        return "kiln_copy_" + exactSuffix(src) + "_" + exactSuffix(dst);
    }

    /** {@code (int op, long long rows, long long cols, const T* in, Layout inL, void* out)}, block per row. */
    public static String reduceLast(DType t) {
        return "kiln_reduce_last_" + suffix(t);
    }

    /** As {@link #reduceLast}, one thread per row (the CPU's summation order; for short or outer-strided rows). */
    public static String reduceLastThread(DType t) {
        return "kiln_reduce_last_thread_" + suffix(t);
    }

    /** {@code (long long rows, long long cols, const T* in, T* out, int logSoftmax)}, contiguous. */
    public static String softmaxLast(DType t) {
        return floating("kiln_softmax_last", t);
    }

    /**
     * {@code (long long n, const T* in, Layout inL, int dim, const long long* index, Layout indexL, T* out,
     * Layout outL)}, n = index numel.
     */
    public static String gather(DType t) {
        return "kiln_gather_" + suffix(t);
    }

    /**
     * {@code (long long n, T* out, Layout outL, int dim, const long long* index, Layout indexL, const T* src,
     * Layout srcL, int accumulate)}, n = index numel.
     */
    public static String scatter(DType t) {
        return "kiln_scatter_" + exactSuffix(t);
    }

    /**
     * {@code (long long n, const T* in, Layout inL, int dim, const long long* index, long long indexStride, T* out,
     * Layout outL)}, n = out numel.
     */
    public static String indexSelect(DType t) {
        return "kiln_index_select_" + suffix(t);
    }

    /**
     * {@code (long long n, T* out, Layout outL, int dim, const long long* index, long long indexStride,
     * const T* src, Layout srcL)}, n = src numel.
     */
    public static String indexAdd(DType t) {
        return "kiln_index_add_" + exactSuffix(t);
    }

    /**
     * {@code (const T* in, int N, int C, int H, int W, <Window2d: 10 ints>, T* cols, long long colsBatchStride,
     * long long colsRowStride)}.
     */
    public static String im2col(DType t) {
        return floating("kiln_im2col", t);
    }

    /**
     * {@code (const T* cols, long long colsBatchStride, long long colsRowStride, int N, int C, int H, int W,
     * <Window2d: 10 ints>, T* out)}.
     */
    public static String col2im(DType t) {
        return floating("kiln_col2im", t);
    }

    /** {@code (const T* in, int N, int C, int H, int W, <Window2d>, T* out, long long* indices)}. */
    public static String maxPool2d(DType t) {
        return floating("kiln_max_pool2d", t);
    }

    /** {@code (const T* grad, const long long* indices, int N, int C, int H, int W, <Window2d>, T* gradIn)}. */
    public static String maxPool2dBackward(DType t) {
        return floating("kiln_max_pool2d_backward", t);
    }

    /**
     * {@code (const T* grad, const long long* indices, long long planes, long long outPlane, long long inPlane,
     * T* gradIn)}: atomics into a zeroed gradIn; deterministic only for non-overlapping windows.
     */
    public static String maxPool2dBackwardScatter(DType t) {
        return floating("kiln_max_pool2d_backward_scatter", t);
    }

    /** {@code (const T* in, int N, int C, int H, int W, <Window2d>, int countIncludePad, T* out)}. */
    public static String avgPool2d(DType t) {
        return floating("kiln_avg_pool2d", t);
    }

    /** {@code (const T* grad, int N, int C, int H, int W, <Window2d>, int countIncludePad, T* gradIn)}. */
    public static String avgPool2dBackward(DType t) {
        return floating("kiln_avg_pool2d_backward", t);
    }

    /** {@code (const T* in, int N, int C, int H, int W, int oh, int ow, T* out)}. */
    public static String adaptiveAvgPool2d(DType t) {
        return floating("kiln_adaptive_avg_pool2d", t);
    }

    /** {@code (const T* grad, int N, int C, int H, int W, int oh, int ow, T* gradIn)}. */
    public static String adaptiveAvgPool2dBackward(DType t) {
        return floating("kiln_adaptive_avg_pool2d_backward", t);
    }

    /** {@code (long long n, T* p, const T* grad, T* m, T* v, T* vMax|null, <AdamHyper: 5 double, 2 int, 2 double>)}. */
    public static String adam(DType t) {
        return floating("kiln_adam", t);
    }

    /** {@code (long long n, T* p, const T* grad, T* buf|null, <SgdHyper: 4 double, 3 int>)}. */
    public static String sgd(DType t) {
        return floating("kiln_sgd", t);
    }

    /** {@code (long long n, unsigned long long seed, unsigned long long offset, double lo, double hi, T* out)}. */
    public static String uniform(DType t) {
        return floating("kiln_uniform", t);
    }

    /** {@code (long long n, unsigned long long seed, unsigned long long offset, double mean, double std, T* out)}. */
    public static String normal(DType t) {
        return floating("kiln_normal", t);
    }

    /**
     * {@code (long long n, unsigned long long seed, unsigned long long offset, long long lo, long long hi,
     * long long* out)}.
     */
    public static final String RANDINT_I64 = "kiln_randint_i64";

    /** {@code (int transA, int transB, int M, int N, int K, A, lda, strideA, B, ldb, strideB, C, ldc, strideC)}. */
    public static String gemm(DType t) {
        return floating("kiln_gemm", t);
    }

    // ------------------------------------------------------------------------------------------ catalog

    private static final Map<String, Kernel> CATALOG = buildCatalog();

    /** Every kernel in the shipped PTX, by name, in a stable order. */
    public static Map<String, Kernel> catalog() {
        return CATALOG;
    }

    private static Map<String, Kernel> buildCatalog() {
        Map<String, Kernel> c = new LinkedHashMap<>();
        for (DType t : STORAGE) {
            add(c, Family.POINTWISE, 5, logicalNot(t));
            add(c, Family.POINTWISE, 8, binary(t));
            add(c, Family.POINTWISE, 8, compare(t));
            add(c, Family.POINTWISE, 9, where(t));
            add(c, Family.REDUCE, 6, reduceLast(t));
            add(c, Family.REDUCE, 6, reduceLastThread(t));
            add(c, Family.INDEX, 8, gather(t));
            add(c, Family.INDEX, 8, indexSelect(t));
        }
        for (DType t : ALL) {
            add(c, Family.POINTWISE, 6, unary(t));
            add(c, Family.POINTWISE, 7, clamp(t));
            add(c, Family.POINTWISE, 4, fill(t));
            add(c, Family.INDEX, 9, scatter(t));
            add(c, Family.INDEX, 8, indexAdd(t));
            for (DType d : ALL) {
                add(c, Family.POINTWISE, 5, copy(t, d));
            }
        }
        for (DType h : HALF) {
            add(c, Family.POINTWISE, 4, fill(h));
            add(c, Family.POINTWISE, 5, copy(h, h));
            for (DType d : ALL) {
                add(c, Family.POINTWISE, 5, copy(h, d));
                add(c, Family.POINTWISE, 5, copy(d, h));
            }
        }
        add(c, Family.POINTWISE, 5, copy(DType.FLOAT16, DType.BFLOAT16));
        add(c, Family.POINTWISE, 5, copy(DType.BFLOAT16, DType.FLOAT16));
        for (DType t : FLOATING) {
            add(c, Family.REDUCE, 5, softmaxLast(t));
            add(c, Family.CONV, 18, im2col(t));
            add(c, Family.CONV, 18, col2im(t));
            add(c, Family.POOL, 17, maxPool2d(t));
            add(c, Family.POOL, 17, maxPool2dBackward(t));
            add(c, Family.POOL, 6, maxPool2dBackwardScatter(t));
            add(c, Family.POOL, 17, avgPool2d(t));
            add(c, Family.POOL, 17, avgPool2dBackward(t));
            add(c, Family.POOL, 8, adaptiveAvgPool2d(t));
            add(c, Family.POOL, 8, adaptiveAvgPool2dBackward(t));
            add(c, Family.OPTIM, 15, adam(t));
            add(c, Family.OPTIM, 11, sgd(t));
            add(c, Family.RANDOM, 6, uniform(t));
            add(c, Family.RANDOM, 6, normal(t));
            add(c, Family.GEMM, 14, gemm(t));
        }
        add(c, Family.RANDOM, 6, RANDINT_I64);
        return Collections.unmodifiableMap(c);
    }

    private static void add(Map<String, Kernel> c, Family family, int params, String name) {
        if (c.put(name, new Kernel(name, family, params)) != null) {
            throw new IllegalStateException("kernel " + name + " is listed twice");
        }
    }
}
