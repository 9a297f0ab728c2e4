package dev.kiln.backend.cuda;

import dev.kiln.backend.KernelArg;
import dev.kiln.tensor.Device;
import java.util.function.Function;

/** Base of the kernel families: how they find the device an argument lives on. */
abstract class KernelFamily {
    /** The real GPUs ({@link CudaRuntime#device(Device)}); tests pass recording fakes. */
    static final Function<Device, DeviceQueue> GPUS = CudaRuntime::device;

    final Function<Device, DeviceQueue> queues;

    KernelFamily(Function<Device, DeviceQueue> queues) {
        this.queues = queues;
    }

    /** The device holding {@code t}, with PyTorch-worded errors when it is not a usable GPU. */
    DeviceQueue queue(KernelArg t) {
        return queues.apply(t.device());
    }
}
