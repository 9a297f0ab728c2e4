package dev.kiln.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file (or stream) that breaks the format; the message names the source and, where one is at
 * fault, the tensor.
 */
public final class SafetensorsException extends IOException {
    SafetensorsException(String source, String problem) {
        super(source + ": " + problem);
    }

    SafetensorsException(String source, String tensor, String problem) {
        super(source + ": tensor '" + tensor + "': " + problem);
    }

    SafetensorsException(Path file, String problem) {
        this(file.toString(), problem);
    }
}
