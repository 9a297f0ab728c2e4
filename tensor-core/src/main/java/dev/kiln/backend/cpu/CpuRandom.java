package dev.kiln.backend.cpu;

import dev.kiln.backend.KernelArg;
import dev.kiln.backend.RandomKernels;
import dev.kiln.backend.RandomSource;
import dev.kiln.memory.Elements;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;
import java.lang.ref.Reference;

/** Host random fills: values drawn one by one from the source, in element order (so seeds reproduce exactly). */
final class CpuRandom implements RandomKernels {
    private static final int CHUNK = 1 << 16;

    @Override
    public void uniform(KernelArg out, RandomSource source) {
        try {
            long n = out.numel();
            if (out.dtype() == DType.FLOAT32) { // bulk: one source lock and one memory copy per chunk
                float[] chunk = new float[(int) Math.min(n, CHUNK)];
                for (long done = 0; done < n; done += chunk.length) {
                    int len = (int) Math.min(chunk.length, n - done);
                    source.fillFloats(chunk, 0, len);
                    Unsafe.copyArray(chunk, out.dataAddress() + 4 * done, 4L * len, false);
                }
                return;
            }
            for (long i = 0; i < n; i++) {
                Elements.put(out.dtype(), out.dataAddress() + i * out.dtype().byteSize(), source.nextDouble());
            }
        } finally {
            Reference.reachabilityFence(out);
        }
    }

    @Override
    public void normal(KernelArg out, RandomSource source) {
        try {
            long n = out.numel();
            for (long i = 0; i < n; i++) {
                Elements.put(out.dtype(), out.dataAddress() + i * out.dtype().byteSize(), source.nextGaussian());
            }
        } finally {
            Reference.reachabilityFence(out);
        }
    }

    @Override
    public void randint(KernelArg out, long low, long high, RandomSource source) {
        try {
            long n = out.numel();
            for (long i = 0; i < n; i++) {
                Unsafe.putLong(out.dataAddress() + 8 * i, source.nextLong(low, high));
            }
        } finally {
            Reference.reachabilityFence(out);
        }
    }
}
