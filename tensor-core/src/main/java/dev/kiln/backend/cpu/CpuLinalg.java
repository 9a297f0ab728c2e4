package dev.kiln.backend.cpu;

import dev.kiln.backend.LinalgKernels;
import dev.kiln.tensor.DType;
import dev.kiln.backend.KernelArg;
import dev.kiln.memory.Storage;

/**
 * Batched matrix products on the host. float32/float64 go to {@link Blas} (OpenBLAS) straight on the tensors'
 * memory, or to {@link JavaGemm} when BLAS is unavailable; integer dtypes use a simple exact loop.
 *
 * <p>Each operand's last two dims are handed to GEMM without copying when they are row-major (strides
 * {@code (ld, 1)}) or column-major (strides {@code (1, ld)}, i.e. a transposed view, passed as {@code CblasTrans});
 * any other layout is first copied to a contiguous scratch tensor.
 */
final class CpuLinalg implements LinalgKernels {
    private static final CpuPointwise COPY = new CpuPointwise(); // scratch copies and fills, already fenced

    private final boolean preferBlas;

    CpuLinalg() {
        this(true);
    }

    /** @param preferBlas false forces the Java GEMM (tests use it as the reference for the BLAS route) */
    CpuLinalg(boolean preferBlas) {
        this.preferBlas = preferBlas;
    }

    @Override
    public void bmm(KernelArg a, KernelArg b, KernelArg out) {
        checkArgs(a, b, out);
        long m = a.size(1);
        long n = b.size(2);
        if (out.numel() == 0) {
            return;
        }
        if (a.size(2) == 0) { // empty sum: GEMM with k = 0 is not guaranteed to write C
            COPY.fill(out, 0);
            return;
        }
        if (!out.dtype().isFloatingPoint()) {
            integerBmm(a, b, out);
            return;
        }
        GemmOperand ga = GemmOperand.of(a);
        GemmOperand gb = GemmOperand.of(b);
        try {
            floatingBmm(ga, gb, out, m, n, a.size(2));
        } finally {
            ga.closeScratch();
            gb.closeScratch();
        }
    }

    /**
     * One GEMM {@code x @ weight^T} straight into {@code out}, then {@link LinearEpilogue}'s single pass for the bias
     * and ReLU. The GEMM call is the one {@link #bmm} makes for {@code x.matmul(weight.t())}, so the result equals
     * the unfused ops' bit for bit.
     */
    @Override
    public boolean linear(KernelArg x, KernelArg weight, KernelArg bias, boolean relu, KernelArg out) {
        DType t = out.dtype();
        if ((t != DType.FLOAT32 && t != DType.FLOAT64) || x.dtype() != t || weight.dtype() != t
                || (bias != null && bias.dtype() != t)) {
            return false;
        }
        checkLinearArgs(x, weight, bias, out);
        long m = x.size(0);
        long k = x.size(1);
        long n = weight.size(0);
        if (out.numel() == 0) {
            return true;
        }
        if (k == 0) { // empty sum: the product is all zeros
            COPY.fill(out, 0);
        } else {
            // [1, M, K] @ [1, K, N]: the weight's transpose is a view (strides swapped), as in x.matmul(w.t()).
            GemmOperand ga = GemmOperand.of(x.view(new long[] {1, m, k}, new long[] {0, x.stride(0), x.stride(1)},
                    x.storageOffset()));
            GemmOperand gb = GemmOperand.of(weight.view(new long[] {1, k, n},
                    new long[] {0, weight.stride(1), weight.stride(0)}, weight.storageOffset()));
            try {
                int es = t.byteSize();
                gemm(t, ga, gb, (int) m, (int) n, (int) k, ga.address(0, es), gb.address(0, es), out.dataAddress());
            } finally {
                ga.closeScratch();
                gb.closeScratch();
            }
        }
        LinearEpilogue.apply(out, bias, relu, m, n);
        return true;
    }

    private static void checkLinearArgs(KernelArg x, KernelArg weight, KernelArg bias, KernelArg out) {
        boolean ok = x.dim() == 2 && weight.dim() == 2 && out.dim() == 2 && x.size(1) == weight.size(1)
                && out.size(0) == x.size(0) && out.size(1) == weight.size(0)
                && (bias == null || (bias.dim() == 1 && bias.size(0) == weight.size(0)))
                && (out.isContiguous() || out.numel() == 0);
        if (!ok) {
            throw new IllegalArgumentException("linear kernel expects x [M,K], weight [N,K], bias [N] or none -> "
                    + "contiguous out [M,N], got x " + java.util.Arrays.toString(x.shape()) + ", weight "
                    + java.util.Arrays.toString(weight.shape()) + ", bias "
                    + (bias == null ? "none" : java.util.Arrays.toString(bias.shape())) + ", out "
                    + java.util.Arrays.toString(out.shape()));
        }
        checkIntRange(x.size(0), x.size(1), weight.size(0));
    }

    private static void checkArgs(KernelArg a, KernelArg b, KernelArg out) {
        boolean shapesOk = a.dim() == 3 && b.dim() == 3 && out.dim() == 3 && a.size(0) == b.size(0)
                && a.size(2) == b.size(1) && out.size(0) == a.size(0) && out.size(1) == a.size(1)
                && out.size(2) == b.size(2);
        if (!shapesOk || (!out.isContiguous() && out.numel() > 0) || a.dtype() != out.dtype() || b.dtype() != out.dtype()) {
            throw new IllegalArgumentException("bmm kernel expects [B,M,K] x [B,K,N] -> contiguous [B,M,N] of one "
                    + "dtype, got " + java.util.Arrays.toString(a.shape()) + " " + a.dtype().torchName() + " x "
                    + java.util.Arrays.toString(b.shape()) + " " + b.dtype().torchName() + " -> " + java.util.Arrays.toString(out.shape()) + " "
                    + out.dtype().torchName());
        }
        checkIntRange(a.size(1), a.size(2), b.size(2));
    }

    /** cblas takes 32-bit dims and leading dims. */
    private static void checkIntRange(long... dims) {
        for (long d : dims) {
            if (d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("matmul dimension " + d + " exceeds the 2^31-1 GEMM limit");
            }
        }
    }

    private void floatingBmm(GemmOperand a, GemmOperand b, KernelArg out, long m, long n, long k) {
        long batch = out.size(0);
        int es = out.dtype().byteSize();
        long c = out.dataAddress();
        // The nn.Linear case, [B, M, K] @ [K, N] broadcast: B's batch stride is 0 and A's row-major batches sit
        // back to back, so the whole batch is one GEMM with B*M rows (far better for BLAS than B small calls).
        if (batch > 1 && b.batchStride() == 0 && !a.trans() && a.batchStride() == m * a.ld()
                && batch * m <= Integer.MAX_VALUE) {
            gemm(out.dtype(), a, b, (int) (batch * m), (int) n, (int) k, a.address(0, es), b.address(0, es), c);
            return;
        }
        for (long bi = 0; bi < batch; bi++) {
            gemm(out.dtype(), a, b, (int) m, (int) n, (int) k, a.address(bi, es), b.address(bi, es),
                    c + bi * m * n * es);
        }
    }

    private void gemm(DType t, GemmOperand a, GemmOperand b, int m, int n, int k, long pa, long pb, long pc) {
        boolean blas = preferBlas && Blas.available();
        if (t == DType.FLOAT32) {
            if (blas) {
                Blas.sgemm(a.trans(), b.trans(), m, n, k, pa, a.ld(), pb, b.ld(), pc, n);
            } else {
                JavaGemm.sgemm(a.trans(), b.trans(), m, n, k, pa, a.ld(), pb, b.ld(), pc, n);
            }
        } else if (t == DType.FLOAT64) {
            if (blas) {
                Blas.dgemm(a.trans(), b.trans(), m, n, k, pa, a.ld(), pb, b.ld(), pc, n);
            } else {
                JavaGemm.dgemm(a.trans(), b.trans(), m, n, k, pa, a.ld(), pb, b.ld(), pc, n);
            }
        } else {
            throw new IllegalArgumentException("no GEMM for dtype " + t.torchName());
        }
    }

    /** Exact integer products (wrapping like int64 arithmetic); rows of all batches in parallel. */
    private static void integerBmm(KernelArg a, KernelArg b, KernelArg out) {
        long batch = a.size(0);
        long m = a.size(1);
        long k = a.size(2);
        long n = b.size(2);
        DType t = out.dtype();
        int es = t.byteSize();
        long[] as = a.strides();
        long[] bs = b.strides();
        long pa = a.dataAddress();
        long pb = b.dataAddress();
        long po = out.dataAddress();
        Parallel.forRange(batch * m, k * n, (start, end) -> {
            for (long row = start; row < end; row++) {
                long bi = row / m;
                long i = row % m;
                long aRow = pa + (bi * as[0] + i * as[1]) * es;
                long bMat = pb + bi * bs[0] * es;
                for (long j = 0; j < n; j++) {
                    long acc = 0;
                    for (long x = 0; x < k; x++) {
                        acc += Access.getLong(t, aRow + x * as[2] * es)
                                * Access.getLong(t, bMat + (x * bs[1] + j * bs[2]) * es);
                    }
                    Access.putLong(t, po + (row * n + j) * es, acc);
                }
            }
        });
    }

    /**
     * One [B, R, C] operand as GEMM sees it: base address, batch stride and leading dim (elements), and whether
     * it is stored transposed. Holds a contiguous scratch copy when the original layout was not GEMM-compatible.
     */
    private record GemmOperand(long base, long batchStride, int ld, boolean trans, KernelArg scratch) {
        static GemmOperand of(KernelArg t) {
            long rows = t.size(1);
            long cols = t.size(2);
            long rs = t.stride(1);
            long cs = t.stride(2);
            // Strides of size-1 dims are meaningless (PyTorch leaves them arbitrary), so they never disqualify.
            if ((cols == 1 || cs == 1) && (rows == 1 || rs >= Math.max(1, cols)) && rs <= Integer.MAX_VALUE) {
                int ld = (int) (rows == 1 ? Math.max(1, cols) : Math.max(rs, 1));
                return new GemmOperand(t.dataAddress(), t.stride(0), ld, false, null);
            }
            if ((rows == 1 || rs == 1) && (cols == 1 || cs >= Math.max(1, rows)) && cs <= Integer.MAX_VALUE) {
                int ld = (int) (cols == 1 ? Math.max(1, rows) : Math.max(cs, 1));
                return new GemmOperand(t.dataAddress(), t.stride(0), ld, true, null);
            }
            KernelArg copy = KernelArg.contiguous(
                    Storage.allocate(CpuMemory.scratchAllocator(), t.numel() * t.dtype().byteSize(), false),
                    t.dtype(), t.shape());
            COPY.copy(t, copy);
            return new GemmOperand(copy.dataAddress(), rows * cols, (int) Math.max(1, cols), false, copy);
        }

        /** Address of batch {@code bi}'s matrix. */
        long address(long bi, int elementSize) {
            return base + bi * batchStride * elementSize;
        }

        void closeScratch() {
            if (scratch != null) {
                scratch.storage().release();
            }
        }
    }

    /** Zero-copy check used by tests: would {@code t}'s last two dims go to GEMM without a scratch copy? */
    static boolean gemmCompatible(KernelArg t) {
        GemmOperand g = GemmOperand.of(t);
        g.closeScratch();
        return g.scratch() == null;
    }
}
