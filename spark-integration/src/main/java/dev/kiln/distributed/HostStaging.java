package dev.kiln.distributed;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Collectives on GPU tensors: the TCP ring reads and writes host (Arrow) memory, so tensors on a device are copied
 * to host tensors, the collective runs on those, and the results are copied back. One device-to-host and one
 * host-to-device copy per bucket; a GPU-direct transport (NCCL) would avoid both, and is not in this build.
 * Host tensors pass through untouched (no copy).
 */
final class HostStaging {
    private HostStaging() {
    }

    /** Runs {@code collective} over host versions of {@code tensors}; writes device results back if asked. */
    static void run(List<Tensor> tensors, boolean writeBack, Consumer<List<Tensor>> collective) {
        if (tensors.stream().allMatch(t -> t == null || t.device() == Device.CPU)) {
            collective.accept(tensors);
            return;
        }
        List<Tensor> host = new ArrayList<>(tensors.size());
        try (var g = Autograd.noGrad()) {
            for (Tensor t : tensors) {
                host.add(t == null || t.device() == Device.CPU ? t : t.to(Device.CPU));
            }
            collective.accept(host);
            if (writeBack) {
                for (int i = 0; i < tensors.size(); i++) {
                    if (host.get(i) != tensors.get(i)) {
                        tensors.get(i).copy_(host.get(i));
                    }
                }
            }
        } finally {
            for (int i = 0; i < host.size(); i++) {
                if (host.get(i) != tensors.get(i)) {
                    host.get(i).close();
                }
            }
        }
    }
}
