package dev.kiln.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml: it names the Spark image of the pom's Spark version and the jar the build makes, and Debian's
 * {@code docker-compose} (apt-get install docker-compose; it validates without a Docker engine) accepts it, with and
 * without the GPU profile. The validation is skipped, saying so, only where docker-compose is not installed.
 */
class DockerComposeTest extends KilnTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path FILE = ROOT.resolve("docker-compose.yml");

    @Test
    void imageMatchesTheSparkVersionOfThePom() throws Exception {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        Matcher m = Pattern.compile("<spark.version>([^<]+)</spark.version>").matcher(pom);
        assertTrue(m.find(), "no spark.version in the root pom");
        String compose = Files.readString(FILE);
        assertTrue(compose.contains("image: apache/spark:" + m.group(1) + "\n"),
                "docker-compose.yml must use apache/spark:" + m.group(1));
        String examplesPom = Files.readString(ROOT.resolve("examples/pom.xml"));
        Matcher v = Pattern.compile("<artifactId>kiln-parent</artifactId><version>([^<]+)</version>").matcher(
                examplesPom);
        assertTrue(v.find());
        assertTrue(compose.contains("examples/target/kiln-examples-" + v.group(1) + "-all.jar"),
                "the submit service must mount the jar ./kiln jar builds");
        for (String flag : new String[] {"spark.driver.extraJavaOptions=--add-opens=java.base/java.nio=ALL-UNNAMED",
            "spark.executor.extraJavaOptions=--add-opens=java.base/java.nio=ALL-UNNAMED"}) {
            assertTrue(compose.contains(flag), "missing " + flag);
        }
    }

    @Test
    void dockerComposeValidatesTheFile() throws Exception {
        Assumptions.assumeTrue(onPath("docker-compose"), "docker-compose is not installed (Debian: apt-get install "
                + "docker-compose); skipping `docker-compose config -q` on docker-compose.yml");
        for (List<String> extra : List.of(List.<String>of(), List.of("--profile", "gpu"))) {
            List<String> cmd = new ArrayList<>(List.of("docker-compose", "-f", FILE.toString()));
            cmd.addAll(extra);
            cmd.addAll(List.of("config", "-q"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "docker-compose config hung");
            assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
            assertEquals("", out.strip(), String.join(" ", cmd) + " printed warnings:\n" + out);
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
