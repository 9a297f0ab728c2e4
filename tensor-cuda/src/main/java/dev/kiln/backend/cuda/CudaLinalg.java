package dev.kiln.backend.cuda;

import dev.kiln.backend.KernelArg;
import dev.kiln.backend.LinalgKernels;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Shapes;
import java.lang.ref.Reference;
import java.util.function.Function;

/**
 * Batched matrix products on the GPU: cuBLAS's strided-batched GEMM where it loads ({@link Cublas}), else the tiled
 * PTX GEMM ({@code gemm.ptx}). float32/float64 only; integer products fail like PyTorch's
 * ({@code "bmm_cuda" not implemented for 'Long'}).
 *
 * <p>Operands are used in place when their last two dims are row-major (strides {@code (ld, 1)}) or column-major
 * (a transposed view, strides {@code (1, ld)}), as on the CPU; other layouts are copied to a contiguous scratch
 * tensor first. The nn.Linear shape, {@code [B, M, K] @ [K, N]} broadcast (B's batch stride 0) with A's batches
 * back to back, is one GEMM of {@code B*M} rows.
 */
final class CudaLinalg extends KernelFamily implements LinalgKernels {
    private final boolean preferCublas;

    CudaLinalg() {
        this(GPUS, true);
    }

    /** @param preferCublas false forces the PTX GEMM (tests and the benchmark compare the two) */
    CudaLinalg(Function<Device, DeviceQueue> queues, boolean preferCublas) {
        super(queues);
        this.preferCublas = preferCublas;
    }

    @Override
    public void bmm(KernelArg a, KernelArg b, KernelArg out) {
        checkArgs(a, b, out);
        if (out.numel() == 0) {
            return;
        }
        if (!out.dtype().isFloatingPoint()) {
            throw new UnsupportedOperationException("\"bmm_cuda\" not implemented for '" + out.dtype().scalarTypeName()
                    + "'");
        }
        DeviceQueue d = queue(out);
        try {
            if (a.size(2) == 0) { // an empty sum: GEMM with k = 0 need not write C
                new CudaPointwise(queues).fill(out, 0);
                return;
            }
            Operand ga = Operand.of(d, a);
            Operand gb = Operand.of(d, b);
            try {
                multiply(d, ga, gb, out);
            } finally {
                ga.releaseScratch();
                gb.releaseScratch();
            }
        } finally {
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(out);
        }
    }

    private void multiply(DeviceQueue d, Operand a, Operand b, KernelArg out) {
        long batch = out.size(0);
        long m = out.size(1);
        long n = out.size(2);
        long k = a.cols;
        boolean linear = batch > 1 && b.batchStride == 0 && !a.trans && a.batchStride == m * a.ld;
        if (linear && batch * m <= Integer.MAX_VALUE) {
            m *= batch; // nn.Linear: every batch's rows form one [B*M, K] matrix against the shared B
            batch = 1;
        }
        boolean f32 = out.dtype() == DType.FLOAT32;
        if (preferCublas && d instanceof CudaDevice gpu && Cublas.available()) {
            Cublas.gemm(gpu, f32, a.trans, b.trans, (int) m, (int) n, (int) k, a.address, a.ld, a.batchStride,
                    b.address, b.ld, b.batchStride, out.dataAddress(), checkedBatch(batch));
        } else {
            ptxGemm(d, f32, a, b, (int) m, (int) n, (int) k, out.dataAddress(), batch);
        }
    }

    /**
     * The PTX GEMM: blocks of {@link KernelNames#GEMM_THREADS} threads over 64x64 tiles of C, one grid layer per
     * batch, batches beyond {@link KernelNames#GEMM_MAX_BATCH} in further launches with offset pointers.
     */
    private static void ptxGemm(DeviceQueue d, boolean f32, Operand a, Operand b, int m, int n, int k, long c,
                                long batch) {
        long tilesN = (n + KernelNames.GEMM_TILE_N - 1) / KernelNames.GEMM_TILE_N;
        long tilesM = (m + KernelNames.GEMM_TILE_M - 1) / KernelNames.GEMM_TILE_M;
        if (tilesM > 65535) {
            throw new IllegalArgumentException("matmul with " + m + " rows exceeds the PTX GEMM's grid (at most "
                    + 65535L * KernelNames.GEMM_TILE_M + " rows)");
        }
        int es = f32 ? 4 : 8;
        String kernel = KernelNames.gemm(f32 ? DType.FLOAT32 : DType.FLOAT64);
        long strideC = (long) m * n;
        for (long start = 0; start < batch; start += KernelNames.GEMM_MAX_BATCH) {
            int layers = (int) Math.min(KernelNames.GEMM_MAX_BATCH, batch - start);
            Params p = new Params().i32(a.trans ? 1 : 0).i32(b.trans ? 1 : 0).i32(m).i32(n).i32(k)
                    .ptr(a.address + start * a.batchStride * es).i64(a.ld).i64(a.batchStride)
                    .ptr(b.address + start * b.batchStride * es).i64(b.ld).i64(b.batchStride)
                    .ptr(c + start * strideC * es).i64(n).i64(strideC);
            d.launch(kernel, (int) tilesN, (int) tilesM, layers, KernelNames.GEMM_THREADS, p);
        }
    }

    private static int checkedBatch(long batch) {
        if (batch > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bmm batch " + batch + " exceeds cuBLAS's 2^31-1 limit");
        }
        return (int) batch;
    }

    private static void checkArgs(KernelArg a, KernelArg b, KernelArg out) {
        boolean shapesOk = a.dim() == 3 && b.dim() == 3 && out.dim() == 3 && a.size(0) == b.size(0)
                && a.size(2) == b.size(1) && out.size(0) == a.size(0) && out.size(1) == a.size(1)
                && out.size(2) == b.size(2);
        if (!shapesOk || (!out.isContiguous() && out.numel() > 0) || a.dtype() != out.dtype()
                || b.dtype() != out.dtype()) {
            throw new IllegalArgumentException("bmm kernel expects [B,M,K] x [B,K,N] -> contiguous [B,M,N] of one "
                    + "dtype, got " + Shapes.str(a.shape()) + " " + a.dtype().torchName() + " x "
                    + Shapes.str(b.shape()) + " " + b.dtype().torchName() + " -> " + Shapes.str(out.shape()) + " "
                    + out.dtype().torchName());
        }
        for (long dim : new long[] {a.size(1), a.size(2), b.size(2)}) {
            if (dim > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("matmul dimension " + dim + " exceeds the 2^31-1 GEMM limit");
            }
        }
    }

    /**
     * One {@code [B, R, C]} operand as GEMM sees it: address of batch 0, batch stride and leading dim (elements),
     * whether it is stored transposed, and the contiguous scratch copy made when its layout was neither.
     */
    static final class Operand {
        final long address;
        final long batchStride;
        final int ld;
        final boolean trans;
        final long cols;
        private final KernelArg scratch;

        private Operand(long address, long batchStride, int ld, boolean trans, long cols, KernelArg scratch) {
            this.address = address;
            this.batchStride = batchStride;
            this.ld = ld;
            this.trans = trans;
            this.cols = cols;
            this.scratch = scratch;
        }

        static Operand of(DeviceQueue d, KernelArg t) {
            long rows = t.size(1);
            long cols = t.size(2);
            long rs = t.stride(1);
            long cs = t.stride(2);
            long batchStride = t.size(0) == 1 ? 0 : t.stride(0);
            // Strides of size-1 dims are meaningless (PyTorch leaves them arbitrary), so they never disqualify.
            if ((cols == 1 || cs == 1) && (rows == 1 || rs >= Math.max(1, cols)) && rs <= Integer.MAX_VALUE) {
                int ld = (int) (rows == 1 ? Math.max(1, cols) : Math.max(rs, 1));
                return new Operand(t.dataAddress(), batchStride, ld, false, cols, null);
            }
            if ((rows == 1 || rs == 1) && (cols == 1 || cs >= Math.max(1, rows)) && cs <= Integer.MAX_VALUE) {
                int ld = (int) (cols == 1 ? Math.max(1, rows) : Math.max(cs, 1));
                return new Operand(t.dataAddress(), batchStride, ld, true, cols, null);
            }
            KernelArg copy = Scratch.contiguousCopy(d, t);
            return new Operand(copy.dataAddress(), t.size(0) == 1 ? 0 : rows * cols, (int) Math.max(1, cols), false,
                    cols, copy);
        }

        /** Whether the layout was used in place (tests check the zero-copy cases). */
        boolean inPlace() {
            return scratch == null;
        }

        void releaseScratch() {
            if (scratch != null) {
                Scratch.release(scratch);
            }
        }
    }
}
