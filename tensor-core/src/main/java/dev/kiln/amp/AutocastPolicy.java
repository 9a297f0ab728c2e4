package dev.kiln.amp;

import dev.kiln.tensor.Device;
import java.util.Set;

/**
 * Which ops autocast casts, by PyTorch 1.13's lists ({@code aten/src/ATen/autocast_mode.cpp}), limited to the ops
 * Kiln has. The CPU lists were checked against torch 1.13's CPU autocast (the output dtypes of
 * {@code src/test/python/gen_autocast_torch.py}): there softmax, log_softmax, layer_norm, batch_norm and sum keep
 * their input's type, while the losses run in float32. CUDA follows its own 1.13 lists (float32 softmax,
 * log_softmax, layer_norm, group_norm, exp, log, pow, reciprocal, rsqrt, sum, cumsum and cumprod;
 * {@code binary_cross_entropy} refused).
 */
final class AutocastPolicy {
    private static final Set<String> CPU_LOWER = Set.of("linear", "matmul", "mm", "bmm", "addmm", "baddbmm",
            "addbmm", "conv1d", "conv2d", "conv3d", "prelu");
    private static final Set<String> CPU_FLOAT32 = Set.of("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
            "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "prod");
    private static final Set<String> CUDA_LOWER = Set.of("linear", "matmul", "mm", "bmm", "addmm", "baddbmm",
            "addbmm", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
            "prelu", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell");
    private static final Set<String> CUDA_FLOAT32 = Set.of("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
            "cross_entropy", "nll_loss", "binary_cross_entropy_with_logits", "kl_div", "prod", "softmax",
            "log_softmax", "layer_norm", "group_norm", "binary_cross_entropy", "exp", "log", "pow", "reciprocal",
            "rsqrt", "sum", "cumsum", "cumprod");
    private static final Set<String> CUDA_BANNED = Set.of("binary_cross_entropy");

    private AutocastPolicy() {
    }

    static Set<String> lowerPrecision(Device.Type type) {
        return type == Device.Type.CPU ? CPU_LOWER : CUDA_LOWER;
    }

    static Set<String> float32(Device.Type type) {
        return type == Device.Type.CPU ? CPU_FLOAT32 : CUDA_FLOAT32;
    }

    static Set<String> banned(Device.Type type) {
        return type == Device.Type.CPU ? Set.of() : CUDA_BANNED;
    }

    static String bannedMessage(String op) {
        return "torch.nn.functional." + op + " and torch.nn.BCELoss are unsafe to autocast.\nMany models use a sigmoid "
                + "layer right before the binary cross entropy layer.\nIn this case, combine the two layers using "
                + "torch.nn.functional.binary_cross_entropy_with_logits\nor torch.nn.BCEWithLogitsLoss.  "
                + "binary_cross_entropy_with_logits and BCEWithLogits are\nsafe to autocast.";
    }
}
