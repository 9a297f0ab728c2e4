package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.column.Encoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fitting, saving and loading category ids, and their use by ParquetDataset. */
class VocabularyTest extends KilnTest {
    private static final String SCHEMA = "message m { optional binary city (STRING); optional int64 zip;"
            + " required int32 y; }";

    @TempDir
    Path dir;

    /** Cities with counts Paris 5, Lyon 3, Nice 3, Brest 1 (one row in a group of 12 is null); zips likewise. */
    private Path cities(String name, int first, int rows) throws IOException {
        String[] cycle = {"Paris", "Lyon", "Nice", "Paris", "Lyon", "Paris", "Nice", "Paris", "Lyon", "Paris", "Nice",
            null};
        return ParquetTestFiles.write(dir.resolve(name), SCHEMA, rows, 5, (i, g) -> {
            String c = cycle[(first + i) % cycle.length];
            if (first + i == 11) {
                c = "Brest";
            }
            if (c != null) {
                g.append("city", c);
                g.append("zip", (long) c.length() * 1000);
            }
            g.append("y", first + i);
        });
    }

    @Test
    void idsAreByDescendingCountThenValueAndZeroIsUnknown() throws IOException {
        Path f = cities("a.parquet", 0, 12);
        Vocabulary v = Vocabulary.fit(f.toString(), "city", "zip");
        assertEquals(5, v.size("city"), "4 cities + the unknown id");
        assertEquals(1, v.id("city", "Paris"));
        assertEquals(2, v.id("city", "Lyon"), "Lyon and Nice both occur 3 times: by value");
        assertEquals(3, v.id("city", "Nice"));
        assertEquals(4, v.id("city", "Brest"));
        assertEquals(Vocabulary.UNKNOWN, v.id("city", "Marseille"));
        assertEquals("Lyon", v.value("city", 2));
        assertNull(v.value("city", 0));
        assertEquals(1, v.id("zip", 4000), "Lyon and Nice: 6 rows of 4000, Paris and Brest: 6 of 5000; ties by value");
        assertEquals(2, v.id("zip", 5000));
    }

    @Test
    void theSameIdsWhateverTheFileOrderAndMinCountMaxSizeCutTheTail() throws IOException {
        Path d = Files.createDirectory(dir.resolve("t"));
        Files.move(cities("x.parquet", 0, 6), d.resolve("b-part.parquet"));
        Files.move(cities("y.parquet", 6, 6), d.resolve("a-part.parquet"));
        Vocabulary whole = Vocabulary.fit(cities("all.parquet", 0, 12).toString(), "city");
        Vocabulary split = Vocabulary.fit(d.toString(), "city");
        assertEquals(whole.toJson(), split.toJson());
        Vocabulary cut = Vocabulary.fitter(d.toString()).columns("city").minCount(2).maxSize(2).fit();
        assertEquals(3, cut.size("city"));
        assertEquals(2, cut.id("city", "Lyon"));
        assertEquals(Vocabulary.UNKNOWN, cut.id("city", "Nice"), "cut by maxSize");
        assertEquals(Vocabulary.UNKNOWN, cut.id("city", "Brest"), "cut by minCount");
    }

    @Test
    void jsonRoundTripsAndIsTheDocumentedFormat() throws IOException {
        Vocabulary v = Vocabulary.fit(cities("a.parquet", 0, 12).toString(), "city", "zip");
        Path saved = dir.resolve("vocab.json");
        v.save(saved);
        String json = Files.readString(saved);
        assertTrue(json.contains("\"format\" : \"kiln-vocabulary\"") && json.contains("\"unknownId\" : 0")
                && json.contains("\"type\" : \"string\"") && json.contains("\"type\" : \"int64\""), json);
        assertTrue(json.indexOf("\"city\"") < json.indexOf("\"zip\""), "columns sorted by name");
        Vocabulary back = Vocabulary.load(saved);
        assertEquals(json, back.toJson());
        assertEquals(v.id("city", "Nice"), back.id("city", "Nice"));
        assertEquals(v.id("zip", 4000), back.id("zip", 4000));
        var bad = assertThrows(IllegalArgumentException.class, () -> Vocabulary.fromJson("{\"format\": \"x\"}"));
        assertTrue(bad.getMessage().contains("not a Kiln vocabulary"), bad.getMessage());
        var dup = assertThrows(IllegalArgumentException.class, () -> Vocabulary.fromJson("{\"format\": "
                + "\"kiln-vocabulary\", \"version\": 1, \"columns\": {\"c\": {\"type\": \"string\", \"values\": "
                + "[\"a\", \"a\"]}}}"));
        assertTrue(dup.getMessage().contains("lists value \"a\" twice"), dup.getMessage());
    }

    @Test
    void bytesThatAreNotUtf8AreSavedAsBase64() throws IOException {
        Object[] blobs = {new byte[] {(byte) 0xff, 0}, new byte[] {1, 2}, new byte[] {(byte) 0xff, 0}};
        Path f = RawParquetWriter.write(dir.resolve("b.parquet"), "message m { required binary b; }", "b", blobs,
                RawParquetWriter.Spec.of(Encoding.PLAIN));
        Vocabulary v = Vocabulary.fit(f.toString(), "b");
        assertTrue(v.toJson().contains("\"type\" : \"base64\"") && v.toJson().contains("\"/wA=\""), v.toJson());
        assertEquals(v.toJson(), Vocabulary.fromJson(v.toJson()).toJson());
    }

    /** Unknown and null categories are 0 in every shard and epoch; the ids are the vocabulary's. */
    @Test
    void datasetMapsCategoriesWithTheVocabularyOnEveryRankAndEpoch() throws IOException {
        Path train = cities("train.parquet", 0, 11); // no Brest
        Vocabulary v = Vocabulary.fromJson(Vocabulary.fit(train.toString(), "city").toJson());
        Path test = cities("test.parquet", 0, 24); // Brest at row 11: unseen
        List<Long> all = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            try (ParquetDataset ds = ParquetDataset.builder(test.toString()).categorical("city").label("y")
                    .vocabulary(v).shard(rank, 2).batchSize(4).build()) {
                for (int epoch = 0; epoch < 2; epoch++) {
                    for (Batch b : ds) {
                        try (b) {
                            long[] ids = b.get("categories").toLongArray();
                            long[] rows = b.labels().toLongArray();
                            for (int k = 0; k < ids.length; k++) {
                                int row = (int) rows[k];
                                long want = row == 11 || row % 12 == 11 ? 0 : v.id("city", new String[] {"Paris",
                                    "Lyon", "Nice", "Paris", "Lyon", "Paris", "Nice", "Paris", "Lyon", "Paris",
                                    "Nice"}[row % 12]);
                                assertEquals(want, ids[k], "rank " + rank + " epoch " + epoch + " row " + row);
                                all.add(ids[k]);
                            }
                        }
                    }
                }
            }
        }
        assertEquals(48, all.size());
    }

    @Test
    void stringLabelsUseTheVocabularyAndUnknownLabelsFail() throws IOException {
        Path train = cities("train.parquet", 0, 11);
        Vocabulary v = Vocabulary.fit(train.toString(), "city");
        String schema = "message m { required binary city (STRING); required float x; }";
        Path f = ParquetTestFiles.write(dir.resolve("l.parquet"), schema, 6, 6, (i, g) -> {
            g.append("city", i == 4 ? "Brest" : "Lyon");
            g.append("x", (float) i);
        });
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).featureColumns("x").label("city").vocabulary(v)
                .build()) {
            var e = assertThrows(IllegalArgumentException.class, () -> ds.iterator().next().close());
            assertTrue(e.getMessage().contains("label column 'city' has a value that is not in the vocabulary")
                    && e.getMessage().contains("row 4") && e.getMessage().contains("l.parquet"), e.getMessage());
        }
        var none = assertThrows(IllegalArgumentException.class, () -> ParquetDataset.builder(f.toString())
                .featureColumns("x").label("city").build());
        assertTrue(none.getMessage().contains("no vocabulary for it"), none.getMessage());
        var noVocab = assertThrows(IllegalArgumentException.class, () -> ParquetDataset.builder(f.toString())
                .categorical("city").build());
        assertTrue(noVocab.getMessage().contains("categorical columns need a vocabulary"), noVocab.getMessage());
        Vocabulary other = Vocabulary.fromJson("{\"format\": \"kiln-vocabulary\", \"version\": 1, \"columns\": "
                + "{\"zip\": {\"type\": \"int64\", \"values\": [1]}}}");
        var missing = assertThrows(IllegalArgumentException.class, () -> ParquetDataset.builder(f.toString())
                .categorical("city").vocabulary(other).build());
        assertTrue(missing.getMessage().contains("column 'city'") && missing.getMessage().contains("no vocabulary"),
                missing.getMessage());
        var wrongType = assertThrows(IllegalArgumentException.class, () -> ParquetDataset.builder(f.toString())
                .categorical("city").vocabulary(Vocabulary.fromJson(other.toJson().replace("zip", "city"))).build());
        assertTrue(wrongType.getMessage().contains("holds int64 values"), wrongType.getMessage());
        assertEquals("Vocabulary(city: 3 values)", v.toString());
    }
}
