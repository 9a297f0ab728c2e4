package dev.kiln.data;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * The footers one epoch reads: each file's footer is read once, by the first row group of that file the epoch
 * decodes, shared by the file's other row groups (on any thread), and dropped after the file's last row group, so
 * an epoch over thousands of files holds only the footers it is still using.
 */
final class Footers {
    /** A file's parsed footer and its length (every chunk must lie inside it). */
    record Footer(Path file, ParquetMetadata meta, long length) {
        BlockMetaData block(int rowGroup) {
            var blocks = meta.getBlocks();
            if (!(rowGroup >= 0 && rowGroup < blocks.size())) {
                throw new ParquetFormatException("file " + file + " has "
                        + blocks.size() + " row groups, not " + (rowGroup + 1) + " (was it rewritten since build()?)");
            }
            return blocks.get(rowGroup);
        }

        /** The chunk of column {@code d} in row group {@code rowGroup}. */
        ColumnChunkMetaData chunk(int rowGroup, ColumnDescriptor d) {
            for (ColumnChunkMetaData c : block(rowGroup).getColumns()) {
                if (Arrays.equals(c.getPath().toArray(), d.getPath())) {
                    return c;
                }
            }
            throw new ParquetFormatException("file " + file + ", row group " + rowGroup + " has no chunk for column "
                    + String.join(".", d.getPath()));
        }
    }

    private static final class Entry {
        final AtomicInteger uses;
        Footer footer;

        Entry(int uses) {
            this.uses = new AtomicInteger(uses);
        }
    }

    private final Configuration conf;
    private final Map<Path, Entry> entries = new ConcurrentHashMap<>();

    /** {@code uses}: how many row groups of each file the epoch will read. */
    Footers(Configuration conf, Map<Path, Integer> uses) {
        this.conf = conf;
        uses.forEach((file, n) -> entries.put(file, new Entry(n)));
    }

    static Footer read(Path file, Configuration conf) throws IOException {
        HadoopInputFile in = HadoopInputFile.fromPath(file, conf);
        return new Footer(file, ParquetFileReader.readFooter(in, ParquetMetadataConverter.NO_FILTER), in.getLength());
    }

    /** The footer of {@code file}, read now if this is the epoch's first use of the file. */
    Footer get(Path file) throws IOException {
        Entry e = entries.computeIfAbsent(file, f -> new Entry(Integer.MAX_VALUE));
        synchronized (e) {
            if (e.footer == null) {
                e.footer = read(file, conf);
            }
            return e.footer;
        }
    }

    /** One row group of {@code file} is done: after the last one the footer is dropped. */
    void release(Path file) {
        Entry e = entries.get(file);
        if (e != null && e.uses.decrementAndGet() <= 0) {
            entries.remove(file);
        }
    }
}
