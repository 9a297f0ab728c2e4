package dev.kiln.data;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.apache.arrow.memory.ArrowBuf;

/**
 * Reads the IDX files of MNIST and Fashion-MNIST ({@code train-images-idx3-ubyte[.gz]} and friends), the format
 * {@code torchvision.datasets.MNIST} parses: a big-endian magic number ({@code 0x00000803} for unsigned-byte
 * images with 3 dims, {@code 0x00000801} for unsigned-byte labels with 1 dim), then one big-endian int32 per
 * dim, then the bytes row-major. Gzip-compressed files are recognised by their content, not their name.
 *
 * <p>Tensors are created in the caller's {@code TensorScope}. Errors are {@link IOException}s naming the file.
 */
public final class IdxReader {
    /** Magic number of unsigned-byte, 3-d IDX files (images). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of unsigned-byte, 1-d IDX files (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int CHUNK = 1 << 16;

    private IdxReader() {
    }

    /** Images as a uint8 tensor {@code [N, rows, cols]}, or float32 scaled to [0, 1] (divided by 255) if asked. */
    public static Tensor readImages(Path file, boolean scaleToUnit) throws IOException {
        Tensor raw = read(file, IMAGES_MAGIC, 3);
        if (!scaleToUnit) {
            return raw;
        }
        try (raw) {
            return raw.to(DType.FLOAT32).div_(255.0);
        }
    }

    /** Labels as an int64 tensor {@code [N]} (the dtype losses expect for class indices). */
    public static Tensor readLabels(Path file) throws IOException {
        try (Tensor raw = read(file, LABELS_MAGIC, 1)) {
            return raw.to(DType.INT64);
        }
    }

    /**
     * An MNIST-style dataset of (image, label) samples, checking that both files hold the same number of items.
     * The caller owns the two tensors ({@link TensorDataset#tensors()}) and closes them when done.
     */
    public static TensorDataset dataset(Path images, Path labels, boolean scaleToUnit) throws IOException {
        Tensor x = readImages(images, scaleToUnit);
        try {
            Tensor y = readLabels(labels);
            if (y.size(0) != x.size(0)) {
                y.close();
                throw new IOException("image/label count mismatch: " + images + " holds " + x.size(0) + " images but "
                        + labels + " holds " + y.size(0) + " labels");
            }
            return new TensorDataset(x, y);
        } catch (IOException | RuntimeException e) {
            x.close();
            throw e;
        }
    }

    /** Reads an unsigned-byte IDX file with the expected magic number into a uint8 tensor. */
    static Tensor read(Path file, int expectedMagic, int expectedDims) throws IOException {
        try (DataInputStream in = new DataInputStream(open(file))) {
            long[] shape = readHeader(in, file, expectedMagic, expectedDims);
            Tensor t = Tensor.empty(DType.UINT8, shape);
            try {
                readData(in, t, file);
                return t;
            } catch (IOException | RuntimeException e) {
                t.close();
                throw e;
            }
        }
    }

    /** Opens {@code file}, decompressing when it starts with the gzip magic bytes {@code 1f 8b}. */
    private static InputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("IDX file " + file + " does not exist or is not a regular file");
        }
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), CHUNK);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        return b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(in, CHUNK), CHUNK) : in;
    }

    private static long[] readHeader(DataInputStream in, Path file, int expectedMagic, int expectedDims)
            throws IOException {
        try {
            int magic = in.readInt(); // DataInputStream is big-endian, as IDX is
            if (magic != expectedMagic) {
                throw new IOException(String.format("IDX file %s has magic number 0x%08X, expected 0x%08X (%s)", file,
                        magic, expectedMagic, expectedMagic == IMAGES_MAGIC ? "unsigned-byte images, 3 dims"
                                : "unsigned-byte labels, 1 dim"));
            }
            long[] shape = new long[expectedDims];
            for (int i = 0; i < expectedDims; i++) {
                shape[i] = in.readInt();
                if (shape[i] < 0) {
                    throw new IOException("IDX file " + file + " declares a negative size " + shape[i] + " for dim " + i);
                }
            }
            return shape;
        } catch (EOFException e) {
            throw new IOException("IDX file " + file + " is truncated inside its header", e);
        }
    }

    /** Streams the payload straight into the tensor's Arrow buffer in chunks (no whole-file byte[]). */
    private static void readData(InputStream in, Tensor t, Path file) throws IOException {
        long expected = t.numel();
        ArrowBuf buf = t.storage().arrowBuf();
        byte[] chunk = new byte[CHUNK];
        long done = 0;
        while (done < expected) {
            int n = in.read(chunk, 0, (int) Math.min(CHUNK, expected - done));
            if (n < 0) {
                throw new IOException("IDX file " + file + " is truncated: header declares shape "
                        + Shapes.str(t.shape()) + " (" + expected + " bytes of data) but only " + done
                        + " bytes follow");
            }
            buf.setBytes(done, chunk, 0, n);
            done += n;
        }
    }
}
