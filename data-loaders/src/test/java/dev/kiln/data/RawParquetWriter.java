package dev.kiln.data;

import io.airlift.compress.lz4.Lz4Compressor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.bytestreamsplit.ByteStreamSplitValuesWriter;
import org.apache.parquet.column.values.delta.DeltaBinaryPackingValuesWriterForInteger;
import org.apache.parquet.column.values.delta.DeltaBinaryPackingValuesWriterForLong;
import org.apache.parquet.column.values.deltalengthbytearray.DeltaLengthByteArrayValuesWriter;
import org.apache.parquet.column.values.deltastrings.DeltaByteArrayWriter;
import org.apache.parquet.column.values.plain.BooleanPlainValuesWriter;
import org.apache.parquet.column.values.plain.FixedLenByteArrayPlainValuesWriter;
import org.apache.parquet.column.values.plain.PlainValuesWriter;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridValuesWriter;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Writes Parquet files page by page with parquet-mr's own file writer and value encoders, so a test chooses the
 * encoding, data page version and codec of every page (parquet-mr's record writer picks them itself). Columns are
 * top-level: flat ({@code values[row]}, null for a null) or lists ({@code values[row]} an {@code Object[]} of
 * elements, null for a null list); values are Integer (INT32), Long (INT64), Float, Double, Boolean or byte[]
 * (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96).
 */
final class RawParquetWriter {
    /**
     * How every page is written. {@code codec} may be BROTLI or LZO: the pages are then stored raw but labelled so,
     * for the "codec not available" tests.
     */
    record Spec(Encoding encoding, boolean v2, CompressionCodecName codec, int rowsPerPage) {
        static Spec of(Encoding encoding) {
            return new Spec(encoding, false, CompressionCodecName.UNCOMPRESSED, 7);
        }

        Spec v2(boolean v2) {
            return new Spec(encoding, v2, codec, rowsPerPage);
        }

        Spec codec(CompressionCodecName codec) {
            return new Spec(encoding, v2, codec, rowsPerPage);
        }
    }

    private RawParquetWriter() {
    }

    /** Writes one row group with the given columns (name to per-row values), all pages per {@code spec}. */
    static Path write(Path file, String schema, Map<String, Object[]> columns, Spec spec) throws IOException {
        return write(file, schema, columns, spec, columns.values().iterator().next().length);
    }

    /** The same, but the footer declares {@code declaredRows} rows (a file that lies, for the bounds tests). */
    static Path write(Path file, String schema, Map<String, Object[]> columns, Spec spec, long declaredRows)
            throws IOException {
        MessageType type = MessageTypeParser.parseMessageType(schema);
        Configuration conf = ParquetFiles.localConfiguration();
        long rows = declaredRows;
        ParquetFileWriter w = new ParquetFileWriter(HadoopOutputFile.fromPath(new org.apache.hadoop.fs.Path(
                file.toUri()), conf), type, ParquetFileWriter.Mode.OVERWRITE, 128 << 20, 0);
        w.start();
        w.startBlock(rows);
        for (ColumnDescriptor d : type.getColumns()) {
            Object[] values = columns.get(d.getPath()[0]);
            writeColumn(w, d, values, spec, conf);
        }
        w.endBlock();
        w.end(new HashMap<>());
        return file;
    }

    static Path write(Path file, String schema, String column, Object[] values, Spec spec) throws IOException {
        Map<String, Object[]> cols = new LinkedHashMap<>();
        cols.put(column, values);
        return write(file, schema, cols, spec);
    }

    /** Levels and non-null values of some rows of a column. */
    private record Slice(int[] rep, int[] def, List<Object> values, int nulls) {
    }

    private static Slice slice(ColumnDescriptor d, Object[] rows, int from, int to) {
        int maxDef = d.getMaxDefinitionLevel();
        List<Integer> rep = new ArrayList<>();
        List<Integer> def = new ArrayList<>();
        List<Object> values = new ArrayList<>();
        int nulls = 0;
        for (int r = from; r < to; r++) {
            Object v = rows[r];
            if (d.getMaxRepetitionLevel() == 0) {
                rep.add(0);
                def.add(v == null ? maxDef - 1 : maxDef);
                nulls += v == null ? 1 : 0;
                if (v != null) {
                    values.add(v);
                }
                continue;
            }
            Object[] list = (Object[]) v; // 3-level list: optional group, repeated group, element
            boolean elementOptional = d.getPrimitiveType().isRepetition(org.apache.parquet.schema.Type.Repetition.OPTIONAL);
            int full = maxDef;
            if (list == null || list.length == 0) {
                rep.add(0);
                def.add(list == null ? 0 : full - (elementOptional ? 2 : 1));
                nulls++;
                continue;
            }
            for (int j = 0; j < list.length; j++) {
                rep.add(j == 0 ? 0 : 1);
                def.add(list[j] == null ? full - 1 : full);
                if (list[j] != null) {
                    values.add(list[j]);
                } else {
                    nulls++;
                }
            }
        }
        return new Slice(rep.stream().mapToInt(Integer::intValue).toArray(),
                def.stream().mapToInt(Integer::intValue).toArray(), values, nulls);
    }

    private static void writeColumn(ParquetFileWriter w, ColumnDescriptor d, Object[] rows, Spec spec,
                                    Configuration conf) throws IOException {
        Slice all = slice(d, rows, 0, rows.length);
        w.startColumn(d, all.def().length, spec.codec());
        List<Object> dictionary = null;
        Map<Object, Integer> ids = null;
        boolean dict = spec.encoding() == Encoding.RLE_DICTIONARY || spec.encoding() == Encoding.PLAIN_DICTIONARY;
        if (dict) {
            dictionary = new ArrayList<>();
            ids = new HashMap<>();
            for (Object v : all.values()) {
                Object key = v instanceof byte[] b ? Arrays.toString(b) : v;
                if (!ids.containsKey(key)) {
                    ids.put(key, dictionary.size());
                    dictionary.add(v);
                }
            }
            byte[] plain = encode(d, dictionary, Encoding.PLAIN).toByteArray();
            w.writeDictionaryPage(new DictionaryPage(BytesInput.from(compress(spec.codec(), plain, conf)),
                    plain.length, dictionary.size(), Encoding.PLAIN_DICTIONARY));
        }
        for (int from = 0; from < rows.length; from += spec.rowsPerPage()) {
            Slice s = slice(d, rows, from, Math.min(rows.length, from + spec.rowsPerPage()));
            byte[] values = dict ? ids(s.values(), ids, dictionary.size()) : encode(d, s.values(), spec.encoding())
                    .toByteArray();
            int n = s.def().length;
            if (spec.v2()) {
                byte[] rep = levels(s.rep(), d.getMaxRepetitionLevel(), false);
                byte[] def = levels(s.def(), d.getMaxDefinitionLevel(), false);
                w.writeDataPageV2(Math.min(rows.length, from + spec.rowsPerPage()) - from, s.nulls(), n,
                        BytesInput.from(rep), BytesInput.from(def), spec.encoding(),
                        BytesInput.from(compress(spec.codec(), values, conf)), values.length,
                        Statistics.createStats(d.getPrimitiveType()));
            } else {
                ByteArrayOutputStream page = new ByteArrayOutputStream();
                page.write(levels(s.rep(), d.getMaxRepetitionLevel(), true));
                page.write(levels(s.def(), d.getMaxDefinitionLevel(), true));
                page.write(values);
                byte[] raw = page.toByteArray();
                w.writeDataPage(n, raw.length, BytesInput.from(compress(spec.codec(), raw, conf)),
                        Statistics.createStats(d.getPrimitiveType()), Encoding.RLE, Encoding.RLE, spec.encoding());
            }
        }
        w.endColumn();
    }

    /** Hybrid-encoded levels; V1 sections carry a 4-byte length (RunLengthBitPackingHybridValuesWriter adds it). */
    private static byte[] levels(int[] levels, int max, boolean v1) throws IOException {
        if (max == 0) {
            return new byte[0];
        }
        int width = 32 - Integer.numberOfLeadingZeros(max);
        if (v1) {
            try (RunLengthBitPackingHybridValuesWriter rle = new RunLengthBitPackingHybridValuesWriter(width, 64,
                    1 << 20, HeapByteBufferAllocator.getInstance())) {
                for (int l : levels) {
                    rle.writeInteger(l);
                }
                return rle.getBytes().toByteArray();
            }
        }
        try (RunLengthBitPackingHybridEncoder rle = new RunLengthBitPackingHybridEncoder(width, 64, 1 << 20,
                HeapByteBufferAllocator.getInstance())) {
            for (int l : levels) {
                rle.writeInt(l);
            }
            return rle.toBytes().toByteArray();
        }
    }

    /** Dictionary ids: one byte of bit width, then the hybrid encoding. */
    private static byte[] ids(List<Object> values, Map<Object, Integer> ids, int size) throws IOException {
        int width = Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(size - 1, 0)));
        try (RunLengthBitPackingHybridEncoder rle = new RunLengthBitPackingHybridEncoder(width, 64, 1 << 20,
                HeapByteBufferAllocator.getInstance())) {
            for (Object v : values) {
                rle.writeInt(ids.get(v instanceof byte[] b ? Arrays.toString(b) : v));
            }
            byte[] body = rle.toBytes().toByteArray();
            byte[] out = new byte[body.length + 1];
            out[0] = (byte) width;
            System.arraycopy(body, 0, out, 1, body.length);
            return out;
        }
    }

    /** The values encoded by parquet-mr's writer for {@code encoding}. */
    static BytesInput encode(ColumnDescriptor d, List<Object> values, Encoding encoding) throws IOException {
        PrimitiveTypeName t = d.getPrimitiveType().getPrimitiveTypeName();
        int len = d.getPrimitiveType().getTypeLength();
        var alloc = HeapByteBufferAllocator.getInstance();
        ValuesWriter w = switch (encoding) {
            case PLAIN -> t == PrimitiveTypeName.BOOLEAN ? new BooleanPlainValuesWriter()
                    : t == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY || t == PrimitiveTypeName.INT96
                    ? new FixedLenByteArrayPlainValuesWriter(t == PrimitiveTypeName.INT96 ? 12 : len, 64, 1 << 20, alloc)
                    : new PlainValuesWriter(64, 1 << 20, alloc);
            case DELTA_BINARY_PACKED -> t == PrimitiveTypeName.INT32
                    ? new DeltaBinaryPackingValuesWriterForInteger(64, 1 << 20, alloc)
                    : new DeltaBinaryPackingValuesWriterForLong(64, 1 << 20, alloc);
            case DELTA_LENGTH_BYTE_ARRAY -> new DeltaLengthByteArrayValuesWriter(64, 1 << 20, alloc);
            case DELTA_BYTE_ARRAY -> new DeltaByteArrayWriter(64, 1 << 20, alloc);
            case BYTE_STREAM_SPLIT -> switch (t) {
                case FLOAT -> new ByteStreamSplitValuesWriter.FloatByteStreamSplitValuesWriter(64, 1 << 20, alloc);
                case DOUBLE -> new ByteStreamSplitValuesWriter.DoubleByteStreamSplitValuesWriter(64, 1 << 20, alloc);
                case INT32 -> new ByteStreamSplitValuesWriter.IntegerByteStreamSplitValuesWriter(64, 1 << 20, alloc);
                case INT64 -> new ByteStreamSplitValuesWriter.LongByteStreamSplitValuesWriter(64, 1 << 20, alloc);
                default -> new ByteStreamSplitValuesWriter.FixedLenByteArrayByteStreamSplitValuesWriter(len, 64,
                        1 << 20, alloc);
            };
            case RLE -> new RunLengthBitPackingHybridValuesWriter(1, 64, 1 << 20, alloc);
            default -> throw new IllegalArgumentException("no writer for " + encoding);
        };
        for (Object v : values) {
            if (v instanceof Integer i) {
                w.writeInteger(i);
            } else if (v instanceof Long l) {
                w.writeLong(l);
            } else if (v instanceof Float f) {
                w.writeFloat(f);
            } else if (v instanceof Double x) {
                w.writeDouble(x);
            } else if (v instanceof Boolean b) {
                w.writeBoolean(b);
            } else if (v instanceof byte[] b) {
                w.writeBytes(Binary.fromConstantByteArray(b));
            } else {
                throw new IllegalArgumentException("value " + v);
            }
        }
        return BytesInput.copy(w.getBytes());
    }

    private static byte[] compress(CompressionCodecName codec, byte[] raw, Configuration conf) throws IOException {
        switch (codec) {
            case UNCOMPRESSED, BROTLI, LZO -> {
                return raw;
            }
            case LZ4 -> { // Hadoop framing: [BE raw length][BE compressed length][LZ4 block]
                Lz4Compressor lz4 = new Lz4Compressor();
                byte[] block = new byte[lz4.maxCompressedLength(raw.length)];
                int n = lz4.compress(raw, 0, raw.length, block, 0, block.length);
                java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(8 + n);
                out.putInt(raw.length).putInt(n).put(block, 0, n);
                return out.array();
            }
            default -> {
                CodecFactory f = new CodecFactory(conf, 1 << 20);
                try {
                    return f.getCompressor(codec).compress(BytesInput.from(raw)).toByteArray();
                } finally {
                    f.release();
                }
            }
        }
    }
}
