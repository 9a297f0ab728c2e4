package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.Backends;
import dev.kiln.backend.MemoryKernels;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Device memory on a real GPU: transfers in every dtype, Java array I/O, single elements, zeroed allocation from a
 * dirty cache, the allocator's reuse and out-of-memory message, random fills, cuBLAS against the PTX GEMM, the
 * 8-dim limit, and use from another thread. GPU only.
 */
class CudaMemoryTest extends GpuTest {

    private static Backend cuda() {
        return Backends.find(Device.Type.CUDA);
    }

    @Test
    void transfersRoundTripInEveryDtypeIncludingStridedAndEmptyTensors() {
        assumeGpu();
        for (DType t : DType.values()) {
            double[] v = new double[24];
            for (int k = 0; k < v.length; k++) {
                v[k] = k % 5 - (t == DType.UINT8 ? 0 : 1) + (t.isFloatingPoint() ? 0.25 : 0);
            }
            Tensor x = Tensor.of(v).reshape(4, 6).to(t);
            for (Tensor src : new Tensor[] {x, x.t(), x.narrow(1, 1, 3), x.narrow(0, 0, 0), x.select(0, 2).select(0, 3)}) {
                Tensor back = src.to(CUDA).to(Device.CPU);
                assertEquals(t, back.dtype());
                assertArrayEquals(src.shape(), back.shape());
                assertArrayEquals(src.contiguous().toDoubleArray(), back.toDoubleArray(), 0, t + " " + src);
            }
        }
    }

    @Test
    void javaArraysAreWrittenAndReadAsTheirStorageTypeAndDoublesConvert() {
        assumeGpu();
        MemoryKernels memory = cuda().memory();
        Tensor f = Tensor.empty(CUDA, DType.FLOAT32, 2, 2);
        memory.write(new float[] {1.5f, -2f, 3f, 4f}, f.arg());
        float[] back = new float[4];
        memory.read(f.arg(), back);
        assertArrayEquals(new float[] {1.5f, -2f, 3f, 4f}, back);
        Tensor b = Tensor.empty(CUDA, DType.UINT8, 3);
        memory.write(new double[] {300.7, -1, 2.9}, b.arg()); // a C cast: (byte)(long) v
        byte[] bytes = new byte[3];
        memory.read(b.arg(), bytes);
        assertArrayEquals(new byte[] {(byte) 300, (byte) -1, 2}, bytes);
        assertThrows(IllegalArgumentException.class, () -> memory.write(new long[4], f.arg()));
    }

    @Test
    void singleElementsAreReadAndWrittenInPlace() {
        assumeGpu();
        Tensor x = Tensor.of(1.0, 2.0, 3.0).to(CUDA);
        x.set(7.25, 1);
        assertEquals(7.25, x.getDouble(1));
        assertEquals(3.0, x.select(0, 2).item());
        Tensor i = Tensor.of(5L, -6L).to(CUDA);
        assertEquals(-6L, i.select(0, 1).to(DType.INT64).getLong(1));
    }

    @Test
    void zeroedAllocationIsZeroEvenFromADirtyCachedBlock() {
        assumeGpu();
        Tensor dirty = Tensor.ones(1000).to(CUDA);
        dirty.close(); // its block is cached, still holding ones
        Tensor z = Tensor.allocate(CUDA, allocator, DType.FLOAT32, new long[] {1000}, true);
        assertEquals(0.0, z.abs().sum().item());
    }

    @Test
    void repeatedAllocationsReuseCachedBlocks() {
        assumeGpu();
        Tensor.empty(CUDA, DType.FLOAT32, 123_457).close();
        long mallocs = CudaMemory.stats(CUDA).deviceMallocs();
        for (int i = 0; i < 20; i++) {
            Tensor.empty(CUDA, DType.FLOAT32, 123_457).close();
        }
        assertEquals(mallocs, CudaMemory.stats(CUDA).deviceMallocs());
    }

    @Test
    void emptyCacheReturnsCachedMemoryToTheDriver() {
        assumeGpu();
        Tensor.empty(CUDA, DType.FLOAT32, 3 << 20).close();
        CudaMemoryStats before = CudaMemory.stats(CUDA);
        assertTrue(before.cachedBytes() >= 12L << 20, "cached: " + before);
        assertTrue(CudaMemory.emptyCache() >= 12L << 20);
        assertEquals(0, CudaMemory.stats(CUDA).cachedBytes());
    }

    @Test
    void anImpossibleAllocationFailsWithPyTorchsMessage() {
        assumeGpu();
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class,
                () -> Tensor.empty(CUDA, DType.FLOAT32, 1L << 50)); // 4 PiB
        assertTrue(e.getMessage().startsWith("CUDA out of memory. Tried to allocate 4194304.00 GiB (GPU 0; "),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("reserved in total by Kiln)"), e.getMessage());
    }

    @Test
    void randomFillsAreDeterministicPerSeedAndDistributedRight() {
        assumeGpu();
        Tensor a = Tensor.empty(CUDA, DType.FLOAT32, 1 << 20);
        Tensor b = Tensor.empty(CUDA, DType.FLOAT32, 1 << 20);
        cuda().random().normal(a.arg(), new Generator(11));
        cuda().random().normal(b.arg(), new Generator(11));
        assertEquals(0.0, a.sub(b).abs().max().item(), "same seed, same values");
        assertEquals(0.0, a.mean().item(), 0.01);
        assertEquals(1.0, a.std().item(), 0.01);
        cuda().random().uniform(b.arg(), new Generator(12));
        assertTrue(b.min().item() >= 0 && b.max().item() < 1);
        assertEquals(0.5, b.mean().item(), 0.01);
        Tensor i = Tensor.empty(CUDA, DType.INT64, 100_000);
        cuda().random().randint(i.arg(), -3, 4, new Generator(13));
        assertEquals(-3.0, i.min().item());
        assertEquals(3.0, i.max().item());
        Tensor c = Tensor.empty(CUDA, DType.FLOAT32, 1 << 20);
        cuda().random().normal(c.arg(), new Generator(14));
        assertNotEquals(0.0, a.sub(c).abs().max().item(), "another seed, other values");
    }

    @Test
    void cublasAndThePtxGemmAgreeWithTheCpuOnPlainAndTransposedOperands() {
        assumeGpu();
        Generator g = new Generator(5);
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Tensor a = Tensor.randn(new long[] {3, 70, 50}, t, g);
            Tensor b = Tensor.randn(new long[] {3, 90, 50}, t, g).transpose(1, 2); // a column-major view
            Tensor expected = a.bmm(b);
            Tensor ag = a.to(CUDA);
            Tensor bg = b.to(CUDA).transpose(1, 2).contiguous().transpose(1, 2);
            for (boolean cublas : new boolean[] {true, false}) {
                Tensor out = Tensor.empty(CUDA, t, 3, 70, 90);
                new CudaLinalg(KernelFamily.GPUS, cublas).bmm(ag.arg(), bg.arg(), out.arg());
                assertClose((cublas ? "cuBLAS " : "PTX ") + t.torchName(), expected, out, t == DType.FLOAT32 ? 1e-4 : 1e-12);
            }
        }
    }

    /** Contiguous tensors of any rank are elementwise-flattened; strided ones beyond 8 dims are refused. */
    @Test
    void tensorsOfMoreThanEightStridedDimsAreRefused() {
        assumeGpu();
        Tensor x = Tensor.ones(new long[] {1, 2, 1, 2, 1, 2, 1, 2, 3}).to(CUDA);
        assertEquals(48 * Math.E, x.exp().sum().item(), 1e-4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> x.transpose(0, 8).exp());
        assertTrue(e.getMessage().contains("at most 8 dimensions"), e.getMessage());
    }

    @Test
    void anotherThreadUsesTheDeviceWithoutSetup() {
        assumeGpu();
        Tensor x = Tensor.ones(100).to(CUDA);
        double sum = CompletableFuture.supplyAsync(() -> x.mul(2).sum().item()).join();
        assertEquals(200.0, sum);
    }
}
