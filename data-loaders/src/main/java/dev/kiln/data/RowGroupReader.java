package dev.kiln.data;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.schema.MessageType;

/**
 * Reads one row group of one file: takes the file's footer from the epoch's {@link Footers} (read once per file
 * per epoch), reads only the dataset's column chunks (column projection: other chunks are never fetched), one
 * positioned read each through Hadoop's FileSystem, and decodes them into Arrow vectors ({@link RowGroupDecoder}).
 * Safe to call from several threads at once (each call opens its own stream, closed before it returns).
 *
 * <p>Errors: data the user must fix ({@link ParquetDataException}: nulls, ragged rows, a schema that does not
 * match) and unsupported codecs pass through unchanged; anything else means the file is corrupt or unreadable and
 * becomes an {@link IOException} naming the file and row group (the cause names the column), which
 * {@code skipBadFiles} turns into a warning and a skipped row group.
 */
final class RowGroupReader {
    private static final System.Logger LOG = System.getLogger(RowGroupReader.class.getName());

    private final Configuration conf;
    private final ParquetLayout layout;
    private final Vocabulary vocabulary;
    private final RowGroupDecoder decoder;
    private final Function<byte[], float[]> bytesDecoder;
    private final Footers footers;

    RowGroupReader(Configuration conf, ParquetLayout layout, Vocabulary vocabulary, RowGroupDecoder decoder,
                   Function<byte[], float[]> bytesDecoder, Footers footers) {
        this.conf = conf;
        this.layout = layout;
        this.vocabulary = vocabulary;
        this.decoder = decoder;
        this.bytesDecoder = bytesDecoder;
        this.footers = footers;
    }

    /** The row group's columns as Arrow vectors (caller closes), or null if it is bad and {@code skipBad}. */
    VectorSchemaRoot read(ParquetDataset.Unit u, boolean skipBad) throws IOException {
        String file = u.file().toString();
        try {
            Footers.Footer f = footers.get(u.file());
            BlockMetaData block = f.block(u.rowGroup());
            if (block.getRowCount() != u.rows()) {
                throw new ParquetFormatException("row group " + u.rowGroup() + " of " + file
                        + " now has " + block.getRowCount() + " rows, " + u.rows() + " at build() (was it rewritten?)");
            }
            RowGroupDecoder.Columns cols;
            try (FSDataInputStream in = u.file().getFileSystem(conf).open(u.file())) {
                cols = new RowGroupDecoder.Columns(layout.features(), chunks(in, f, u, layout.features()),
                        layout.categories(), chunks(in, f, u, layout.categories()), layout.label(),
                        layout.label() == null ? null : chunks(in, f, u, List.of(layout.label())).get(0));
            }
            return decoder.decode(new RowGroupDecoder.Source(file, u.rowGroup(), u.rows()), cols, vocabulary,
                    bytesDecoder);
        } catch (ParquetDataException | UnsupportedOperationException | DataLoaderException e) {
            throw e; // the user's to fix (or an interrupt): skipBadFiles is for corrupt files only
        } catch (IOException | RuntimeException e) {
            String msg = "cannot read row group " + u.rowGroup() + " of Parquet file " + file + ": " + e.getMessage();
            if (skipBad) {
                LOG.log(System.Logger.Level.WARNING, msg + " (skipped: skipBadFiles is on)");
                return null;
            }
            throw new IOException(msg + " (set skipBadFiles(true) to skip bad files)", e);
        } finally {
            footers.release(u.file());
        }
    }

    private List<ColumnChunk> chunks(FSDataInputStream in, Footers.Footer f, ParquetDataset.Unit u,
                                     List<ParquetColumn> columns) throws IOException {
        MessageType schema = f.meta().getFileMetaData().getSchema();
        List<ColumnChunk> out = new ArrayList<>(columns.size());
        for (ParquetColumn c : columns) {
            ParquetColumn.Leaf leaf = c.check(schema, u.file().toString(), vocabulary);
            String where = "column '" + c.name() + "' in file " + u.file() + ", row group " + u.rowGroup();
            out.add(ChunkReader.read(in, f.length(), f.chunk(u.rowGroup(), leaf.descriptor()), leaf.descriptor(),
                    leaf.type(), where));
        }
        return out;
    }

    /**
     * The batch fields of a decoded row group as detached tensors over its buffers, in the dataset's field order:
     * features ({@code [rows, n]}, reshaped to {@code [rows, *sampleShape]} for a bytes column), categories
     * ({@code [rows, c]} int64) and the label ({@code [rows]}), whichever the dataset has. All zero-copy.
     */
    List<Tensor> tensors(VectorSchemaRoot root, ParquetDataset.Builder o) {
        List<Tensor> out = new ArrayList<>(3);
        try (TensorScope scope = TensorScope.open(o.allocator)) {
            if (!layout.features().isEmpty()) {
                Tensor t = ArrowBatches.column(root, "features", layout.features().get(0).lane().dtype);
                if (o.bytesColumn != null) {
                    long[] shape = new long[o.sampleShape.length + 1];
                    shape[0] = t.size(0);
                    System.arraycopy(o.sampleShape, 0, shape, 1, o.sampleShape.length);
                    t = t.view(shape);
                }
                out.add(t);
            }
            if (!layout.categories().isEmpty()) {
                out.add(ArrowBatches.column(root, "categories", Lane.I64.dtype));
            }
            if (layout.label() != null) {
                out.add(ArrowBatches.column(root, "label", layout.label().lane().dtype));
            }
            out.forEach(TensorScope::detach);
            return out;
        }
    }
}
