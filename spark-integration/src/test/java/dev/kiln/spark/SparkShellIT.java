package dev.kiln.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs examples/spark-shell/kiln-quickstart.scala in a real Scala 2.13 REPL (class-based, as spark-shell's) on
 * Spark's class path plus only the shaded {@code kiln-spark-<version>-all.jar}, as a user's
 * {@code spark-shell --jars} would, and checks its printed results. Also checks that the shaded jar holds no class
 * that Spark's own jars hold (so no Arrow, Parquet or Hadoop class can shadow Spark's).
 *
 * <p>"Spark's class path" is this module's test class path without Kiln's modules, the native BLAS, JUnit and
 * surefire: what remains is spark-sql/spark-mllib 4.1.0 and their dependencies, which (measured, see the shade
 * plugin's comment in the pom) include every third-party jar Kiln needs at Spark's versions.
 */
class SparkShellIT extends KilnTest {
    private static final long TIMEOUT_SECONDS = 240;

    @TempDir
    Path tmp;

    /** The IT runs in the integration-test phase, after the jar is shaded; `-Dtest=SparkShellIT` also matches `test`. */
    @BeforeEach
    void onlyAfterPackage() {
        Assumptions.assumeTrue(System.getProperty("kiln.shadedJar") != null, "runs in the integration-test phase");
    }

    static List<String> sparkClassPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> out = new ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) {
            String p = e.replace('\\', '/');
            boolean ours = p.contains("/dev/kiln/") || p.contains("/target/") || p.contains("/org/bytedeco/")
                    || p.contains("/org/jcuda/")
                    || p.contains("/org/junit/") || p.contains("/org/opentest4j/")
                    || p.contains("/org/apiguardian/") || p.contains("surefire") || p.contains("/commons-pool/")
                    || p.contains("/commons-logging/");
            if (!ours && !p.isBlank()) {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    void quickstartScriptTrainsScoresSavesAndQueriesInARepl() throws Exception {
        Path jar = Path.of(System.getProperty("kiln.shadedJar"));
        Path script = Path.of(System.getProperty("kiln.examplesDir"), "kiln-quickstart.scala");
        assertTrue(Files.isRegularFile(jar), "build the shaded jar first (mvn package): " + jar);
        List<String> cp = sparkClassPath();
        cp.add(jar.toString());
        Path input = tmp.resolve("stdin.scala");
        Files.writeString(input, Files.readString(script) + "\n:quit\n"); // read line by line, as spark-shell -i does
        Path output = tmp.resolve("repl.log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(System.getProperty("kiln.replJvmArgs", "").trim().split("\\s+")));
        cmd.addAll(List.of("-Xmx2g", "-Dscala.usejavacp=true", "-Dspark.master=local[2]", "-Dspark.ui.enabled=false",
                "-Dspark.sql.shuffle.partitions=2",
                "-Dlog4j2.configurationFile=" + Path.of("src/test/resources/log4j2-test.properties").toAbsolutePath(),
                "-cp", String.join(File.pathSeparator, cp), "scala.tools.nsc.MainGenericRunner", "-usejavacp",
                "-Yrepl-class-based"));
        Process repl = new ProcessBuilder(cmd).redirectInput(input.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        boolean finished = repl.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            repl.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String log = Files.readString(output, StandardCharsets.UTF_8);
        assertTrue(finished, "the REPL did not finish within " + TIMEOUT_SECONDS + " s:\n" + tail(log));
        assertEquals(0, repl.exitValue(), tail(log));
        assertTrue(!log.contains("error:") && !log.contains("Exception"), "the script failed:\n" + tail(log));
        Matcher accuracy = Pattern.compile("KILN accuracy=([0-9.]+)").matcher(log);
        assertTrue(accuracy.find(), tail(log));
        assertTrue(Double.parseDouble(accuracy.group(1)) > 0.9, accuracy.group());
        assertTrue(log.contains("KILN reloaded-identical=true"), tail(log));
        assertTrue(log.contains("KILN sql-agreement=1.000"), tail(log));
        assertTrue(log.contains("KILN model=KilnModel: uid=kilnEstimator_") && log.contains("architecture=Sequential("
                + "Linear(4, 32), ReLU(), Linear(32, 3))"), tail(log));
    }

    @Test
    void shadedJarHoldsNoClassThatSparksJarsHold() throws IOException {
        Set<String> ours = new HashSet<>();
        try (JarFile jar = new JarFile(System.getProperty("kiln.shadedJar"))) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                if (name.endsWith(".class") && !name.startsWith("META-INF/")) {
                    ours.add(name);
                }
            }
        }
        assertTrue(ours.stream().anyMatch(n -> n.startsWith("dev/kiln/spark/ml/KilnModel")), "Kiln is in the jar");
        assertTrue(ours.stream().noneMatch(n -> n.startsWith("org/apache/arrow/")), "Arrow is left to Spark");
        List<String> clashes = new ArrayList<>();
        for (String entry : sparkClassPath()) {
            if (!entry.endsWith(".jar")) {
                continue;
            }
            try (JarFile jar = new JarFile(entry)) {
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    String name = e.nextElement().getName();
                    if (ours.contains(name)) {
                        clashes.add(name + " (also in " + entry + ")");
                    }
                }
            }
        }
        assertEquals(List.of(), clashes);
        assertTrue(sparkClassPath().stream().anyMatch(p -> p.contains("arrow-vector-18.3.0")), "Spark's Arrow");
    }

    private static String tail(String log) {
        return log.length() > 6000 ? log.substring(log.length() - 6000) : log;
    }
}
