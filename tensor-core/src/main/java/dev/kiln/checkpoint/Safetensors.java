package dev.kiln.checkpoint;

import dev.kiln.checkpoint.SafetensorsHeader.Entry;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format (huggingface/safetensors, the format {@code safetensors.torch.save_file}
 * writes), so Kiln state dicts interchange with PyTorch:
 * <pre>
 * 8 bytes   N, unsigned little-endian: the header's length
 * N bytes   UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [2, 2], "data_offsets": [b, e]}, ...}
 *           padded with spaces so 8 + N is a multiple of 8
 * rest      the byte buffer; tensor {@code name} is bytes [b, e) of it, C-contiguous, little-endian
 * </pre>
 * Supported dtypes: F32, F64, I64, I32, U8, BOOL, F16 and BF16. F16 / BF16 load as float16 / bfloat16 (as PyTorch's
 * {@code safetensors.torch.load_file} gives), or widened exactly to float32 on request ({@link #read(Path, boolean)});
 * half tensors save as F16 / BF16, and any floating tensor can be narrowed to either on request ({@link Precision},
 * rounding as PyTorch's {@code .half()} / {@code .bfloat16()}).
 * Loading validates the whole header before allocating (header length within the file and at most 100 MB, known
 * dtype, non-negative shape whose byte size equals the offset span, offsets inside the buffer, tensors neither
 * overlapping nor leaving gaps, no duplicate keys, nothing after the JSON but padding) and reports the file (or
 * stream) and tensor at fault. Loaded tensors are copied into buffers from the current {@link TensorScope}'s
 * allocator, so they belong to the caller's scope and its leak check.
 *
 * <p>Streams ({@link #write(Map, OutputStream, Map, Precision)}, {@link #read(InputStream, String)}) carry the
 * same bytes as files, for storage that is not a local path (e.g. a Hadoop {@code FileSystem}); a stream is
 * read sequentially and must end right after the last tensor.
 */
public final class Safetensors {
    /** Largest header accepted, as the reference implementation does. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    static final String METADATA = "__metadata__";
    /** Bytes moved per chunk when converting or copying tensor data. */
    private static final int CHUNK = 1 << 20;

    private Safetensors() {
    }

    /** How floating-point tensors are stored: as they are, or narrowed to 16 bits. */
    public enum Precision {
        /** Each tensor in its own dtype (F32, F64, F16, BF16, ...), exactly. */
        NATIVE,
        /** IEEE half precision, PyTorch's {@code torch.float16}. */
        F16,
        /** bfloat16, PyTorch's {@code torch.bfloat16}. */
        BF16
    }

    /** A file's tensors (in header order) and its {@code __metadata__} (empty when absent). */
    public record Contents(LinkedHashMap<String, Tensor> tensors, LinkedHashMap<String, String> metadata) {
    }

    private static void requireLittleEndianHost() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors I/O needs a little-endian host");
        }
    }

    // ---------------------------------------------------------------- save

    public static void save(Map<String, Tensor> tensors, Path path) throws IOException {
        save(tensors, path, Map.of());
    }

    public static void save(Map<String, Tensor> tensors, Path path, Map<String, String> metadata) throws IOException {
        save(tensors, path, metadata, Precision.NATIVE);
    }

    /**
     * Writes {@code tensors} (in map order) and {@code metadata} to {@code path} atomically: into a new temporary
     * file beside it, forced to disk, then renamed over {@code path}, so a crash mid-write never leaves a truncated
     * file under the final name (the temporary is deleted on failure).
     */
    public static void save(Map<String, Tensor> tensors, Path path, Map<String, String> metadata, Precision precision)
            throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + System.nanoTime());
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                write(tensors, ch, metadata, precision);
                ch.force(true);
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Writes the same bytes as {@link #save} to {@code out} (left open; not flushed beyond its own buffering). */
    public static void write(Map<String, Tensor> tensors, OutputStream out, Map<String, String> metadata,
                             Precision precision) throws IOException {
        write(tensors, Channels.newChannel(out), metadata, precision);
        out.flush();
    }

    private static void write(Map<String, Tensor> tensors, WritableByteChannel ch, Map<String, String> metadata,
                              Precision precision) throws IOException {
        requireLittleEndianHost();
        LinkedHashMap<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put(METADATA, new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                throw new IllegalArgumentException("tensor name '" + METADATA + "' is reserved by safetensors");
            }
            Tensor t = e.getValue();
            StoredType type = storedType(t.dtype(), precision);
            long bytes = t.numel() * type.byteSize;
            LinkedHashMap<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", type.name());
            info.put("shape", t.shape());
            info.put("data_offsets", List.of(offset, offset + bytes));
            header.put(e.getKey(), info);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        writeFully(ch, head.flip());
        for (Tensor t : tensors.values()) {
            writeTensor(ch, t, storedType(t.dtype(), precision));
        }
    }

    private static StoredType storedType(DType dtype, Precision precision) {
        if (dtype.isFloatingPoint() && precision != Precision.NATIVE) { // also float16 <-> bfloat16, via float32
            return precision == Precision.F16 ? StoredType.F16 : StoredType.BF16;
        }
        return StoredType.of(dtype);
    }

    private static void writeTensor(WritableByteChannel ch, Tensor t, StoredType type) throws IOException {
        try (var scope = TensorScope.open()) {
            Tensor c = (t.device().isCuda() ? t.to(Device.CPU) : t).contiguous();
            int width = c.dtype().byteSize();
            long n = c.numel();
            long start = c.storageOffset() * width;
            int perChunk = CHUNK / width;
            ByteBuffer narrowed = type.loadsAs != c.dtype() ? ByteBuffer.allocate(perChunk * 2) : null;
            for (long i = 0; i < n; i += perChunk) {
                int count = (int) Math.min(perChunk, n - i);
                ByteBuffer raw = c.storage().arrowBuf().nioBuffer(start + i * width, count * width);
                if (narrowed == null) {
                    writeFully(ch, raw);
                } else {
                    narrowed.clear();
                    type.narrow(raw, c.dtype(), narrowed, count);
                    writeFully(ch, narrowed.flip());
                }
            }
            Reference.reachabilityFence(c); // its memory was read through raw addresses above
        }
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    // ---------------------------------------------------------------- load

    /** The tensors of {@code path}, allocated in the current scope. */
    public static LinkedHashMap<String, Tensor> load(Path path) throws IOException {
        return read(path).tensors();
    }

    /** Tensors and metadata of {@code path}; the tensors belong to the current scope. */
    public static Contents read(Path path) throws IOException {
        return read(path, false);
    }

    /**
     * As {@link #read(Path)}; with {@code halfAsFloat32}, F16 and BF16 tensors load widened (exactly) to float32,
     * for code that wants full-precision copies of a half checkpoint.
     */
    public static Contents read(Path path, boolean halfAsFloat32) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return read(ch, ch.size(), path.toString(), halfAsFloat32);
        }
    }

    /** The tensors of {@code path}; with {@code halfAsFloat32}, F16 / BF16 ones widened to float32. */
    public static LinkedHashMap<String, Tensor> load(Path path, boolean halfAsFloat32) throws IOException {
        return read(path, halfAsFloat32).tensors();
    }

    /**
     * Tensors and metadata from {@code in}, read to its end (not closed); {@code source} names it in errors (e.g.
     * {@code hdfs://.../ckpt.safetensors}). The tensors belong to the current scope.
     */
    public static Contents read(InputStream in, String source) throws IOException {
        return read(Channels.newChannel(in), -1, source, false);
    }

    /** As {@link #read(InputStream, String)}; {@code halfAsFloat32} as in {@link #read(Path, boolean)}. */
    public static Contents read(InputStream in, String source, boolean halfAsFloat32) throws IOException {
        return read(Channels.newChannel(in), -1, source, halfAsFloat32);
    }

    /** Reads sequentially from {@code ch}; {@code size} is the total byte count, or -1 when unknown (a stream). */
    private static Contents read(ReadableByteChannel ch, long size, String source, boolean halfAsFloat32)
            throws IOException {
        requireLittleEndianHost();
        if (size >= 0 && size < 8) {
            throw new SafetensorsException(source, "file is " + size + " bytes, too small for the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0, source);
        long n = lenBuf.flip().getLong();
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafetensorsException(source, "header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (size >= 0 && 8 + n > size) {
            throw new SafetensorsException(source, "header length " + n + " runs past the end of the " + size
                    + "-byte file");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
        readFully(ch, headerBytes, 8, source);
        LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = SafetensorsHeader.parse(source, decode(source, headerBytes.flip()), size < 0 ? -1 : size - 8 - n,
                metadata);
        LinkedHashMap<String, Tensor> tensors = readTensors(ch, source, 8 + n, entries, halfAsFloat32);
        if (size < 0) {
            requireEnd(ch, source, tensors, 8 + n + entries.stream().mapToLong(Entry::end).max().orElse(0));
        }
        return new Contents(tensors, metadata);
    }

    /** A stream must end right after the last tensor, as a file's buffer must (its length is checked up front). */
    private static void requireEnd(ReadableByteChannel ch, String source, Map<String, Tensor> tensors, long at)
            throws IOException {
        if (ch.read(ByteBuffer.allocate(1)) > 0) {
            tensors.values().forEach(Tensor::close);
            throw new SafetensorsException(source, "data continues after the last tensor, which ends at byte " + at);
        }
    }

    private static String decode(String source, ByteBuffer bytes) throws SafetensorsException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(source, "header is not valid UTF-8");
        }
    }

    /** Reads the data buffer front to back (the layout tiles it), into tensors returned in header order. */
    private static LinkedHashMap<String, Tensor> readTensors(ReadableByteChannel ch, String source, long dataStart,
                                                             List<Entry> entries, boolean halfAsFloat32)
            throws IOException {
        LinkedHashMap<String, Tensor> byName = new LinkedHashMap<>();
        for (Entry e : entries) {
            byName.put(e.name(), null);
        }
        boolean ok = false;
        try {
            for (Entry e : SafetensorsHeader.sortedByOffset(entries)) {
                DType as = halfAsFloat32 && e.type().isHalf() ? DType.FLOAT32 : e.type().loadsAs;
                Tensor t = Tensor.empty(as, e.shape());
                byName.put(e.name(), LeakTracking.handedOut(t)); // every entry is a result, read or not
                readData(ch, source, dataStart + e.begin(), e, t);
            }
            ok = true;
            return byName;
        } finally {
            if (!ok) {
                byName.values().stream().filter(java.util.Objects::nonNull).forEach(Tensor::close);
            }
        }
    }

    private static void readData(ReadableByteChannel ch, String source, long position, Entry e, Tensor t)
            throws IOException {
        int width = e.type().byteSize;
        long n = t.numel();
        int perChunk = CHUNK / 4;
        ByteBuffer narrow = e.type().loadsAs != t.dtype() ? ByteBuffer.allocate(perChunk * width) : null;
        for (long i = 0; i < n; i += perChunk) {
            int count = (int) Math.min(perChunk, n - i);
            long at = position + i * width;
            ByteBuffer dst = t.storage().arrowBuf().nioBuffer(i * t.dtype().byteSize(), count * t.dtype().byteSize());
            if (narrow == null) {
                readFully(ch, dst, at, source);
            } else {
                narrow.clear().limit(count * width);
                readFully(ch, narrow, at, source);
                e.type().widen(narrow.flip(), dst, count);
            }
        }
        Reference.reachabilityFence(t); // written through raw addresses above
    }

    private static void readFully(ReadableByteChannel ch, ByteBuffer dst, long position, String source)
            throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst);
            if (n < 0) {
                throw new SafetensorsException(source, "file ended early at byte " + at);
            }
            at += n;
        }
    }
}
