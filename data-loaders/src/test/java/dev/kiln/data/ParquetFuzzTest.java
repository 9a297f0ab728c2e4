package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.tensor.DType;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrupt files must never corrupt memory: valid files of every layout the reader decodes (PLAIN, dictionary,
 * DELTA and BYTE_STREAM_SPLIT pages, V1 and V2, uncompressed so the mutations reach the page decoders, plus Spark's
 * and DuckDB's compressed files) get bits flipped, bytes and ints overwritten, ranges zeroed or duplicated, and
 * the file truncated, at thousands of seeded positions (mostly pages, some footer). Each mutated file is built and
 * read for one epoch on two threads, with a timeout. Allowed outcomes: data (a flipped value bit is still a valid
 * file), or an IOException / IllegalArgumentException / UnsupportedOperationException naming the file (and, once
 * reading, the row group); never an Error, another exception type, a hang or a leaked buffer. A JVM crash from
 * a wild native write would fail the whole run.
 */
class ParquetFuzzTest extends KilnTest {
    /** Mutated column chunks decoded in memory (no file I/O: thousands fit in seconds). */
    private static final int PAGE_ITERATIONS = 20_000;
    /** Mutated whole files read through build() and an epoch (footers, chunk placement, the epoch's threads). */
    private static final int FILE_ITERATIONS = 600;
    private static final long SEED = 20_240_611L;
    /** Each test stops early (with a note) rather than exceed this on a slow machine; every case runs at least once. */
    private static final long BUDGET_NANOS = 12_000_000_000L;

    @TempDir
    Path dir;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-reader");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stopRunner() {
        runner.shutdownNow();
    }

    /** A valid file and how a trainer would read it. */
    private record Case(String name, byte[] bytes, Function<String, ParquetDataset.Builder> reader) {
    }

    private List<Case> corpus() throws IOException {
        List<Case> cases = new ArrayList<>();
        Path lists = ParquetTestFiles.write(dir.resolve("lists.parquet"), ParquetTestFiles.NULLABLE_SCHEMA, 60, 25,
                true, false, (i, g) -> {
                    if (i % 17 != 3) {
                        ParquetTestFiles.list(g, "features", i, i + 0.5f, i % 7, -i);
                    }
                    g.append("label", i % 5);
                    g.append("name", "n" + i % 4);
                });
        Vocabulary names = Vocabulary.fit(lists.toString(), "name");
        cases.add(new Case("list<float> dictionary V1", Files.readAllBytes(lists), f -> ParquetDataset.builder(f)
                .features("features").label("label").categorical("name").vocabulary(names).dropNulls(true)));
        Path v2 = ParquetTestFiles.write(dir.resolve("v2.parquet"), ParquetTestFiles.NULLABLE_SCHEMA, 60, 60, false,
                true, (i, g) -> {
                    ParquetTestFiles.list(g, "features", i, -i, 2 * i);
                    g.append("label", i);
                    g.append("name", "n" + i % 3);
                });
        cases.add(new Case("list<float> PLAIN V2", Files.readAllBytes(v2), f -> ParquetDataset.builder(f)
                .features("features").label("label")));
        Object[] longs = new Object[70];
        Object[] strings = new Object[70];
        Object[] doubles = new Object[70];
        for (int i = 0; i < 70; i++) {
            longs[i] = i % 13 == 0 ? null : i * 1_000_003L - 50;
            strings[i] = ("prefix-shared-" + i % 9).getBytes(StandardCharsets.UTF_8);
            doubles[i] = new Object[] {i / 3.0, -i * 1.5, 7.0};
        }
        for (Encoding e : List.of(Encoding.DELTA_BINARY_PACKED, Encoding.PLAIN)) {
            Encoding strings2 = e == Encoding.PLAIN ? Encoding.PLAIN : Encoding.DELTA_BYTE_ARRAY;
            Path x = RawParquetWriter.write(dir.resolve("x" + e + ".parquet"), "message m { optional int64 x; }", "x",
                    longs, RawParquetWriter.Spec.of(e).v2(true));
            cases.add(new Case("int64 " + e + " V2", Files.readAllBytes(x), f -> ParquetDataset.builder(f)
                    .featureColumns("x").featureDtype(DType.INT64).dropNulls(true)));
            Path s = RawParquetWriter.write(dir.resolve("s" + e + ".parquet"), "message m { required binary s (STRING); }",
                    "s", strings, RawParquetWriter.Spec.of(strings2));
            Vocabulary sv = Vocabulary.fit(s.toString(), "s");
            cases.add(new Case("string " + strings2 + " V1", Files.readAllBytes(s), f -> ParquetDataset.builder(f)
                    .categorical("s").vocabulary(sv)));
        }
        Path bss = RawParquetWriter.write(dir.resolve("bss.parquet"), "message m { optional group d (LIST) {"
                + " repeated group list { required double element; } } }", "d", doubles,
                RawParquetWriter.Spec.of(Encoding.BYTE_STREAM_SPLIT));
        cases.add(new Case("list<double> BYTE_STREAM_SPLIT V1", Files.readAllBytes(bss), f -> ParquetDataset.builder(f)
                .features("d")));
        Path zstd = RawParquetWriter.write(dir.resolve("zstd.parquet"), "message m { optional int64 x; }", "x", longs,
                RawParquetWriter.Spec.of(Encoding.RLE_DICTIONARY).codec(CompressionCodecName.ZSTD));
        cases.add(new Case("int64 dictionary zstd", Files.readAllBytes(zstd), f -> ParquetDataset.builder(f)
                .featureColumns("x").dropNulls(true)));
        Path snappy = ParquetTestFiles.features(dir.resolve("snappy.parquet"), 0, 48, 6, 16);
        cases.add(new Case("list<float> snappy (Kiln's writer)", Files.readAllBytes(snappy), f -> ParquetDataset
                .builder(f).features("features").label("label")));
        for (String fixture : List.of("duckdb_snappy_v2.parquet", "spark_int96_legacy_gzip.parquet")) {
            Path p = InteropFixturesTest.fixture(fixture);
            Vocabulary str = Vocabulary.fit(p.toString(), "str");
            cases.add(new Case(fixture, Files.readAllBytes(p), f -> ParquetDataset.builder(f)
                    .featureColumns("l", "d", "dec_f", "ts").categorical("str").vocabulary(str).label("id")));
        }
        return cases;
    }

    /** One seeded mutation of a valid file: mostly in its pages, sometimes in its footer. */
    private static byte[] mutate(byte[] valid, Random r, StringBuilder what) {
        int footerLen = ByteBuffer.wrap(valid, valid.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int dataEnd = valid.length - 8 - footerLen;
        int pos = r.nextInt(4) < 3 ? 4 + r.nextInt(Math.max(1, dataEnd - 4)) : dataEnd + r.nextInt(footerLen + 4);
        return mutateAt(valid, pos, r, what);
    }

    /** Flips a bit, overwrites a byte or an int, zeroes 16 bytes, duplicates a range, or truncates, at {@code pos}. */
    private static byte[] mutateAt(byte[] valid, int pos, Random r, StringBuilder what) {
        byte[] b = valid.clone();
        switch (r.nextInt(6)) {
            case 0 -> {
                int bit = r.nextInt(8);
                b[pos] ^= (byte) (1 << bit);
                what.append("flip bit ").append(bit).append(" at ").append(pos);
            }
            case 1 -> {
                b[pos] = (byte) r.nextInt(256);
                what.append("byte at ").append(pos);
            }
            case 2 -> {
                int v = r.nextBoolean() ? r.nextInt() : r.nextInt(1 << 16) - (1 << 15);
                for (int k = 0; k < 4 && pos + k < b.length; k++) {
                    b[pos + k] = (byte) (v >>> (8 * k));
                }
                what.append("int ").append(v).append(" at ").append(pos);
            }
            case 3 -> {
                Arrays.fill(b, pos, Math.min(b.length, pos + 16), (byte) 0);
                what.append("zero 16 bytes at ").append(pos);
            }
            case 4 -> {
                int len = 1 + r.nextInt(24);
                int from = Math.max(0, Math.min(pos, b.length - len));
                byte[] out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, Math.min(b.length, from + len));
                System.arraycopy(b, from, out, from + len, b.length - from);
                what.append("duplicate ").append(len).append(" bytes at ").append(from);
                return out;
            }
            default -> {
                what.append("truncate at ").append(pos);
                return Arrays.copyOf(b, pos);
            }
        }
        return b;
    }

    /**
     * Every column chunk of every case, mutated in memory and decoded by the row-group decoder on two threads: the
     * page headers, levels, dictionaries, values and decompression all see corrupt bytes thousands of times.
     */
    @Test
    void corruptPagesGiveClearErrorsNeverCrashesOrLeaks() throws Exception {
        ExecutorService pages = Executors.newFixedThreadPool(2);
        try {
            List<Case> cases = corpus();
            List<Chunks> all = new ArrayList<>();
            for (Case c : cases) {
                all.add(chunks(c));
            }
            Random r = new Random(SEED);
            Map<String, Integer> outcomes = new TreeMap<>();
            long start = System.nanoTime();
            int done = 0;
            for (; done < PAGE_ITERATIONS; done++) {
                if (done >= cases.size() && System.nanoTime() - start > BUDGET_NANOS) {
                    System.out.println("ParquetFuzzTest: page time budget reached after " + done);
                    break;
                }
                Chunks c = all.get(done % all.size());
                int k = r.nextInt(c.chunks.size());
                ColumnChunk valid = c.chunks.get(k);
                StringBuilder what = new StringBuilder(c.name + ", chunk " + valid.where() + ": ");
                byte[] bytes = mutateAt(valid.bytes(), r.nextInt(valid.bytes().length), r, what);
                outcomes.merge(decode(c, k, bytes, pages, what.toString()), 1, Integer::sum);
            }
            System.out.printf("ParquetFuzzTest: %d mutated chunks in %.1f s: %s%n", done,
                    (System.nanoTime() - start) / 1e9, outcomes);
            assertTrue(outcomes.size() > 2, "mutations must reach several decoders: " + outcomes);
        } finally {
            pages.shutdownNow();
        }
    }

    /** A case's valid chunks (row group 0) and how its dataset decodes them. */
    private record Chunks(String name, ParquetLayout layout, Vocabulary vocabulary, boolean dropNulls,
                          RowGroupDecoder.Source src, List<ColumnChunk> chunks, List<org.apache.parquet.hadoop.metadata
                                  .ColumnChunkMetaData> metas) {
    }

    private Chunks chunks(Case c) throws IOException {
        Path f = dir.resolve(c.name().replaceAll("[^a-zA-Z0-9]", "_") + ".parquet");
        Files.write(f, c.bytes());
        try (ParquetDataset ds = c.reader().apply(f.toString()).build()) {
            ParquetDataset.Unit u = ds.units.get(0);
            Footers.Footer footer = Footers.read(u.file(), ds.options.conf);
            var schema = footer.meta().getFileMetaData().getSchema();
            List<ColumnChunk> chunks = new ArrayList<>();
            List<org.apache.parquet.hadoop.metadata.ColumnChunkMetaData> metas = new ArrayList<>();
            try (var in = u.file().getFileSystem(ds.options.conf).open(u.file())) {
                for (ParquetColumn col : ds.layout.all()) {
                    ParquetColumn.Leaf leaf = col.check(schema, f.toString(), ds.options.vocabulary);
                    var meta = footer.chunk(0, leaf.descriptor());
                    metas.add(meta);
                    chunks.add(ChunkReader.read(in, footer.length(), meta, leaf.descriptor(), leaf.type(),
                            "column '" + col.name() + "' in file " + f + ", row group 0"));
                }
            }
            return new Chunks(c.name(), ds.layout, ds.options.vocabulary, ds.options.dropNulls,
                    new RowGroupDecoder.Source(f.toString(), 0, u.rows()), chunks, metas);
        }
    }

    /** Parses the mutated chunk k and decodes the row group; "data" or the error's type. */
    private String decode(Chunks c, int k, byte[] bytes, ExecutorService pages, String what) {
        List<ColumnChunk> chunks = new ArrayList<>(c.chunks);
        BufferAllocator alloc = allocator.newChildAllocator(what, 0, Long.MAX_VALUE);
        Throwable error = null;
        try {
            ColumnChunk valid = c.chunks.get(k);
            chunks.set(k, ChunkReader.parse(bytes, c.metas.get(k), valid.descriptor(), valid.type(), valid.where()));
            int nf = c.layout.features().size();
            int nc = c.layout.categories().size();
            var cols = new RowGroupDecoder.Columns(c.layout.features(), chunks.subList(0, nf), c.layout.categories(),
                    chunks.subList(nf, nf + nc), c.layout.label(), c.layout.label() == null ? null : chunks.get(nf + nc));
            new RowGroupDecoder(alloc, c.dropNulls, false, pages).decode(c.src, cols, c.vocabulary, null).close();
        } catch (Throwable t) {
            error = t;
        }
        assertEquals(0, alloc.getAllocatedMemory(), "leak after " + what + ": " + error);
        alloc.close();
        if (error == null) {
            return "data";
        }
        for (Throwable x = error; x != null; x = x.getCause()) {
            if (x instanceof Error) {
                throw new AssertionError("an Error escaped for " + what, error);
            }
        }
        if (!(error instanceof ParquetFormatException || error instanceof ParquetDataException
                || error instanceof IOException)) {
            throw new AssertionError("unclear error type for " + what + ": " + error, error);
        }
        String m = String.valueOf(error.getMessage());
        if (!(m.contains("column '") && m.contains("row group") && m.contains(c.src.file()))) {
            throw new AssertionError("error does not name column, row group and file, for " + what + ": " + m, error);
        }
        return error.getClass().getSimpleName();
    }

    @Test
    void corruptFilesGiveClearErrorsNeverCrashesHangsOrLeaks() throws Exception {
        // whole files: footers, chunk offsets, build() and the epoch's threads see the corruption too
        List<Case> cases = corpus();
        for (Case c : cases) { // the unmutated files read cleanly
            assertEquals("data", outcome(c, c.bytes(), "unmutated"), c.name());
        }
        Random r = new Random(SEED);
        Map<String, Integer> outcomes = new TreeMap<>();
        long start = System.nanoTime();
        int done = 0;
        for (; done < FILE_ITERATIONS; done++) {
            if (done >= cases.size() && System.nanoTime() - start > BUDGET_NANOS) {
                System.out.println("ParquetFuzzTest: file time budget reached after " + done + " of " + FILE_ITERATIONS);
                break;
            }
            Case c = cases.get(done % cases.size());
            StringBuilder what = new StringBuilder();
            byte[] mutated = mutate(c.bytes(), r, what);
            outcomes.merge(outcome(c, mutated, c.name() + ": " + what), 1, Integer::sum);
        }
        System.out.printf("ParquetFuzzTest: %d mutated files in %.1f s: %s%n", done, (System.nanoTime() - start) / 1e9,
                outcomes);
        assertTrue(outcomes.keySet().stream().anyMatch(k -> k.startsWith("error while reading")),
                "some mutations must reach the page decoders: " + outcomes);
    }

    /** Builds and drains one epoch of the file; returns "data" or a classification of the clear error. */
    private String outcome(Case c, byte[] bytes, String what) throws Exception {
        Path f = dir.resolve("m.parquet"); // written by java.nio: no Hadoop .crc file to trip over
        Files.write(f, bytes);
        BufferAllocator alloc = allocator.newChildAllocator(what, 0, Long.MAX_VALUE);
        boolean[] built = {false};
        Future<Throwable> run = runner.submit(() -> {
            try (ParquetDataset ds = c.reader().apply(f.toString()).allocator(alloc).numThreads(2).batchSize(16)
                    .build()) {
                built[0] = true;
                for (Batch b : ds) {
                    b.close();
                }
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        Throwable t;
        try {
            t = run.get(20, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            fail("hang: reading did not finish in 20 s: " + what);
            return null;
        }
        assertEquals(0, alloc.getAllocatedMemory(), "leak after " + what + ": " + t);
        alloc.close();
        if (t == null) {
            return "data";
        }
        check(t, f, built[0], what);
        return (built[0] ? "error while reading: " : "error at build(): ") + t.getClass().getSimpleName();
    }

    /** The error must be of an allowed type, hold no Error, and name the file (and the row group once reading). */
    private static void check(Throwable t, Path f, boolean reading, String what) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            if (x instanceof Error) {
                throw new AssertionError("an Error escaped for " + what, t);
            }
        }
        Throwable clear = t instanceof DataLoaderException && t.getCause() != null ? t.getCause() : t;
        if (!(clear instanceof IOException || clear instanceof IllegalArgumentException
                || clear instanceof UnsupportedOperationException
                || clear instanceof IllegalStateException && String.valueOf(clear.getMessage()).contains("no rows"))) {
            throw new AssertionError("unclear error type for " + what + ": " + t, t);
        }
        String m = String.valueOf(clear.getMessage());
        if (!m.contains(f.toString()) && !m.contains("no rows")) {
            throw new AssertionError("error does not name the file, for " + what + ": " + m, t);
        }
        if (reading && !m.contains("row group") && !m.contains("no rows")) {
            throw new AssertionError("error while reading does not name the row group, for " + what + ": " + m, t);
        }
    }
}
