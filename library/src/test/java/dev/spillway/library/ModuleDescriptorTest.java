package dev.spillway.library;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ResolvedModule;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code dev.spillway} module as an application on the module path sees it: the module built
 * from target/classes (the merged Spillway modules and the compiled descriptor), resolved against
 * exactly the libraries this artifact passes on to its users.
 */
class ModuleDescriptorTest {
    /** The packages meant for users; everything else in the module is internal. */
    private static final Set<String> API = Set.of("dev.spillway", "dev.spillway.errors", "dev.spillway.event",
            "dev.spillway.expr", "dev.spillway.options", "dev.spillway.sql", "dev.spillway.types");

    private static final Path CLASSES = Path.of("target", "classes");

    /** The runtime dependencies of the artifact (set by the build), without the merged Spillway modules. */
    private static Path[] libraries() {
        String path = System.getProperty("spillway.module.path");
        assertTrue(path != null && !path.isBlank(), "the build passes spillway.module.path");
        return Arrays.stream(path.split(java.io.File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of)
                .toArray(Path[]::new);
    }

    private static Configuration resolve() {
        Path[] libs = libraries();
        Path[] all = new Path[libs.length + 1];
        all[0] = CLASSES;
        System.arraycopy(libs, 0, all, 1, libs.length);
        return ModuleLayer.boot().configuration().resolveAndBind(ModuleFinder.of(all), ModuleFinder.of(),
                Set.of("dev.spillway"));
    }

    private static ModuleDescriptor descriptor() {
        return ModuleFinder.of(CLASSES).find("dev.spillway").orElseThrow().descriptor();
    }

    @Test
    void exportsOnlyTheApiPackagesToEveryone() {
        ModuleDescriptor d = descriptor();
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            assertFalse(e.isQualified(), e + " is a qualified export");
            exported.add(e.source());
        }
        assertEquals(new TreeSet<>(API), exported);
        assertTrue(d.opens().isEmpty(), "opens nothing: " + d.opens());
        Set<String> internal = new TreeSet<>(d.packages());
        internal.removeAll(API);
        // The internals are all there (the merge worked) and none of them is reachable.
        for (String p : List.of("dev.spillway.memory", "dev.spillway.spill", "dev.spillway.scheduler",
                "dev.spillway.operators", "dev.spillway.formats", "dev.spillway.plan", "dev.spillway.arrow",
                "dev.spillway.internal", "dev.spillway.sql.internal")) {
            assertTrue(internal.contains(p), p + " is in the module");
        }
    }

    @Test
    @SuppressWarnings("restricted") // the layer's module gets native access, as --enable-native-access gives it
    void runsSqlInALayerResolvedWithTheLibrariesUsersGet() throws Exception {
        Configuration cf = resolve();
        ModuleLayer.Controller controller = ModuleLayer.defineModulesWithOneLoader(cf, List.of(ModuleLayer.boot()),
                ClassLoader.getPlatformClassLoader());
        ModuleLayer layer = controller.layer();
        Module m = layer.findModule("dev.spillway").orElseThrow();
        controller.enableNativeAccess(m);
        assertTrue(m.isExported("dev.spillway"));
        assertFalse(m.isExported("dev.spillway.memory"));
        assertFalse(m.isExported("dev.spillway.internal"));
        // Through the API only, by reflection from outside the module: Spillway.sql finds the SQL
        // front end with the module's own ServiceLoader (uses/provides), not META-INF/services.
        ClassLoader loader = layer.findLoader("dev.spillway");
        Class<?> spillway = loader.loadClass("dev.spillway.Spillway");
        Object builder = spillway.getMethod("builder").invoke(null);
        builder = builder.getClass().getMethod("memoryLimit", long.class).invoke(builder, 16L << 20);
        try (AutoCloseable engine = (AutoCloseable) builder.getClass().getMethod("build").invoke(builder)) {
            Class<?> lazy = loader.loadClass("dev.spillway.LazyFrame");
            Object range = spillway.getMethod("range", String.class, long.class, long.class).invoke(engine, "x", 1L, 101L);
            spillway.getMethod("register", String.class, lazy).invoke(engine, "t", range);
            Object frame = spillway.getMethod("sql", String.class).invoke(engine, "SELECT sum(x) AS s FROM t WHERE x % 2 = 0");
            try (AutoCloseable df = (AutoCloseable) frame.getClass().getMethod("collect").invoke(frame)) {
                Object s = df.getClass().getMethod("get", long.class, String.class).invoke(df, 0L, "s");
                assertEquals(2550L, ((Number) s).longValue());
            }
        }
    }

    @Test
    void jdepsFindsNoModuleTheDescriptorDoesNotRead() {
        Configuration cf = resolve();
        ResolvedModule self = cf.findModule("dev.spillway").orElseThrow();
        Set<String> reads = self.reads().stream().map(ResolvedModule::name).collect(Collectors.toCollection(TreeSet::new));
        String modulePath = Stream.concat(Stream.of(CLASSES), Arrays.stream(libraries())).map(Path::toString)
                .collect(Collectors.joining(java.io.File.pathSeparator));
        StringWriter out = new StringWriter();
        int rc = ToolProvider.findFirst("jdeps").orElseThrow().run(new PrintWriter(out), new PrintWriter(out),
                "--multi-release", "25", "--module-path", modulePath, "--check", "dev.spillway");
        assertEquals(0, rc, out.toString());
        String text = out.toString();
        int from = text.indexOf("[Suggested module descriptor for dev.spillway]");
        int to = text.indexOf("[Transitive reduced graph", from);
        assertTrue(from >= 0 && to > from, text);
        Set<String> needed = new TreeSet<>();
        for (String line : text.substring(from, to).split("\n")) {
            String t = line.trim();
            if (t.startsWith("requires ")) {
                String[] words = t.substring(0, t.length() - 1).split("\\s+");
                needed.add(words[words.length - 1]);
            }
        }
        assertFalse(needed.isEmpty(), text);
        needed.removeAll(reads);
        needed.remove("java.base");
        assertTrue(needed.isEmpty(), "the classes use modules dev.spillway does not read: " + needed + "\n" + text);
    }

    @Test
    void apiSignaturesNameOnlyApiAndJdkTypes() throws Exception {
        Set<String> leaks = new TreeSet<>();
        int types = 0;
        try (Stream<Path> files = Files.walk(CLASSES.resolve("dev"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                String name = CLASSES.relativize(f).toString().replace(f.getFileSystem().getSeparator(), ".");
                name = name.substring(0, name.length() - ".class".length());
                String pkg = name.substring(0, name.lastIndexOf('.'));
                if (!API.contains(pkg) || name.endsWith("package-info")) {
                    continue;
                }
                Class<?> c = Class.forName(name, false, getClass().getClassLoader());
                if (!visible(c)) {
                    continue;
                }
                types++;
                check(c, c.getGenericSuperclass(), "extends", leaks);
                for (Type t : c.getGenericInterfaces()) {
                    check(c, t, "implements", leaks);
                }
                for (Method m : c.getDeclaredMethods()) {
                    if (member(m.getModifiers()) && !m.isSynthetic()) {
                        check(c, m.getGenericReturnType(), m.getName(), leaks);
                        for (Type t : m.getGenericParameterTypes()) {
                            check(c, t, m.getName(), leaks);
                        }
                        for (Type t : m.getGenericExceptionTypes()) {
                            check(c, t, m.getName(), leaks);
                        }
                    }
                }
                for (Constructor<?> k : c.getDeclaredConstructors()) {
                    if (member(k.getModifiers()) && !k.isSynthetic()) {
                        for (Type t : k.getGenericParameterTypes()) {
                            check(c, t, "<init>", leaks);
                        }
                    }
                }
                for (Field x : c.getDeclaredFields()) {
                    if (member(x.getModifiers())) {
                        check(c, x.getGenericType(), x.getName(), leaks);
                    }
                }
            }
        }
        assertTrue(types > 50, "found the API types: " + types);
        assertTrue(leaks.isEmpty(), "public signatures name internal types:\n" + String.join("\n", leaks));
    }

    private static boolean visible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!Modifier.isPublic(k.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    private static boolean member(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static void check(Class<?> owner, Type t, String where, Set<String> leaks) {
        switch (t) {
            case null -> {
            }
            case Class<?> k -> {
                Class<?> e = k;
                while (e.isArray()) {
                    e = e.getComponentType();
                }
                String pkg = e.getPackageName();
                if (!e.isPrimitive() && !pkg.startsWith("java.") && !API.contains(pkg)) {
                    leaks.add(owner.getName() + "." + where + " -> " + e.getName());
                }
            }
            case ParameterizedType p -> {
                check(owner, p.getRawType(), where, leaks);
                for (Type a : p.getActualTypeArguments()) {
                    check(owner, a, where, leaks);
                }
            }
            case WildcardType w -> {
                for (Type b : w.getUpperBounds()) {
                    check(owner, b, where, leaks);
                }
                for (Type b : w.getLowerBounds()) {
                    check(owner, b, where, leaks);
                }
            }
            case GenericArrayType g -> check(owner, g.getGenericComponentType(), where, leaks);
            case TypeVariable<?> v -> {
                for (Type b : v.getBounds()) {
                    check(owner, b, where, leaks);
                }
            }
            default -> leaks.add(owner.getName() + "." + where + " -> unexpected " + t);
        }
    }
}
