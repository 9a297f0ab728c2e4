package dev.kiln.backend.cuda;

import jcuda.CudaException;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/** {@link RawAllocator} over {@code cuMemAlloc}/{@code cuMemFree} in one device's primary context. */
final class DriverAllocator implements RawAllocator {
    private final CudaDevice device;

    DriverAllocator(CudaDevice device) {
        this.device = device;
    }

    @Override
    public long malloc(long bytes) {
        device.makeCurrent();
        Cu.OutPointer p = new Cu.OutPointer();
        int result;
        try {
            result = JCudaDriver.cuMemAlloc(p, bytes);
        } catch (CudaException e) { // someone turned JCuda's exceptions on: the code is only in the message
            if (String.valueOf(e.getMessage()).contains("CUDA_ERROR_OUT_OF_MEMORY")) {
                return 0;
            }
            throw e;
        }
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            return 0;
        }
        Cu.check(result, "cuMemAlloc(" + bytes + " bytes) on " + device);
        return p.address();
    }

    @Override
    public void free(long address) {
        device.makeCurrent();
        Cu.check(JCudaDriver.cuMemFree(Cu.device(address)), "cuMemFree on " + device);
    }

    @Override
    public void synchronize() {
        device.synchronize();
    }

    @Override
    public long[] memInfo() {
        try {
            device.makeCurrent();
            long[] free = new long[1];
            long[] total = new long[1];
            int r = JCudaDriver.cuMemGetInfo(free, total);
            return r == CUresult.CUDA_SUCCESS ? new long[] {free[0], total[0]} : null;
        } catch (RuntimeException e) {
            return null; // only for an error message: never mask the out-of-memory being reported
        }
    }
}
