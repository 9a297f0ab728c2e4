package dev.kiln.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DuckDB as a same-run reference, timed INSIDE a node process ({@code benchmarks/src/main/node/duckdb_scan.mjs}:
 * warm-up, then {@code runs} timed queries; node and DuckDB start-up are not counted). Needs {@code node} and a
 * directory with {@code npm install @duckdb/node-api} done ({@code -Dkiln.duckdb.dir}, default
 * {@code /tmp/duckdb}); without them the row says why it was not run.
 */
final class DuckDb {
    private DuckDb() {
    }

    /** A time measured inside the node process, which the harness reports instead of its own wall clock. */
    record Timed(double seconds) {
    }

    /** One warmed-up query: {@code time(file, query, 1, threads)}, as a {@link Timed} for the round-robin loops. */
    static Timed once(Path file, String query, int threads) throws IOException, InterruptedException {
        return new Timed(time(file, query, 1, threads)[0]);
    }

    private static boolean printed;

    /** The per-run seconds of {@code query} ({@code {file}} stands for the file) on {@code threads} threads. */
    static double[] time(Path file, String query, int runs, int threads) throws IOException, InterruptedException {
        Path dir = Path.of(System.getProperty("kiln.duckdb.dir", "/tmp/duckdb"));
        Path script = script();
        if (!Files.isDirectory(dir.resolve("node_modules/@duckdb/node-api"))) {
            throw new IOException("no @duckdb/node-api under " + dir + " (npm install @duckdb/node-api there, or set "
                    + "-Dkiln.duckdb.dir)");
        }
        Process p = new ProcessBuilder("node", script.toString(), file.toString(), String.valueOf(runs),
                String.valueOf(threads), query).directory(dir.toFile()).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("DuckDB did not finish in 30 minutes");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"runs_s\":\\[([^]]*)]").matcher(out);
        if (p.exitValue() != 0 || !m.find()) {
            throw new IOException("DuckDB run failed: " + out.strip());
        }
        Matcher v = Pattern.compile("\"version\":\"([^\"]*)\"").matcher(out);
        if (!printed) {
            printed = true;
            System.out.println("  DuckDB " + (v.find() ? v.group(1) : "?") + ", " + threads + " threads: " + query);
        }
        List<Double> times = new ArrayList<>();
        for (String s : m.group(1).split(",")) {
            times.add(Double.parseDouble(s.trim()));
        }
        return times.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The node script, from the source tree (run from the repository root) or next to the jar. */
    private static Path script() throws IOException {
        for (Path p : List.of(Path.of("benchmarks/src/main/node/duckdb_scan.mjs"), Path.of("src/main/node/duckdb_scan.mjs"))) {
            if (Files.exists(p)) {
                return p.toAbsolutePath();
            }
        }
        throw new IOException("duckdb_scan.mjs not found: run the benchmark from the repository root");
    }
}
