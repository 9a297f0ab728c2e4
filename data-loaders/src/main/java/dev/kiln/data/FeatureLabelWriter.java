package dev.kiln.data;

import java.io.IOException;
import java.util.HashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes {@code (features: array<float>, label: int)} rows in the layout Spark writes a DataFrame with those
 * columns: {@code optional group features (LIST) { repeated group list { required float element; } }} and
 * {@code required int32 label}, so Spark, pyarrow and {@link ParquetDataset} all read it.
 */
public final class FeatureLabelWriter implements AutoCloseable {
    /** The Spark-compatible schema (Spark names the message {@code spark_schema}). */
    public static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message spark_schema {
              optional group features (LIST) {
                repeated group list {
                  required float element;
                }
              }
              required int32 label;
            }""");

    /** One row to write. */
    record Row(float[] features, int label) {
    }

    private final ParquetWriter<Row> writer;

    /** Snappy-compressed with row groups of about {@code rowGroupBytes} (Spark's default is 128 MiB). */
    public FeatureLabelWriter(String path, long rowGroupBytes) throws IOException {
        this(path, rowGroupBytes, Integer.MAX_VALUE);
    }

    /** Also caps row groups at {@code rowGroupRows} rows (small row groups for sharding and tests). */
    public FeatureLabelWriter(String path, long rowGroupBytes, int rowGroupRows) throws IOException {
        Configuration conf = ParquetFiles.localConfiguration();
        this.writer = new Builder(HadoopOutputFile.fromPath(new Path(path), conf))
                .withConf(conf)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withRowGroupSize(rowGroupBytes)
                .withRowGroupRowCountLimit(rowGroupRows)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
    }

    public void write(float[] features, int label) throws IOException {
        writer.write(new Row(features, label));
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }

    private static final class Builder extends ParquetWriter.Builder<Row, Builder> {
        Builder(org.apache.parquet.io.OutputFile file) {
            super(file);
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Row> getWriteSupport(Configuration conf) {
            return new RowWriteSupport();
        }
    }

    /** Emits one row as Parquet's record events (the 3-level list encoding). */
    private static final class RowWriteSupport extends WriteSupport<Row> {
        private RecordConsumer out;

        @Override
        public WriteContext init(Configuration configuration) {
            return new WriteContext(SCHEMA, new HashMap<>());
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.out = recordConsumer;
        }

        @Override
        public void write(Row row) {
            out.startMessage();
            out.startField("features", 0);
            out.startGroup();
            if (row.features().length > 0) {
                out.startField("list", 0);
                for (float v : row.features()) {
                    out.startGroup();
                    out.startField("element", 0);
                    out.addFloat(v);
                    out.endField("element", 0);
                    out.endGroup();
                }
                out.endField("list", 0);
            }
            out.endGroup();
            out.endField("features", 0);
            out.startField("label", 1);
            out.addInteger(row.label());
            out.endField("label", 1);
            out.endMessage();
        }
    }
}
