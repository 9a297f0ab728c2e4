package dev.kiln.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that breaks the format; the message names the file and, where one is at fault, the tensor. */
public final class SafetensorsException extends IOException {
    SafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
    }

    SafetensorsException(Path file, String tensor, String problem) {
        super(file + ": tensor '" + tensor + "': " + problem);
    }
}
