package dev.kiln.data;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Reads one row group of one file with parquet-hadoop: opens the file, requests only the dataset's columns (so
 * other column chunks are never fetched: column projection), reads the row group's pages and decodes them into
 * Arrow vectors. Safe to call from several threads at once (each call opens its own file handle, closed before
 * it returns, error or not).
 */
final class RowGroupReader {
    private static final System.Logger LOG = System.getLogger(RowGroupReader.class.getName());

    private final Configuration conf;
    private final List<ParquetColumn> columns;
    private final RowGroupDecoder decoder;
    private final Function<byte[], float[]> bytesDecoder;

    RowGroupReader(Configuration conf, List<ParquetColumn> columns, RowGroupDecoder decoder,
                   Function<byte[], float[]> bytesDecoder) {
        this.conf = conf;
        this.columns = columns;
        this.decoder = decoder;
        this.bytesDecoder = bytesDecoder;
    }

    /** The row group's columns as Arrow vectors (caller closes), or null if it is bad and {@code skipBad}. */
    VectorSchemaRoot read(ParquetDataset.Unit u, boolean skipBad) throws IOException {
        try {
            return read(u, skipBad, true);
        } catch (RowGroupDecoder.NotUniform e) { // some row is null, empty or ragged: decode it again, in order
            return read(u, skipBad, false);
        }
    }

    private VectorSchemaRoot read(ParquetDataset.Unit u, boolean skipBad, boolean uniform) throws IOException {
        String file = u.file().toString();
        ParquetReadOptions options = HadoopReadOptions.builder(conf).withCodecFactory(new PageCodecs(conf)).build();
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(u.file(), conf), options)) {
            MessageType schema = r.getFileMetaData().getSchema();
            List<Type> fields = new ArrayList<>();
            for (ParquetColumn c : columns) {
                fields.add(schema.getType(c.name()));
            }
            MessageType projection = new MessageType(schema.getName(), fields);
            r.setRequestedSchema(projection);
            PageReadStore pages = r.readRowGroup(u.rowGroup());
            ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages,
                    new GroupRecordConverter(projection).getRootConverter(), projection,
                    r.getFileMetaData().getCreatedBy());
            List<ColumnDescriptor> descriptors = new ArrayList<>();
            for (ParquetColumn c : columns) {
                descriptors.add(c.check(projection, file));
            }
            return decoder.decode(new RowGroupDecoder.Source(file, u.rowGroup(), u.rows()), columns, pages, store,
                    descriptors, bytesDecoder, uniform);
        } catch (RowGroupDecoder.NotUniform e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException && String.valueOf(e.getMessage()).startsWith("column '")
                    || e instanceof IllegalArgumentException && String.valueOf(e.getMessage()).startsWith("ragged")
                    || e instanceof IllegalArgumentException && String.valueOf(e.getMessage()).startsWith("decoded")) {
                throw e; // data errors already name file, row group and row; skipBadFiles is for unreadable files
            }
            String msg = "cannot read row group " + u.rowGroup() + " of Parquet file " + file + ": " + e;
            if (skipBad) {
                LOG.log(System.Logger.Level.WARNING, msg + " (skipped: skipBadFiles is on)");
                return null;
            }
            throw new IOException(msg + " (set skipBadFiles(true) to skip bad files)", e);
        }
    }

    /**
     * The batch fields of a decoded row group as detached tensors over its buffers: features (zero-copy for a list
     * or decoded-bytes column, an assembled copy for scalar columns) and the int64 label if any.
     */
    List<Tensor> tensors(VectorSchemaRoot root, ParquetDataset.Builder o) {
        List<Tensor> out = new ArrayList<>(2);
        try (TensorScope scope = TensorScope.open(o.allocator)) {
            if (o.features != null) {
                out.add(ArrowBatches.column(root, o.features, DType.FLOAT32));
            } else if (o.featureColumns != null) {
                out.add(ArrowBatches.features(root, o.featureColumns));
            } else {
                Tensor flat = ArrowBatches.column(root, o.bytesColumn, DType.FLOAT32);
                long[] shape = new long[o.sampleShape.length + 1];
                shape[0] = flat.size(0);
                System.arraycopy(o.sampleShape, 0, shape, 1, o.sampleShape.length);
                out.add(flat.view(shape));
            }
            if (o.label != null) {
                out.add(ArrowBatches.column(root, o.label, DType.INT64));
            }
            out.forEach(TensorScope::detach);
            return out;
        }
    }
}
