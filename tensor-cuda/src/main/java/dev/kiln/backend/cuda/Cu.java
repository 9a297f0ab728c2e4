package dev.kiln.backend.cuda;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Small helpers over JCuda's driver API: result checking with PyTorch's wording, and JCuda pointers for raw
 * addresses.
 *
 * <p>Kiln checks every driver result itself rather than calling {@code JCudaDriver.setExceptionsEnabled(true)}: that
 * switch is global to the JVM and would change the behaviour of any other JCuda user in the same process (a Spark
 * executor may host one). If someone else turned it on, JCuda throws its own {@link CudaException} before
 * {@link #check} sees the code; callers that must tell out-of-memory apart ({@link DriverAllocator}) handle both.
 */
final class Cu {
    private static final CUdeviceptr NULL_DEVICE = new CUdeviceptr();
    private static final Pointer NULL_HOST = new Pointer();

    private Cu() {
    }

    /** Throws {@link CudaDriverException} unless {@code result} is {@code CUDA_SUCCESS}. */
    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaDriverException(result, call);
        }
    }

    /** As {@link #check(int, String)}, naming the call {@code call + " on " + where}, built only on failure. */
    static void check(int result, String call, Object where) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaDriverException(result, call + " on " + where);
        }
    }

    /**
     * A device pointer for a raw device address. JCuda hands the driver {@code nativePointer + byteOffset} (its
     * {@code getPointer} in PointerUtils.cpp), so a null pointer offset by the address is that address.
     */
    static CUdeviceptr device(long address) {
        return NULL_DEVICE.withByteOffset(address);
    }

    /** A host pointer for a raw native address (Arrow memory), read the same way as {@link #device}. */
    static Pointer host(long address) {
        return NULL_HOST.withByteOffset(address);
    }

    /** The driver's description of an error code, e.g. {@code "out of memory"}; never throws. */
    static String describe(int result) {
        String name = CUresult.stringFor(result);
        try {
            String[] text = new String[1];
            if (JCudaDriver.cuGetErrorString(result, text) == CUresult.CUDA_SUCCESS && text[0] != null) {
                return text[0] + " (" + name + ")";
            }
        } catch (RuntimeException | LinkageError e) {
            // the name alone still identifies the error
        }
        return name;
    }

    /**
     * A device pointer for the driver to fill in ({@code cuMemAlloc}); a subclass because JCuda keeps the value in a
     * protected field.
     */
    static final class OutPointer extends CUdeviceptr {
        long address() {
            return getNativePointer() + getByteOffset();
        }
    }
}
