package dev.kiln.data;

import dev.kiln.tensor.DType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.schema.MessageType;

/**
 * What {@code ParquetDataset.Builder.build()} works out before the first batch: the options are consistent, every
 * file's footer is read (once) and its schema and codecs checked, and the non-empty row groups of all files are
 * listed in path order. A corrupt footer is named (or skipped under {@code skipBadFiles}); a schema mismatch or an
 * unavailable codec always fails, since they are the user's to fix, not corruption.
 *
 * @param layout the columns by role
 * @param units every non-empty row group, before sharding
 */
record ParquetPlan(ParquetLayout layout, List<ParquetDataset.Unit> units) {
    private static final System.Logger LOG = System.getLogger(ParquetDataset.class.getName());

    static ParquetPlan of(ParquetDataset.Builder b) throws IOException {
        ParquetLayout layout = null;
        List<ParquetDataset.Unit> all = new ArrayList<>();
        for (Path file : ParquetFiles.expand(b.location, b.conf)) {
            Footers.Footer footer = footer(b, file);
            if (footer != null) {
                layout = layout == null ? layout(b, footer) : layout;
                all.addAll(checked(b, footer, layout));
            }
        }
        return new ParquetPlan(layout, all);
    }

    /** The columns by role; a label's dtype comes from its type in the first file (every file must agree). */
    private static ParquetLayout layout(ParquetDataset.Builder b, Footers.Footer first) {
        Lane lane = Lane.of(b.featureDtype);
        List<ParquetColumn> feats = new ArrayList<>();
        if (b.features != null) {
            feats.add(new ParquetColumn(b.features, ParquetColumn.Kind.LIST, lane));
        } else if (b.featureColumns != null) {
            for (String c : b.featureColumns) {
                feats.add(new ParquetColumn(c, ParquetColumn.Kind.SCALAR, lane));
            }
        } else if (b.bytesColumn != null) {
            feats.add(new ParquetColumn(b.bytesColumn, ParquetColumn.Kind.BYTES, Lane.F32));
        }
        List<ParquetColumn> cats = new ArrayList<>();
        for (String c : b.categorical == null ? new String[0] : b.categorical) {
            cats.add(new ParquetColumn(c, ParquetColumn.Kind.CATEGORY, Lane.I64));
        }
        ParquetColumn label = null;
        if (b.label != null) {
            Lane labelLane = Lane.I64;
            MessageType schema = first.meta().getFileMetaData().getSchema();
            if (schema.containsField(b.label) && schema.getType(b.label).isPrimitive()) {
                labelLane = ParquetColumn.labelLane(ColumnType.of(schema.getType(b.label).asPrimitiveType()));
            }
            label = new ParquetColumn(b.label, ParquetColumn.Kind.LABEL, labelLane);
        }
        return new ParquetLayout(feats, cats, label);
    }

    /** The file's footer, or null if it is unreadable and skipBadFiles is on (else the error names the file). */
    private static Footers.Footer footer(ParquetDataset.Builder b, Path file) throws IOException {
        try {
            return Footers.read(file, b.conf);
        } catch (IOException | RuntimeException e) {
            return corrupt(b, file, e.getMessage(), e);
        }
    }

    /** A corrupt file: a warning and null under skipBadFiles, else an IOException naming it. */
    private static <T> T corrupt(ParquetDataset.Builder b, Path file, String why, Exception e) throws IOException {
        String msg = "cannot read Parquet file " + file + ": " + why;
        if (b.skipBadFiles) {
            LOG.log(System.Logger.Level.WARNING, msg + " (skipped: skipBadFiles is on)");
            return null;
        }
        throw new IOException(msg + " (set skipBadFiles(true) to skip bad files)", e);
    }

    /** {@link #units}, with a footer too broken to check named as a corrupt file (or skipped). */
    private static List<ParquetDataset.Unit> checked(ParquetDataset.Builder b, Footers.Footer footer,
                                                     ParquetLayout layout) throws IOException {
        try {
            return units(b, footer, layout);
        } catch (ParquetDataException | UnsupportedOperationException e) {
            throw e;
        } catch (RuntimeException e) {
            List<ParquetDataset.Unit> none = corrupt(b, footer.file(), e.toString(), e);
            return none == null ? List.of() : none;
        }
    }

    /** The file's non-empty row groups, after checking its schema and its chunks' codecs. */
    private static List<ParquetDataset.Unit> units(ParquetDataset.Builder b, Footers.Footer footer,
                                                   ParquetLayout layout) {
        Path file = footer.file();
        MessageType schema = footer.meta().getFileMetaData().getSchema();
        List<ColumnDescriptor> leaves = new ArrayList<>();
        for (ParquetColumn c : layout.all()) {
            leaves.add(c.check(schema, file.toString(), b.vocabulary).descriptor());
        }
        List<ParquetDataset.Unit> out = new ArrayList<>();
        List<BlockMetaData> blocks = footer.meta().getBlocks();
        for (int g = 0; g < blocks.size(); g++) {
            checkChunks(file, g, blocks.get(g), leaves);
            if (blocks.get(g).getRowCount() > 0) {
                out.add(new ParquetDataset.Unit(file, g, blocks.get(g).getRowCount()));
            }
        }
        return out;
    }

    /** Codecs must be ones Kiln decompresses, and columns must not be encrypted. */
    private static void checkChunks(Path file, int rowGroup, BlockMetaData block, List<ColumnDescriptor> leaves) {
        for (ColumnChunkMetaData c : block.getColumns()) {
            for (ColumnDescriptor d : leaves) {
                if (Arrays.equals(c.getPath().toArray(), d.getPath())) {
                    String where = "column '" + d.getPath()[0] + "' in file " + file + ", row group " + rowGroup;
                    Codecs.check(c.getCodec(), where);
                    if (c.isEncrypted()) {
                        throw new UnsupportedOperationException(where + " is encrypted (Parquet modular "
                                + "encryption), which Kiln does not read");
                    }
                }
            }
        }
    }

    /** The options must make sense together (checked before any file is opened). */
    static void validate(ParquetDataset.Builder b) {
        int kinds = (b.features != null ? 1 : 0) + (b.featureColumns != null ? 1 : 0) + (b.bytesColumn != null ? 1 : 0);
        boolean categories = b.categorical != null && b.categorical.length > 0;
        if (kinds > 1 || kinds == 0 && !categories) {
            throw new IllegalArgumentException("choose exactly one of features(list column), featureColumns("
                    + "scalars...) or bytesFeatures(column, decoder, shape), or none with categorical(columns...); "
                    + "got " + kinds);
        }
        if (b.featureColumns != null && b.featureColumns.length == 0) {
            throw new IllegalArgumentException("featureColumns needs at least one column name");
        }
        if (b.categorical != null && b.categorical.length == 0) {
            throw new IllegalArgumentException("categorical needs at least one column name");
        }
        if (categories && b.vocabulary == null) {
            throw new IllegalArgumentException("categorical columns need a vocabulary: fit one once with "
                    + "Vocabulary.fit(location, columns...), save it, and pass it to every rank with vocabulary(v)");
        }
        if (b.bytesColumn != null && b.featureDtype != DType.FLOAT32) {
            throw new IllegalArgumentException("bytesFeatures decodes to float32; featureDtype must be float32");
        }
        if (b.batchSize <= 0) {
            throw new IllegalArgumentException("batch_size should be a positive integer value, but got batch_size="
                    + b.batchSize);
        }
        if (b.numThreads <= 0) {
            throw new IllegalArgumentException("numThreads must be positive, got " + b.numThreads);
        }
        if (b.worldSize <= 0 || b.rank < 0 || b.rank >= b.worldSize) {
            throw new IllegalArgumentException("Invalid rank " + b.rank + ", rank should be in the interval [0, "
                    + (b.worldSize - 1) + "] (worldSize " + b.worldSize + ")");
        }
        if (b.shuffleBuffer < 0 || (b.shuffleBuffer > 0 && !b.shuffle)) {
            throw new IllegalArgumentException("shuffleBuffer(" + b.shuffleBuffer + ") needs shuffle(true) and a "
                    + "non-negative size");
        }
    }
}
