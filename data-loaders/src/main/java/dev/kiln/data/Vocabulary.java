package dev.kiln.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Category ids for the categorical (string, binary or integer) columns of a Parquet data set, for
 * {@code nn.Embedding}: fitted ONCE over the data ({@link #fit} / {@link #fitter}), saved as JSON, and loaded by
 * every rank and every later run, so an id means the same value in every file, epoch and rank.
 *
 * <p><b>Ids.</b> Per column, the known values get ids {@code 1..n}; id {@value #UNKNOWN} is reserved for null and for
 * any value not in the vocabulary (a value first seen after fitting), as in most embedding pipelines, so an
 * {@code nn.Embedding(size(column), dim)} covers every id. {@link #fit} orders values by descending count, ties by
 * ascending value (UTF-8 bytes compared unsigned, i.e. by code point; int64 numerically), so the ids do not depend
 * on file order, row-group order or thread count; {@code minCount} and {@code maxSize} cut the tail, whose values
 * then map to 0. Labels use the same ids, except that an unknown or null label is an error, not 0.
 *
 * <p><b>JSON</b> ({@link #toJson}, {@link #save}; columns sorted by name, ids implied by position):
 * <pre>{@code
 * {"format": "kiln-vocabulary", "version": 1, "unknownId": 0,
 *  "columns": {
 *    "city": {"type": "string", "values": ["Paris", "Lyon"], "counts": [120, 45]},
 *    "zip":  {"type": "int64",  "values": [75001, 69001],     "counts": [80, 40]}}}
 * }</pre>
 * {@code values[i]} has id {@code i + 1}. {@code type} is {@code string} (UTF-8 text), {@code int64}, or
 * {@code base64} for a byte-array column holding bytes that are not valid UTF-8; {@code counts} is optional.
 */
public final class Vocabulary {
    /** The id of null and of values not in the vocabulary. */
    public static final long UNKNOWN = 0;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, CategoryIndex> columns;

    Vocabulary(Map<String, CategoryIndex> columns) {
        this.columns = Collections.unmodifiableMap(new TreeMap<>(columns));
    }

    /** Fits a vocabulary of {@code columns} over every row of the Parquet files at {@code location}. */
    public static Vocabulary fit(String location, String... columns) throws IOException {
        return fitter(location).columns(columns).fit();
    }

    /** Fitting options (Hadoop configuration, minimum count, maximum size). */
    public static VocabularyFitter fitter(String location) {
        return new VocabularyFitter(location);
    }

    /** The columns this vocabulary has ids for. */
    public Set<String> columns() {
        return columns.keySet();
    }

    /** {@code num_embeddings} for the column: its known values plus the unknown id 0. */
    public int size(String column) {
        return index(column).size() + 1;
    }

    /** The id of a string value ({@link #UNKNOWN} if not in the vocabulary). */
    public long id(String column, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        CategoryIndex c = index(column);
        return c.binary ? c.find(b, 0, b.length) + 1L : UNKNOWN;
    }

    /** The id of an integer value ({@link #UNKNOWN} if not in the vocabulary). */
    public long id(String column, long value) {
        CategoryIndex c = index(column);
        return c.binary ? UNKNOWN : c.find(value) + 1L;
    }

    /** The value with id {@code id} (a string, or the integer as text); null for {@link #UNKNOWN}. */
    public String value(String column, long id) {
        CategoryIndex c = index(column);
        if (id < 0 || id > c.size()) {
            throw new IndexOutOfBoundsException("column '" + column + "' has ids 0.." + c.size() + ", not " + id);
        }
        if (id == UNKNOWN) {
            return null;
        }
        int k = (int) id - 1;
        return c.binary ? new String(c.bytesKey(k), StandardCharsets.UTF_8) : Long.toString(c.longKey(k));
    }

    CategoryIndex index(String column) {
        CategoryIndex c = columns.get(column);
        if (c == null) {
            throw new IllegalArgumentException("the vocabulary has no column '" + column + "'; it has "
                    + columns.keySet());
        }
        return c;
    }

    /** The JSON form described in the class comment. */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "kiln-vocabulary").put("version", 1).put("unknownId", UNKNOWN);
        ObjectNode cols = root.putObject("columns");
        columns.forEach((name, c) -> {
            ObjectNode col = cols.putObject(name);
            boolean text = c.binary && allUtf8(c);
            col.put("type", !c.binary ? "int64" : text ? "string" : "base64");
            ArrayNode values = col.putArray("values");
            ArrayNode counts = col.putArray("counts");
            for (int k = 0; k < c.size(); k++) {
                if (!c.binary) {
                    values.add(c.longKey(k));
                } else if (text) {
                    values.add(new String(c.bytesKey(k), StandardCharsets.UTF_8));
                } else {
                    values.add(Base64.getEncoder().encodeToString(c.bytesKey(k)));
                }
                counts.add(c.counts[k]);
            }
        });
        try {
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean allUtf8(CategoryIndex c) {
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int k = 0; k < c.size(); k++) {
            try {
                decoder.decode(ByteBuffer.wrap(c.bytesKey(k)));
            } catch (CharacterCodingException e) {
                return false;
            }
        }
        return true;
    }

    /** Parses {@link #toJson}'s form; fails naming what is wrong. */
    public static Vocabulary fromJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("vocabulary is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !"kiln-vocabulary".equals(root.path("format").asText()) || root.path("version").asInt() != 1
                || !root.path("columns").isObject()) {
            throw new IllegalArgumentException("not a Kiln vocabulary (expected {\"format\": \"kiln-vocabulary\", "
                    + "\"version\": 1, \"columns\": {...}})");
        }
        Map<String, CategoryIndex> cols = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.get("columns").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            cols.put(e.getKey(), column(e.getKey(), e.getValue()));
        }
        return new Vocabulary(cols);
    }

    private static CategoryIndex column(String name, JsonNode col) {
        String type = col.path("type").asText();
        JsonNode values = col.path("values");
        JsonNode counts = col.path("counts");
        if (!values.isArray() || !(type.equals("string") || type.equals("int64") || type.equals("base64"))) {
            throw new IllegalArgumentException("vocabulary column '" + name + "' needs \"type\" (string, int64 or "
                    + "base64) and a \"values\" array");
        }
        CategoryIndex c = new CategoryIndex(!type.equals("int64"));
        for (int k = 0; k < values.size(); k++) {
            JsonNode v = values.get(k);
            int at;
            if (type.equals("int64")) {
                if (!v.canConvertToLong() || !v.isIntegralNumber()) {
                    throw new IllegalArgumentException("vocabulary column '" + name + "': value " + k + " (" + v
                            + ") is not an int64");
                }
                at = c.add(v.asLong());
            } else {
                byte[] b = type.equals("string") ? v.asText().getBytes(StandardCharsets.UTF_8)
                        : Base64.getDecoder().decode(v.asText());
                at = c.add(b, 0, b.length);
            }
            if (at != k) {
                throw new IllegalArgumentException("vocabulary column '" + name + "' lists value " + v + " twice");
            }
            c.counts[k] = counts.isArray() && k < counts.size() ? counts.get(k).asLong() : 0;
        }
        return c;
    }

    /** Writes {@link #toJson} to a local file. */
    public void save(Path file) throws IOException {
        Files.writeString(file, toJson(), StandardCharsets.UTF_8);
    }

    /** Reads a vocabulary saved by {@link #save}. */
    public static Vocabulary load(Path file) throws IOException {
        try {
            return fromJson(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Vocabulary(");
        columns.forEach((name, c) -> s.append(s.length() > 11 ? ", " : "").append(name).append(": ")
                .append(c.size()).append(" values"));
        return s.append(')').toString();
    }
}
