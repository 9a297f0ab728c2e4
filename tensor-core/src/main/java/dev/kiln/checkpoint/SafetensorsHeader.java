package dev.kiln.checkpoint;

import dev.kiln.tensor.Shapes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Validation of a safetensors header (see {@link Safetensors}): every tensor's dtype, shape and offsets, and a
 * layout that tiles the data buffer exactly. Every message names the source and, where one is at fault, the tensor.
 */
final class SafetensorsHeader {
    private SafetensorsHeader() {
    }

    /** What the header says about one tensor. */
    record Entry(String name, StoredType type, long[] shape, long begin, long end) {
    }

    /** Validates the header; {@code bufferSize} is -1 for a stream, whose tensors must then tile from byte 0. */
    static List<Entry> parse(String source, String text, long bufferSize,
                                           Map<String, String> metadata) throws SafetensorsException {
        if (!text.startsWith("{")) {
            throw new SafetensorsException(source, "header must start with '{'");
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new SafetensorsException(source, "header is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> top)) {
            throw new SafetensorsException(source, "header must be a JSON object");
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : top.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(Safetensors.METADATA)) {
                readMetadata(source, e.getValue(), metadata);
            } else {
                entries.add(entry(source, name, e.getValue(), bufferSize));
            }
        }
        checkLayout(source, entries, bufferSize);
        return entries;
    }

    private static void readMetadata(String source, Object value, Map<String, String> out)
            throws SafetensorsException {
        if (!(value instanceof Map<?, ?> m)) {
            throw new SafetensorsException(source, "__metadata__ must be an object of strings");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String v)) {
                throw new SafetensorsException(source, "__metadata__ value for '" + e.getKey() + "' must be a string");
            }
            out.put((String) e.getKey(), v);
        }
    }

    private static Entry entry(String source, String name, Object value, long bufferSize)
            throws SafetensorsException {
        if (!(value instanceof Map<?, ?> info)) {
            throw new SafetensorsException(source, name, "entry must be an object");
        }
        for (Object key : info.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw new SafetensorsException(source, name, "unknown field '" + key + "'");
            }
        }
        if (!(info.get("dtype") instanceof String dtypeName)) {
            throw new SafetensorsException(source, name, "missing string field 'dtype'");
        }
        StoredType type = StoredType.parse(dtypeName);
        if (type == null) {
            throw new SafetensorsException(source, name, "unsupported dtype '" + dtypeName
                    + "' (expected F32, F64, F16, BF16, I64, I32, U8 or BOOL)");
        }
        long[] shape = longs(source, name, info.get("shape"), "shape", -1);
        long[] offsets = longs(source, name, info.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || (bufferSize >= 0 && end > bufferSize)) {
            throw new SafetensorsException(source, name, "data_offsets [" + begin + ", " + end
                    + "] are not inside the " + bufferSize + "-byte data buffer");
        }
        long need;
        try {
            need = type.byteSize;
            for (long s : shape) {
                need = Math.multiplyExact(need, s);
            }
        } catch (ArithmeticException e) {
            throw new SafetensorsException(source, name, "shape " + Shapes.str(shape) + " overflows");
        }
        if (need != end - begin) {
            throw new SafetensorsException(source, name, "data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes but shape " + Shapes.str(shape) + " of " + dtypeName + " needs " + need);
        }
        return new Entry(name, type, shape, begin, end);
    }

    /** A list of non-negative integers, of {@code length} items unless that is -1. */
    private static long[] longs(String source, String name, Object v, String field, int length)
            throws SafetensorsException {
        if (!(v instanceof List<?> list) || (length >= 0 && list.size() != length)) {
            throw new SafetensorsException(source, name, "field '" + field + "' must be a list of "
                    + (length >= 0 ? length + " " : "") + "non-negative integers, got " + v);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long x) || x < 0) {
                throw new SafetensorsException(source, name, "field '" + field
                        + "' must hold non-negative integers, got " + list);
            }
            out[i] = x;
        }
        return out;
    }

    /** Tensors sorted by offset must tile the buffer exactly: no overlap, no gap, nothing left over. */
    private static void checkLayout(String source, List<Entry> entries, long bufferSize) throws SafetensorsException {
        long at = 0;
        for (Entry e : sortedByOffset(entries)) {
            if (e.begin() < at) {
                throw new SafetensorsException(source, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap another tensor's bytes (which end at " + at + ")");
            }
            if (e.begin() > at) {
                throw new SafetensorsException(source, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] leave bytes [" + at + ", " + e.begin() + ") of the buffer unused");
            }
            at = e.end();
        }
        if (bufferSize >= 0 && at != bufferSize) {
            throw new SafetensorsException(source, "tensors cover " + at + " bytes but the data buffer has "
                    + bufferSize);
        }
    }

    static List<Entry> sortedByOffset(List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        return sorted;
    }
}
