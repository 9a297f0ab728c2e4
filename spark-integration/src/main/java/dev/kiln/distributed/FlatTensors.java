package dev.kiln.distributed;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;

/**
 * A list of contiguous tensors of one dtype seen as one flat byte range, without copying: byte {@code p} of the
 * range lives in the tensor whose prefix-sum interval holds {@code p}. Collectives cut this range into ring
 * chunks and send or receive through {@link ByteBuffer} views of the tensors' own Arrow buffers
 * ({@link ArrowBuf#nioBuffer(long, int)}, bounds-checked by Arrow), so no tensor is copied to a {@code byte[]}.
 *
 * <p>The tensors are held for the whole collective and {@link #release()} fences them
 * ({@link Reference#reachabilityFence}), so the GC safety net cannot free their memory while a socket reads
 * or writes it by address.
 */
final class FlatTensors {
    /** Views are capped well below {@code Integer.MAX_VALUE} (a ByteBuffer's limit) and keep syscalls bounded. */
    static final int MAX_VIEW_BYTES = 1 << 26;

    private final Tensor[] tensors;
    private final ArrowBuf[] buffers;
    private final long[] bufferOffsets;
    private final long[] starts; // starts[i] = byte offset of tensor i in the flat range; starts[n] = total
    private final DType dtype;

    private FlatTensors(Tensor[] tensors, ArrowBuf[] buffers, long[] bufferOffsets, long[] starts, DType dtype) {
        this.tensors = tensors;
        this.buffers = buffers;
        this.bufferOffsets = bufferOffsets;
        this.starts = starts;
        this.dtype = dtype;
    }

    /** Validates {@code list} for {@code collective} (contiguous, CPU, one dtype, open) and maps it. */
    static FlatTensors of(List<Tensor> list, String collective) {
        if (list == null || list.isEmpty()) {
            throw new IllegalArgumentException(collective + " needs at least one tensor, got none");
        }
        int n = list.size();
        Tensor[] ts = new Tensor[n];
        ArrowBuf[] bufs = new ArrowBuf[n];
        long[] offs = new long[n];
        long[] starts = new long[n + 1];
        DType dtype = null;
        for (int i = 0; i < n; i++) {
            Tensor t = list.get(i);
            if (t == null) {
                throw new IllegalArgumentException(collective + ": tensor " + i + " is null");
            }
            String where = collective + ": tensor " + i + " (shape " + Shapes.str(t.shape()) + ", " + t.dtype().torchName()
                    + ")";
            if (dtype == null) {
                dtype = t.dtype();
            } else if (t.dtype() != dtype) {
                throw new IllegalArgumentException(where + " does not match tensor 0's dtype " + dtype.torchName()
                        + "; all tensors of one call must share a dtype");
            }
            if (!t.device().equals(Device.CPU)) {
                throw new IllegalArgumentException(where + " is on " + t.device() + "; Tensors must be CPU and dense");
            }
            if (!t.isContiguous()) {
                throw new IllegalArgumentException(where + " has strides " + Arrays.toString(t.strides())
                        + "; Tensors must be contiguous (call .contiguous() first)");
            }
            ArrowBuf buf = t.storage().arrowBuf(); // throws if the tensor was closed
            long bytes = t.numel() * t.dtype().byteSize();
            long off = t.dataAddress() - buf.memoryAddress();
            if (off < 0 || off + bytes > buf.capacity()) {
                throw new IllegalStateException(where + " lies outside its Arrow buffer (offset " + off + ", "
                        + bytes + " bytes, capacity " + buf.capacity() + ")");
            }
            ts[i] = t;
            bufs[i] = buf;
            offs[i] = off;
            starts[i + 1] = starts[i] + bytes;
        }
        return new FlatTensors(ts, bufs, offs, starts, dtype);
    }

    DType dtype() {
        return dtype;
    }

    int elementSize() {
        return dtype.byteSize();
    }

    long byteSize() {
        return starts[starts.length - 1];
    }

    long numel() {
        return byteSize() / dtype.byteSize();
    }

    /**
     * A native-order view of the bytes from flat position {@code pos}, at most {@code maxBytes} long and never
     * crossing the end of the tensor holding {@code pos} (so it holds whole elements when both bounds do).
     */
    ByteBuffer view(long pos, long maxBytes) {
        int i = Arrays.binarySearch(starts, pos);
        i = i >= 0 ? i : -i - 2;
        while (starts[i + 1] == pos) {
            i++; // skip empty tensors that start where pos is
        }
        long within = pos - starts[i];
        long len = Math.min(Math.min(maxBytes, starts[i + 1] - pos), MAX_VIEW_BYTES);
        return buffers[i].nioBuffer(bufferOffsets[i] + within, (int) len).order(ByteOrder.nativeOrder());
    }

    /** Marks every tensor as modified in place (autograd's version counter). */
    void bumpVersions() {
        for (Tensor t : tensors) {
            t.storage().bumpVersion();
        }
    }

    /** Keeps the tensors reachable until here: call after the last byte moved. */
    void release() {
        Reference.reachabilityFence(tensors);
        Reference.reachabilityFence(buffers);
    }
}
