package dev.kiln.ops;

import dev.kiln.amp.Autocast;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * Inclusive scans along a dim, like {@code torch.cumsum} and {@code torch.cumprod}:
 * {@code out[..., i, ...] = x[..., 0, ...] op ... op x[..., i, ...]}.
 *
 * <p>Written as a Hillis–Steele scan of differentiable ops: {@code ceil(log2 n)} passes, pass {@code k} combining
 * each element with the one {@code 2^k} before it ({@code narrow} + {@code add}/{@code mul} + {@code cat}). So it
 * runs on any backend, and autograd differentiates it exactly, to any order: the cumprod gradient needs no
 * division by the input, so zeros in the input get PyTorch's (exact) gradient. NOTE: cumprod's backward keeps one
 * saved tensor per pass (log2 n copies of the input's size); float32 inputs are scanned in float64 and rounded
 * once, as PyTorch's CPU kernels accumulate float in double.
 *
 * <p>Types as in PyTorch: integral and bool inputs give int64; {@code dtype}, when given, converts the input first.
 */
public final class Scans {
    private Scans() {
    }

    public static Tensor cumsum(Tensor t, long dim, DType dtype) {
        Tensor cast = Autocast.anyOpen() ? Autocast.apply("cumsum", c -> cumsum(c[0], dim, dtype), t) : null;
        if (cast != null) { // autocast: PyTorch's CUDA float32 list
            return cast;
        }
        return scan(t, dim, dtype, Pointwise::add);
    }

    public static Tensor cumprod(Tensor t, long dim, DType dtype) {
        Tensor cast = Autocast.anyOpen() ? Autocast.apply("cumprod", c -> cumprod(c[0], dim, dtype), t) : null;
        if (cast != null) { // autocast: PyTorch's CUDA float32 list
            return cast;
        }
        return scan(t, dim, dtype, Pointwise::mul);
    }

    private static Tensor scan(Tensor t, long dim, DType dtype, BinaryOperator<Tensor> op) {
        int d = Shapes.wrapDim(dim, Math.max(t.dim(), 1)); // a 0-d tensor scans like one element, as in PyTorch
        DType out = dtype != null ? dtype : t.dtype().isFloatingPoint() ? t.dtype() : DType.INT64;
        DType work = out == DType.FLOAT32 || out.isHalf() ? DType.FLOAT64 : out; // rounded once, at the end
        try (TensorScope temps = TensorScope.openTemporaries()) { // the work copy, narrow views and partial scans
            Tensor x = Views.to(t, work);
            if (x == t) {
                x = Views.cloneTensor(t); // the result never aliases the input
            }
            if (t.dim() > 0) {
                long n = x.size(d);
                for (long k = 1; k < n; k *= 2) {
                    Tensor head = Views.narrow(x, d, 0, k);
                    Tensor combined = op.apply(Views.narrow(x, d, k, n - k), Views.narrow(x, d, 0, n - k));
                    x = Joining.cat(List.of(head, combined), d);
                }
            }
            return temps.handOut(Views.to(x, out));
        }
    }
}
