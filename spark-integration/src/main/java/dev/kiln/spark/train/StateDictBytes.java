package dev.kiln.spark.train;

import dev.kiln.checkpoint.Safetensors;
import dev.kiln.nn.Module;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;

/**
 * A model's state dict as safetensors bytes: how trained weights travel from rank 0 to the driver and into a
 * {@code KilnModel}. The bytes load in PyTorch with {@code safetensors.torch.load}.
 */
public final class StateDictBytes {
    private StateDictBytes() {
    }

    public static byte[] save(Module model) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("kiln-state-", ".safetensors");
            try (TensorScope scope = TensorScope.open()) { // stateDict()'s views must not outlive the call
                Safetensors.save(model.stateDict(), tmp);
            }
            return Files.readAllBytes(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize the state dict: " + e.getMessage(), e);
        } finally {
            delete(tmp);
        }
    }

    /** Loads {@code bytes} into {@code model} strictly (PyTorch's load_state_dict with strict=True). */
    public static void load(byte[] bytes, Module model) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("kiln-state-", ".safetensors");
            Files.write(tmp, bytes);
            LinkedHashMap<String, Tensor> state = Safetensors.load(tmp);
            try {
                model.loadStateDict(state);
            } finally {
                state.values().forEach(Tensor::close);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the state dict: " + e.getMessage(), e);
        } finally {
            delete(tmp);
        }
    }

    private static void delete(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp file
            }
        }
    }
}
