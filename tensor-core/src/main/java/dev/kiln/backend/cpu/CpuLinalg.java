package dev.kiln.backend.cpu;

import dev.kiln.backend.LinalgKernels;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/** Matrix products (reference loops until the BLAS route lands). */
final class CpuLinalg implements LinalgKernels {
    @Override
    public void bmm(Tensor a, Tensor b, Tensor out) {
        long batch = a.size(0);
        long m = a.size(1);
        long k = a.size(2);
        long n = b.size(2);
        DType t = out.dtype();
        int es = t.byteSize();
        long[] as = a.strides();
        long[] bs = b.strides();
        long[] os = out.strides();
        long pa = a.dataAddress();
        long pb = b.dataAddress();
        long po = out.dataAddress();
        for (long bi = 0; bi < batch; bi++) {
            for (long i = 0; i < m; i++) {
                for (long j = 0; j < n; j++) {
                    double acc = 0;
                    for (long x = 0; x < k; x++) {
                        acc += Access.get(t, pa + (bi * as[0] + i * as[1] + x * as[2]) * es)
                                * Access.get(t, pb + (bi * bs[0] + x * bs[1] + j * bs[2]) * es);
                    }
                    Access.put(t, po + (bi * os[0] + i * os[1] + j * os[2]) * es, acc);
                }
            }
        }
    }
}
