package dev.kiln.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md compiles against the project as it is: its {@code import} lines become the
 * imports of a class, the rest becomes the body of a method, and the JDK's compiler must accept it with the test
 * class path (which has Kiln and Spark). A newcomer can paste any of them.
 */
class ReadmeSnippetsTest extends KilnTest {
    private static final Path README = Path.of("").toAbsolutePath().getParent().resolve("README.md");
    private static final Pattern BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

    @Test
    void everyJavaSnippetCompiles(@TempDir Path out) throws Exception {
        List<String> blocks = javaBlocks(Files.readString(README));
        assertTrue(blocks.size() >= 4, "expected the README's Java examples, found " + blocks.size() + " blocks");
        List<JavaFileObject> units = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            units.add(unit("ReadmeSnippet" + i, blocks.get(i)));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertTrue(javac != null, "the tests need a JDK (javax.tools), not a JRE");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            boolean ok = javac.getTask(new StringWriter(), files, diagnostics, List.of("-classpath", cp, "-d",
                    out.toString(), "-proc:none", "--release", "17"), null, units).call();
            StringBuilder errors = new StringBuilder();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    errors.append(d.getSource() == null ? "" : d.getSource().getName()).append(':')
                            .append(d.getLineNumber()).append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
                }
            }
            assertTrue(ok && errors.length() == 0, "README snippets do not compile (line numbers count from the "
                    + "snippet's first non-import line + 1):\n" + errors);
        }
    }

    @Test
    void aBrokenSnippetIsCaught(@TempDir Path out) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        boolean ok = javac.getTask(new StringWriter(), null, diagnostics, List.of("-classpath", cp, "-d",
                out.toString(), "-proc:none"), null, List.of(unit("Broken", "Tensor t = Tensor.zeros(2);\n"))).call();
        assertTrue(!ok, "a snippet without its import must not compile");
    }

    static List<String> javaBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(markdown);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    private static JavaFileObject unit(String name, String snippet) {
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String line : snippet.split("\n", -1)) {
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        }
        String source = imports + "\npublic class " + name + " {\n    @SuppressWarnings(\"all\")\n"
                + "    void run() throws Exception {\n" + body + "    }\n}\n";
        return new SimpleJavaFileObject(java.net.URI.create("string:///" + name + ".java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
    }
}
