package dev.krafter.relay.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.db.TestDatabase;

/**
 * james-conf/conf/krafter.env is the one settings reference: every setting with its default (the
 * value of its commented-out line; empty = unset) and a comment. docs/settings.md is the same list
 * as a table. Checked here: the two name the same settings with the same defaults, both ways; every
 * setting in krafter.env has a comment; every KRAFTER_* setting the code (any module's src/main/java)
 * and the relay's launcher scripts read is in krafter.env, and where they spell out a default it is
 * krafter.env's.
 */
class SettingsReferenceTest {
    private static final Path ROOT = TestDatabase.repositoryRoot();
    static final Path KRAFTER_ENV = ROOT.resolve("james-conf/conf/krafter.env");
    static final Path SETTINGS_DOC = ROOT.resolve("docs/settings.md");
    /** The scripts bin/krafter-relay runs (bin/test and bin/test-clients-setup are the test command, not the relay). */
    private static final List<String> LAUNCHER_SCRIPTS = List.of("bin/krafter-relay", "bin/krafter-pg", "bin/krafter-tls");

    private static final Pattern ENV_LINE = Pattern.compile("^#([A-Z][A-Z0-9_]*)=(.*)$");
    private static final Pattern TABLE_ROW = Pattern.compile("^\\| `([A-Z][A-Z0-9_]*)` \\| ([^|]*) \\|");

    @Test
    void theTableAndKrafterEnvNameTheSameSettingsWithTheSameDefaults() {
        Map<String, String> env = krafterEnv();
        Map<String, String> table = settingsTable();
        assertThat(env).as("krafter.env settings").isNotEmpty().containsKeys("KRAFTER_SMTP_PORT", "KRAFTER_DB_URL", "MALLOC_ARENA_MAX");
        assertThat(table.keySet()).as("rows of docs/settings.md = settings of krafter.env").containsExactlyInAnyOrderElementsOf(env.keySet());
        env.forEach((name, value) -> {
            String cell = table.get(name);
            if (value.isEmpty()) {
                assertThat(cell).as("%s is unset in krafter.env: its default cell in docs/settings.md", name).startsWith("unset");
            } else {
                assertThat(cell).as("%s=%s in krafter.env: its default cell in docs/settings.md", name, value)
                    .isEqualTo("`" + value + "`");
            }
        });
    }

    @Test
    void everySettingInKrafterEnvHasAComment() throws IOException {
        List<String> lines = Files.readAllLines(KRAFTER_ENV);
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = ENV_LINE.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            int j = i - 1;
            while (j >= 0 && ENV_LINE.matcher(lines.get(j)).matches()) {
                j--; // a group of settings under one comment
            }
            assertThat(j >= 0 && lines.get(j).startsWith("# ") && !lines.get(j).startsWith("# ---"))
                .as("krafter.env line %d, %s: a comment above it (or above its group)", i + 1, m.group(1)).isTrue();
        }
    }

    @Test
    void everySettingTheCodeAndTheLauncherReadIsInKrafterEnvWithItsDefault() throws IOException {
        Map<String, String> env = krafterEnv();
        Map<String, List<String>> read = new TreeMap<>();   // setting -> where it is read
        Map<String, List<String>> defaults = new TreeMap<>(); // setting -> "where: default" spelled out in code
        Pattern literal = Pattern.compile("\"(KRAFTER_[A-Z0-9_]*[A-Z0-9])\"");
        Pattern javaDefault = Pattern.compile("getOrDefault\\(\\s*\"(KRAFTER_[A-Z0-9_]*[A-Z0-9])\"\\s*,\\s*\"([^\"]*)\"\\s*\\)");
        for (Path source : javaSources()) {
            String text = Files.readString(source);
            String where = ROOT.relativize(source).toString();
            literal.matcher(text).results().forEach(r -> read.computeIfAbsent(r.group(1), k -> new ArrayList<>()).add(where));
            javaDefault.matcher(text).results().forEach(r -> defaults.computeIfAbsent(r.group(1), k -> new ArrayList<>()).add(where + ": " + r.group(2)));
        }
        Pattern reference = Pattern.compile("\\$\\{?!?(KRAFTER_[A-Z0-9_]*[A-Z0-9])");
        Pattern shellDefault = Pattern.compile("\\$\\{(KRAFTER_[A-Z0-9_]*[A-Z0-9]|MALLOC_ARENA_MAX):-([^}]*)\\}");
        for (String script : LAUNCHER_SCRIPTS) {
            String text = Files.readString(ROOT.resolve(script));
            reference.matcher(text).results().forEach(r -> read.computeIfAbsent(r.group(1), k -> new ArrayList<>()).add(script));
            shellDefault.matcher(text).results().forEach(r -> defaults.computeIfAbsent(r.group(1), k -> new ArrayList<>()).add(script + ": " + r.group(2)));
        }
        assertThat(read).as("settings read by the code").containsKeys("KRAFTER_SMTP_PORT", "KRAFTER_SES_QUOTA_REFRESH", "KRAFTER_TLS_KEY_TYPE");
        read.forEach((name, where) -> assertThat(env).as("%s (read in %s) is in krafter.env", name, where).containsKey(name));
        defaults.forEach((name, spelled) -> {
            String value = env.get(name);
            if (value == null || value.isEmpty()) {
                return; // unset in krafter.env: the default is computed (KRAFTER_HOME, paths under var/), described in its comment
            }
            for (String s : spelled) {
                assertThat(s.substring(s.indexOf(": ") + 2)).as("default of %s in %s = krafter.env's", name, s.substring(0, s.indexOf(": ")))
                    .isEqualTo(value);
            }
        });
    }

    /** NAME -> default of every "#NAME=value" line of krafter.env (in file order). */
    static Map<String, String> krafterEnv() {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : lines(KRAFTER_ENV)) {
            Matcher m = ENV_LINE.matcher(line);
            if (m.matches()) {
                assertThat(settings.put(m.group(1), m.group(2))).as("%s appears once in krafter.env", m.group(1)).isNull();
            }
        }
        return settings;
    }

    /** Variable -> default cell (trimmed) of every row of the settings table in docs/settings.md. */
    static Map<String, String> settingsTable() {
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : lines(SETTINGS_DOC)) {
            Matcher m = TABLE_ROW.matcher(line);
            if (m.find()) {
                assertThat(rows.put(m.group(1), m.group(2).strip())).as("%s has one row in docs/settings.md", m.group(1)).isNull();
            }
        }
        return rows;
    }

    private static List<Path> javaSources() throws IOException {
        List<Path> sources = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path main : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(main)) {
                    files.filter(f -> f.toString().endsWith(".java")).forEach(sources::add);
                }
            }
        }
        assertThat(new TreeSet<>(sources.stream().map(p -> ROOT.relativize(p).getName(0).toString()).toList()))
            .as("modules with main code").contains("krafter-auth", "krafter-mailets", "james-conf");
        return sources;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
