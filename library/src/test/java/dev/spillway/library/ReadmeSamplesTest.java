package dev.spillway.library;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@code java} code block of the README compiles: the API samples as a named module that
 * requires {@code dev.spillway} on the module path (so they use exported packages only), a block
 * that starts with {@code // Internal API} on the class path against the Spillway modules' jars.
 * Each block becomes one method; the names it uses without declaring them (the engine
 * {@code sw}, frames such as {@code orders}, paths, pointers) are fields of the generated class.
 */
class ReadmeSamplesTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

    /** Imports every block gets; a block's own imports are added to them. */
    private static final List<String> IMPORTS = List.of("java.lang.foreign.*", "java.math.BigDecimal",
            "java.nio.file.Path", "java.time.*", "java.util.List", "java.util.Map");
    private static final List<String> API_IMPORTS = List.of("dev.spillway.*", "dev.spillway.errors.*",
            "dev.spillway.options.*", "dev.spillway.types.*", "static dev.spillway.Expr.col",
            "static dev.spillway.Expr.lit");
    private static final List<String> INTERNAL_IMPORTS = List.of("dev.spillway.memory.*");

    /** The free names of the samples, as the README's prose introduces them. */
    private static final String API_FIELDS = """
                static Spillway sw;
                static LazyFrame orders, sizes, colors, trades, quotes, events, windows;
                static Path tradesCsv, quotesCsv, out;
                static MemorySegment schemaPtr, arrayPtr;
                static long streamAddress, producerStreamAddress;
            """;
    private static final String INTERNAL_FIELDS = """
                static Spillable mySpillableOperator;
            """;

    private record Block(int line, String code) {
        boolean internal() {
            return code.startsWith("// Internal API");
        }

        boolean moduleDeclaration() {
            return code.startsWith("module ");
        }
    }

    private static List<Block> blocks() throws IOException {
        String text = Files.readString(README);
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            int line = 2 + (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count();
            out.add(new Block(line, m.group(1)));
        }
        return out;
    }

    /** One class with a method per block; the line numbers map back to README lines in the errors. */
    private static String unit(List<Block> blocks, List<String> imports, String fields, String pkg) {
        Set<String> all = new LinkedHashSet<>();
        imports.forEach(i -> all.add("import " + i + ";"));
        StringBuilder methods = new StringBuilder();
        for (Block b : blocks) {
            StringBuilder body = new StringBuilder();
            for (String l : b.code().split("\n", -1)) {
                if (l.startsWith("import ")) {
                    all.add(l.strip());
                    body.append('\n');
                } else {
                    body.append("        ").append(l).append('\n');
                }
            }
            methods.append("    // README line ").append(b.line()).append('\n')
                    .append("    static void readmeLine").append(b.line()).append("() throws Exception {\n")
                    .append(body).append("    }\n\n");
        }
        return "package " + pkg + ";\n\n" + String.join("\n", all) + "\n\n@SuppressWarnings(\"unused\")\nclass Samples {\n"
                + fields + "\n" + methods + "}\n";
    }

    private static String compile(Path dir, List<String> options, Path... sources) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> args = new ArrayList<>(options);
            args.addAll(List.of("-d", dir.resolve("classes").toString(), "-proc:none"));
            boolean ok = javac.getTask(null, files, diagnostics, args, null, files.getJavaFileObjects(sources)).call();
            StringBuilder errors = new StringBuilder();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    errors.append(d.getSource() == null ? "" : d.getSource().getName()).append(':')
                            .append(d.getLineNumber()).append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
                }
            }
            assertEquals(ok, errors.isEmpty(), errors.toString());
            return errors.toString();
        }
    }

    private static String listing(Path source) throws IOException {
        StringBuilder sb = new StringBuilder();
        List<String> lines = Files.readAllLines(source);
        for (int i = 0; i < lines.size(); i++) {
            sb.append(i + 1).append(": ").append(lines.get(i)).append('\n');
        }
        return sb.toString();
    }

    @Test
    void apiSamplesCompileAsAModuleThatRequiresDevSpillway(@TempDir Path dir) throws IOException {
        List<Block> api = blocks().stream().filter(b -> !b.internal() && !b.moduleDeclaration()).toList();
        assertTrue(api.size() >= 10, "found the README's samples: " + api.size());
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("readme"));
        Path info = Files.writeString(src.resolve("module-info.java"), "module readme.samples { requires dev.spillway; }\n");
        Path samples = Files.writeString(src.resolve("readme").resolve("Samples.java"),
                unit(api, concat(IMPORTS, API_IMPORTS), API_FIELDS, "readme"));
        String modulePath = Path.of("target", "classes") + File.pathSeparator + System.getProperty("spillway.module.path");
        String errors = compile(dir, List.of("--module-path", modulePath), info, samples);
        assertEquals("", errors, listing(samples));
    }

    @Test
    void moduleDeclarationsCompileAgainstTheModule(@TempDir Path dir) throws IOException {
        List<Block> modules = blocks().stream().filter(Block::moduleDeclaration).toList();
        assertEquals(1, modules.size(), "the README's module declarations");
        String modulePath = Path.of("target", "classes") + File.pathSeparator + System.getProperty("spillway.module.path");
        for (Block b : modules) {
            Path src = Files.createDirectories(dir.resolve("line" + b.line()));
            Path info = Files.writeString(src.resolve("module-info.java"), b.code());
            assertEquals("", compile(src, List.of("--module-path", modulePath), info), "README line " + b.line());
        }
    }

    @Test
    void internalSamplesCompileOnTheClassPath(@TempDir Path dir) throws IOException {
        List<Block> internal = blocks().stream().filter(Block::internal).toList();
        assertEquals(1, internal.size(), "the README's internal-API samples");
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("readme"));
        Path samples = Files.writeString(src.resolve("readme").resolve("Samples.java"),
                unit(internal, concat(IMPORTS, INTERNAL_IMPORTS), INTERNAL_FIELDS, "readme"));
        String errors = compile(dir, List.of("--class-path", System.getProperty("java.class.path")), samples);
        assertEquals("", errors, listing(samples));
    }

    @Test
    void aSampleThatReachesIntoTheInternalsDoesNotCompileAsAModule(@TempDir Path dir) throws IOException {
        // The check above can fail: the same kind of unit, using a package the module does not export.
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("readme"));
        Path info = Files.writeString(src.resolve("module-info.java"), "module readme.samples { requires dev.spillway; }\n");
        Path samples = Files.writeString(src.resolve("readme").resolve("Samples.java"), unit(
                List.of(new Block(1, "MemoryBudget b = MemoryBudget.root(\"x\", 1 << 20);\n")),
                concat(IMPORTS, concat(API_IMPORTS, INTERNAL_IMPORTS)), API_FIELDS, "readme"));
        String modulePath = Path.of("target", "classes") + File.pathSeparator + System.getProperty("spillway.module.path");
        String errors = compile(dir, List.of("--module-path", modulePath), info, samples);
        assertTrue(errors.contains("dev.spillway.memory") && errors.contains("not visible"), errors);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
