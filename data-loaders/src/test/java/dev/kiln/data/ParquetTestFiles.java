package dev.kiln.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BiConsumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/** Writes small Parquet files of any schema (parquet-hadoop's example Group API) for the reader tests. */
final class ParquetTestFiles {
    /** Spark's array<float> with nullable elements plus a nullable int label: room for every bad-input case. */
    static final String NULLABLE_SCHEMA = """
            message spark_schema {
              optional group features (LIST) { repeated group list { optional float element; } }
              optional int32 label;
              optional binary name (STRING);
            }""";

    private ParquetTestFiles() {
    }

    /** Writes {@code rows} rows, filling each with {@code fill(row index, group)}, row groups of rowGroupRows. */
    static Path write(Path file, String schema, int rows, int rowGroupRows, BiConsumer<Integer, Group> fill)
            throws IOException {
        return write(file, schema, rows, rowGroupRows, true, false, fill);
    }

    /** Also chooses dictionary encoding (else PLAIN) and data page V2 (else V1), the layouts readers must handle. */
    static Path write(Path file, String schema, int rows, int rowGroupRows, boolean dictionary, boolean pageV2,
                      BiConsumer<Integer, Group> fill) throws IOException {
        return write(file, schema, rows, rowGroupRows, dictionary, pageV2, false, fill);
    }

    /** Also BYTE_STREAM_SPLIT for float/double (and, parquet-mr 1.14+, int32/int64/fixed) columns without a dictionary. */
    static Path write(Path file, String schema, int rows, int rowGroupRows, boolean dictionary, boolean pageV2,
                      boolean byteStreamSplit, BiConsumer<Integer, Group> fill) throws IOException {
        MessageType type = MessageTypeParser.parseMessageType(schema);
        Configuration conf = ParquetFiles.localConfiguration();
        SimpleGroupFactory f = new SimpleGroupFactory(type);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(
                        HadoopOutputFile.fromPath(new org.apache.hadoop.fs.Path(file.toUri()), conf))
                .withConf(conf).withType(type).withRowGroupRowCountLimit(rowGroupRows)
                .withDictionaryEncoding(dictionary).withPageRowCountLimit(7)
                .withByteStreamSplitEncoding(byteStreamSplit)
                .withWriterVersion(pageV2 ? org.apache.parquet.column.ParquetProperties.WriterVersion.PARQUET_2_0
                        : org.apache.parquet.column.ParquetProperties.WriterVersion.PARQUET_1_0)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE).build()) {
            for (int i = 0; i < rows; i++) {
                Group g = f.newGroup();
                fill.accept(i, g);
                w.write(g);
            }
        }
        return file;
    }

    /** Appends a list<float> value to a 3-level list field. */
    static void list(Group g, String field, float... values) {
        Group list = g.addGroup(field);
        for (float v : values) {
            list.addGroup("list").append("element", v);
        }
    }

    /** The value every generated file stores at (row, column): easy to check after any shuffle. */
    static float value(int row, int col) {
        return row * 10 + col + 0.5f;
    }

    /** {@code rows} rows of n features {@code value(row, j)} and label {@code row % 7}, via FeatureLabelWriter. */
    static Path features(Path file, int firstRow, int rows, int n, int rowGroupRows) throws IOException {
        features(file.toString(), firstRow, rows, n, rowGroupRows);
        return file;
    }

    /** The same at any Hadoop location, e.g. {@code hdfs://127.0.0.1:port/table/part-0.parquet}. */
    static void features(String location, int firstRow, int rows, int n, int rowGroupRows) throws IOException {
        try (FeatureLabelWriter w = new FeatureLabelWriter(location, 128L << 20, rowGroupRows)) {
            for (int i = firstRow; i < firstRow + rows; i++) {
                float[] x = new float[n];
                for (int j = 0; j < n; j++) {
                    x[j] = value(i, j);
                }
                w.write(x, i % 7);
            }
        }
    }
}
