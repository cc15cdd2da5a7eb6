package dev.krafter.relay.distribution;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import dev.krafter.relay.db.TestDatabase;

/**
 * An admin's extension jar, built the way docs/extending.md tells: the sources in
 * james-conf/src/test/extension (package com.acme.relay) compiled with javac against the
 * distribution's lib/ jars, then jarred.
 */
final class ExtensionJar {
    static final Path SOURCES = TestDatabase.repositoryRoot().resolve("james-conf/src/test/extension");

    private ExtensionJar() {
    }

    static Path build(Path distributionLib, Path workDir) throws IOException {
        Path classes = Files.createDirectories(workDir.resolve("acme-classes"));
        List<String> sources;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toString).sorted().toList();
        }
        String classPath;
        try (Stream<Path> jars = Files.list(distributionLib)) {
            classPath = jars.filter(p -> p.toString().endsWith(".jar")).map(Path::toString).sorted()
                .collect(Collectors.joining(java.io.File.pathSeparator));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no system Java compiler: the tests need a JDK, not a JRE");
        }
        StringWriter diagnostics = new StringWriter();
        List<String> arguments = new java.util.ArrayList<>(List.of("--release", "17", "-proc:none", "-cp", classPath,
            "-d", classes.toString()));
        arguments.addAll(sources);
        int status = javac.run(null, new OutputStreamSink(diagnostics), new OutputStreamSink(diagnostics), arguments.toArray(String[]::new));
        if (status != 0) {
            throw new IllegalStateException("javac failed on " + SOURCES + ":\n" + diagnostics);
        }
        Path jar = workDir.resolve("acme-relay-extensions.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
             Stream<Path> files = Files.walk(classes)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    /** javac's diagnostics into a StringWriter. */
    private static final class OutputStreamSink extends OutputStream {
        private final StringWriter target;

        OutputStreamSink(StringWriter target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            target.write(b);
        }
    }
}
