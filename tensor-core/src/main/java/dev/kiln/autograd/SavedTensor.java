package dev.kiln.autograd;

import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;

/** A tensor kept for backward, with the storage version it had when saved (PyTorch's SavedVariable). */
final class SavedTensor {
    private Tensor tensor;
    private final int savedVersion;
    private final String typeName;
    private final long[] shape;

    SavedTensor(Tensor tensor) {
        this.tensor = tensor;
        tensor.markSavedForBackward(); // the graph keeps it until backward; its scope frees it, not the op
        this.savedVersion = tensor.storage().version();
        this.typeName = legacyTypeName(tensor);
        this.shape = tensor.shape();
    }

    Tensor unpack(Node owner) {
        if (tensor == null) {
            throw new IllegalStateException("Trying to backward through the graph a second time (or directly access "
                    + "saved tensors after they have already been freed). Saved intermediate values of the graph are "
                    + "freed when you call .backward() or autograd.grad(). Specify retainGraph=true if you need to "
                    + "backward through the graph a second time or if you need to access saved tensors after "
                    + "calling backward.");
        }
        if (tensor.isClosed()) {
            throw new IllegalStateException("a tensor of shape " + Shapes.str(shape) + " saved by " + owner.name()
                    + " for backward was released (closed or its TensorScope ended) before backward() ran");
        }
        int now = tensor.storage().version();
        if (now != savedVersion) {
            throw new IllegalStateException("one of the variables needed for gradient computation has been modified "
                    + "by an inplace operation: [" + typeName + " " + Shapes.str(shape) + "], which is saved by "
                    + owner.name() + ", is at version " + now + "; expected version " + savedVersion + " instead.");
        }
        return tensor;
    }

    void free() {
        if (tensor != null) {
            tensor.releaseSavedForBackward();
        }
        tensor = null;
    }

    private static String legacyTypeName(Tensor t) {
        return switch (t.dtype()) {
            case FLOAT32 -> "torch.FloatTensor";
            case FLOAT64 -> "torch.DoubleTensor";
            case INT64 -> "torch.LongTensor";
            case INT32 -> "torch.IntTensor";
            case UINT8 -> "torch.ByteTensor";
            case BOOL -> "torch.BoolTensor";
            case FLOAT16 -> "torch.HalfTensor";
            case BFLOAT16 -> "torch.BFloat16Tensor";
        };
    }
}
