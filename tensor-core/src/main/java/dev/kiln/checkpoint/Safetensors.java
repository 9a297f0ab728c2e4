package dev.kiln.checkpoint;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
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
 * Supported dtypes: F32, F64, I64, I32, U8, BOOL. Loading validates the whole header before allocating (header
 * length within the file and at most 100 MB, known dtype, non-negative shape whose byte size equals the offset span,
 * offsets inside the buffer, tensors neither overlapping nor leaving gaps, no duplicate keys, nothing after the
 * JSON but padding) and reports the file and tensor at fault. Loaded tensors are copied into buffers from the current
 * {@link TensorScope}'s allocator, so they belong to the caller's scope and its leak check.
 */
public final class Safetensors {
    /** Largest header accepted, as the reference implementation does. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final String METADATA = "__metadata__";

    private Safetensors() {
    }

    /** A file's tensors (in header order) and its {@code __metadata__} (empty when absent). */
    public record Contents(LinkedHashMap<String, Tensor> tensors, LinkedHashMap<String, String> metadata) {
    }

    /** What the header says about one tensor. */
    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    }

    // ---------------------------------------------------------------- dtype names

    static String dtypeName(DType d) {
        return switch (d) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case UINT8 -> "U8";
            case BOOL -> "BOOL";
        };
    }

    private static DType dtypeOf(String name) {
        return switch (name) {
            case "F32" -> DType.FLOAT32;
            case "F64" -> DType.FLOAT64;
            case "I64" -> DType.INT64;
            case "I32" -> DType.INT32;
            case "U8" -> DType.UINT8;
            case "BOOL" -> DType.BOOL;
            default -> null;
        };
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

    /**
     * Writes {@code tensors} (in map order) and {@code metadata} to {@code path}, through a temporary file moved
     * into place, so a crash mid-write never leaves a truncated checkpoint under the final name.
     */
    public static void save(Map<String, Tensor> tensors, Path path, Map<String, String> metadata) throws IOException {
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
            long bytes = t.numel() * t.dtype().byteSize();
            LinkedHashMap<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", dtypeName(t.dtype()));
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
        head.flip();
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, head);
            for (Tensor t : tensors.values()) {
                writeTensor(ch, t);
            }
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeTensor(FileChannel ch, Tensor t) throws IOException {
        try (var scope = TensorScope.open()) {
            Tensor c = t.device().isCuda() ? t.to(Device.CPU) : t;
            c = c.contiguous();
            long bytes = c.numel() * c.dtype().byteSize();
            if (bytes > 0) {
                long start = c.storageOffset() * c.dtype().byteSize();
                writeFully(ch, c.storage().arrowBuf().nioBuffer(start, Math.toIntExact(bytes)));
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
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
        requireLittleEndianHost();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsException(path, "file is " + size + " bytes, too small for the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, path);
            long n = lenBuf.flip().getLong();
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new SafetensorsException(path, "header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (8 + n > size) {
                throw new SafetensorsException(path, "header length " + n + " runs past the end of the " + size
                        + "-byte file");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
            readFully(ch, headerBytes, 8, path);
            LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = parseHeader(path, decode(path, headerBytes.flip()), size - 8 - n, metadata);
            return new Contents(readTensors(ch, path, 8 + n, entries), metadata);
        }
    }

    private static String decode(Path path, ByteBuffer bytes) throws SafetensorsException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path, "header is not valid UTF-8");
        }
    }

    private static List<Entry> parseHeader(Path path, String text, long bufferSize,
                                           Map<String, String> metadata) throws SafetensorsException {
        if (!text.startsWith("{")) {
            throw new SafetensorsException(path, "header must start with '{'");
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new SafetensorsException(path, "header is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> top)) {
            throw new SafetensorsException(path, "header must be a JSON object");
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : top.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA)) {
                readMetadata(path, e.getValue(), metadata);
            } else {
                entries.add(entry(path, name, e.getValue(), bufferSize));
            }
        }
        checkLayout(path, entries, bufferSize);
        return entries;
    }

    private static void readMetadata(Path path, Object value, Map<String, String> out) throws SafetensorsException {
        if (!(value instanceof Map<?, ?> m)) {
            throw new SafetensorsException(path, "__metadata__ must be an object of strings");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String v)) {
                throw new SafetensorsException(path, "__metadata__ value for '" + e.getKey() + "' must be a string");
            }
            out.put((String) e.getKey(), v);
        }
    }

    private static Entry entry(Path path, String name, Object value, long bufferSize) throws SafetensorsException {
        if (!(value instanceof Map<?, ?> info)) {
            throw new SafetensorsException(path, name, "entry must be an object");
        }
        for (Object key : info.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw new SafetensorsException(path, name, "unknown field '" + key + "'");
            }
        }
        if (!(info.get("dtype") instanceof String dtypeName)) {
            throw new SafetensorsException(path, name, "missing string field 'dtype'");
        }
        DType dtype = dtypeOf(dtypeName);
        if (dtype == null) {
            throw new SafetensorsException(path, name, "unsupported dtype '" + dtypeName
                    + "' (expected F32, F64, I64, I32, U8 or BOOL)");
        }
        long[] shape = longs(path, name, info.get("shape"), "shape", -1);
        long[] offsets = longs(path, name, info.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > bufferSize) {
            throw new SafetensorsException(path, name, "data_offsets [" + begin + ", " + end
                    + "] are not inside the " + bufferSize + "-byte data buffer");
        }
        long need;
        try {
            need = dtype.byteSize();
            for (long s : shape) {
                need = Math.multiplyExact(need, s);
            }
        } catch (ArithmeticException e) {
            throw new SafetensorsException(path, name, "shape " + Shapes.str(shape) + " overflows");
        }
        if (need != end - begin) {
            throw new SafetensorsException(path, name, "data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes but shape " + Shapes.str(shape) + " of " + dtypeName + " needs " + need);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A list of non-negative integers, of {@code length} items unless that is -1. */
    private static long[] longs(Path path, String name, Object v, String field, int length)
            throws SafetensorsException {
        if (!(v instanceof List<?> list) || (length >= 0 && list.size() != length)) {
            throw new SafetensorsException(path, name, "field '" + field + "' must be a list of "
                    + (length >= 0 ? length + " " : "") + "non-negative integers, got " + v);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long x) || x < 0) {
                throw new SafetensorsException(path, name, "field '" + field + "' must hold non-negative integers, got "
                        + list);
            }
            out[i] = x;
        }
        return out;
    }

    /** Tensors sorted by offset must tile the buffer exactly: no overlap, no gap, nothing left over. */
    private static void checkLayout(Path path, List<Entry> entries, long bufferSize) throws SafetensorsException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        for (Entry e : sorted) {
            if (e.begin() < at) {
                throw new SafetensorsException(path, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap another tensor's bytes (which end at " + at + ")");
            }
            if (e.begin() > at) {
                throw new SafetensorsException(path, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] leave bytes [" + at + ", " + e.begin() + ") of the buffer unused");
            }
            at = e.end();
        }
        if (at != bufferSize) {
            throw new SafetensorsException(path, "tensors cover " + at + " bytes but the data buffer has " + bufferSize);
        }
    }

    private static LinkedHashMap<String, Tensor> readTensors(FileChannel ch, Path path, long dataStart,
                                                             List<Entry> entries) throws IOException {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (Entry e : entries) {
                Tensor t = Tensor.empty(e.dtype(), e.shape());
                out.put(e.name(), LeakTracking.handedOut(t)); // every entry is a result, read or not
                long bytes = e.end() - e.begin();
                if (bytes > 0) {
                    readFully(ch, t.storage().arrowBuf().nioBuffer(0, Math.toIntExact(bytes)), dataStart + e.begin(),
                            path);
                }
            }
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.values().forEach(Tensor::close);
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position, Path path) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, at);
            if (n < 0) {
                throw new SafetensorsException(path, "file ended early at byte " + at);
            }
            at += n;
        }
    }
}
