package dev.kiln.backend.cuda;

import dev.kiln.tensor.Device;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * One open GPU: its primary context, the one stream all of Kiln's kernels and copies on it are queued on, its
 * caching allocator, and the PTX modules loaded into the context (one per kernel family, on first use).
 *
 * <p>One stream per device keeps every operation on the device in issue order, which is what makes the caching
 * allocator's free-from-any-thread safe and spares explicit events between kernels. The primary context is the one
 * the CUDA runtime (and so cuBLAS) uses too, and it must be current on the calling thread: training loops run on
 * Spark task threads and data-loader threads that never saw it, so every entry point calls {@link #makeCurrent()}.
 * The stream is non-blocking: other CUDA users' work on the legacy default stream neither waits for ours nor makes
 * ours wait.
 */
final class CudaDevice implements DeviceQueue {
    final Device device;
    final CUstream stream;
    private final CudaCachingAllocator allocator;
    private final int ordinal;
    private final CUdevice handle;
    private final CUcontext context;
    private final int multiprocessors;
    private final String name;
    private final Map<KernelNames.Family, CUmodule> modules = new ConcurrentHashMap<>();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();

    private CudaDevice(int ordinal, CUdevice handle, CUcontext context, CUstream stream, int multiprocessors,
                       String name) {
        this.ordinal = ordinal;
        this.handle = handle;
        this.device = Device.cuda(ordinal);
        this.context = context;
        this.stream = stream;
        this.multiprocessors = multiprocessors;
        this.name = name;
        this.allocator = new CudaCachingAllocator(device, new DriverAllocator(this));
    }

    /** Retains device {@code ordinal}'s primary context and creates its stream. */
    static CudaDevice open(int ordinal) {
        CUdevice dev = new CUdevice();
        Cu.check(JCudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
        CUcontext ctx = new CUcontext();
        Cu.check(JCudaDriver.cuDevicePrimaryCtxRetain(ctx, dev), "cuDevicePrimaryCtxRetain(cuda:" + ordinal + ")");
        Cu.check(JCudaDriver.cuCtxSetCurrent(ctx), "cuCtxSetCurrent(cuda:" + ordinal + ")");
        CUstream stream = new CUstream();
        Cu.check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING),
                "cuStreamCreate on cuda:" + ordinal);
        int[] sms = new int[1];
        int attribute = CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;
        Cu.check(JCudaDriver.cuDeviceGetAttribute(sms, attribute, dev), "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)");
        byte[] nameBytes = new byte[256];
        String name = JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, dev) == 0
                ? cString(nameBytes) : "unknown GPU";
        return new CudaDevice(ordinal, dev, ctx, stream, Math.max(sms[0], 1), name);
    }

    /**
     * Gives the primary context back (a device the probe opened but cannot use: a context holds device memory);
     * this object is unusable afterwards. Errors are ignored: this runs on a failure path.
     */
    void release() {
        JCudaDriver.cuStreamDestroy(stream);
        JCudaDriver.cuDevicePrimaryCtxRelease(handle);
    }

    /** The {@code .version} line of a family's shipped PTX (e.g. {@code 9.0}), for error messages. */
    static String ptxIsaVersion(KernelNames.Family family) {
        String text = new String(readPtx(family), StandardCharsets.US_ASCII);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\.version (\\S+)").matcher(text);
        return m.find() ? m.group(1) : "unknown";
    }

    private static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, StandardCharsets.US_ASCII);
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public CudaCachingAllocator allocator() {
        return allocator;
    }

    int ordinal() {
        return ordinal;
    }

    CUcontext context() {
        return context;
    }

    /** Streaming multiprocessors, for sizing grid-stride launches. */
    int multiprocessors() {
        return multiprocessors;
    }

    /**
     * Makes this device's context current on the calling thread. Called on every entry, not cached per thread:
     * other code on the thread (a user's JCuda calls) may have switched contexts, and the call is cheap next to a
     * kernel launch.
     */
    void makeCurrent() {
        Cu.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent", this);
    }

    /** Waits for everything queued on this device's stream; surfaces asynchronous kernel errors. */
    void synchronize() {
        makeCurrent();
        Cu.check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize", this);
    }

    /**
     * The kernel named {@code kernel} (see {@link KernelNames}), loading its family's PTX module into this context
     * on first use.
     */
    CUfunction function(KernelNames.Kernel kernel) {
        CUfunction f = functions.get(kernel.name());
        if (f != null) {
            return f;
        }
        return functions.computeIfAbsent(kernel.name(), k -> {
            CUmodule module = modules.computeIfAbsent(kernel.family(), this::loadModule);
            CUfunction fn = new CUfunction();
            makeCurrent();
            Cu.check(JCudaDriver.cuModuleGetFunction(fn, module, k), "cuModuleGetFunction(" + k + ") in "
                    + kernel.family().resource(), this);
            return fn;
        });
    }

    private CUmodule loadModule(KernelNames.Family family) {
        byte[] ptx = readPtx(family);
        makeCurrent();
        CUmodule module = new CUmodule();
        Cu.check(JCudaDriver.cuModuleLoadData(module, ptx), "cuModuleLoadData(" + family.resource() + ")", this);
        return module;
    }

    /** The family's PTX from this jar, NUL-terminated as {@code cuModuleLoadData} requires of text images. */
    static byte[] readPtx(KernelNames.Family family) {
        String path = family.resource();
        try (InputStream in = CudaDevice.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("CUDA kernels " + path + " are missing from the kiln-tensor-cuda jar "
                        + "(generate them with tensor-cuda/src/main/cuda/build-ptx.sh)");
            }
            byte[] text = in.readAllBytes();
            return Arrays.copyOf(text, text.length + 1);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read CUDA kernels " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void gridStride(String name, long work, Params params) {
        if (work <= 0) {
            return;
        }
        long blocks = Math.min((work + KernelNames.THREADS - 1) / KernelNames.THREADS,
                KernelNames.GRID_STRIDE_MAX_BLOCKS);
        launch(name, (int) blocks, 1, 1, KernelNames.THREADS, params);
    }

    /**
     * Queues kernel {@code name} on this device's stream with the given grid and {@code threads} threads per
     * block (see {@link DeviceQueue#launch}). Checks the parameter count against the catalog first: a mismatch
     * would otherwise read garbage
     * parameters on the device. The driver copies the parameter values at launch.
     */
    @Override
    public void launch(String name, int gx, int gy, int gz, int threads, Params params) {
        KernelNames.Kernel kernel = KernelNames.catalog().get(name);
        if (kernel == null) {
            throw new IllegalStateException("no CUDA kernel " + name + " in the shipped PTX");
        }
        if (kernel.params() != params.size()) {
            throw new IllegalStateException("CUDA kernel " + name + " takes " + kernel.params() + " parameters, "
                    + params.size() + " given");
        }
        CUfunction function = function(kernel);
        makeCurrent();
        int r = JCudaDriver.cuLaunchKernel(function, gx, gy, gz, threads, 1, 1, 0, stream, params.build(), null);
        if (r != 0) {
            throw new CudaDriverException(r, "cuLaunchKernel(" + name + ", grid " + gx + "x" + gy + "x" + gz + ", "
                    + threads + " threads) on " + this);
        }
    }

    @Override
    public void memsetZero(long address, long bytes) {
        makeCurrent();
        Cu.check(JCudaDriver.cuMemsetD8Async(Cu.device(address), (byte) 0, bytes, stream), "cuMemsetD8Async", this);
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        makeCurrent();
        Cu.check(JCudaDriver.cuMemcpyDtoDAsync(Cu.device(dst), Cu.device(src), bytes, stream), "cuMemcpyDtoDAsync",
                this);
    }

    @Override
    public String toString() {
        return device + " (" + name + ")";
    }
}
