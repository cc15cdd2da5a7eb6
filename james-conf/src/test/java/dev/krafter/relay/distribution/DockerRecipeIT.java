package dev.krafter.relay.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;

/**
 * docker/Dockerfile and docker/compose.yaml checked without a Docker engine (there is none here):
 * read as text/YAML and held against the assembled distribution and the settings table (docs/settings.md), then
 * the image's recipe replayed on this machine — the .tar.gz unpacked, var/ given to a non-root
 * user as the Dockerfile does, ENTRYPOINT + CMD started as that user with the environment the
 * Dockerfile and compose set (only the database address and the port differ), and the HEALTHCHECK
 * command run as that user against it. What this cannot show is listed in docker/README.md.
 */
class DockerRecipeIT {
    /** The image's install directory; the replay uses the unpacked distribution in its place. */
    private static final String IMAGE_HOME = "/opt/krafter-relay";
    /** The non-root user of the replay (the image creates its own, "krafter"). */
    private static final String USER = "nobody";

    private static Path root;
    private static Dockerfile dockerfile;
    private static Map<String, Object> compose;
    private static String version;

    @BeforeAll
    static void read() throws IOException {
        root = TestDatabase.repositoryRoot();
        dockerfile = Dockerfile.parse(Files.readString(root.resolve("docker/Dockerfile")));
        compose = new Yaml().load(Files.readString(root.resolve("docker/compose.yaml")));
        version = System.getProperty("krafter.distribution.name", "krafter-relay-0.1.0-SNAPSHOT").substring("krafter-relay-".length());
    }

    // ------------------------------------------------------------------ static checks

    @Test
    void everyCopySourceIsWhatMavenBuildsAndTheDockerignoreLetsItThrough() throws IOException, InterruptedException {
        assertThat(dockerfile.arg("VERSION")).as("ARG VERSION = the project version").isEqualTo(version);
        List<String> copies = dockerfile.all("COPY");
        assertThat(copies).isNotEmpty();
        List<String> ignore = Files.readAllLines(root.resolve(".dockerignore"));
        for (String copy : copies) {
            String source = dockerfile.expand(copy.split("\\s+")[0]);
            assertThat(root.resolve(source)).as("COPY %s (build context: the repository root)", source).isRegularFile();
            assertThat(ignore).as(".dockerignore re-includes %s", source)
                .anyMatch(line -> line.startsWith("!") && Pattern.matches(glob(line.substring(1)), source));
        }
        // the RUN that unpacks it names the archive's top directory and directories the archive has
        String install = dockerfile.expand(dockerfile.all("RUN").stream().filter(r -> r.contains("tar -xzf")).findFirst().orElseThrow());
        List<String> entries = tarList(root.resolve("james-conf/target/krafter-relay-" + version + ".tar.gz"));
        assertThat(install).contains("mv /opt/krafter-relay-" + version + " " + IMAGE_HOME);
        assertThat(entries).allMatch(e -> e.startsWith("krafter-relay-" + version + "/"));
        assertThat(entries).contains("krafter-relay-" + version + "/extensions-jars/", "krafter-relay-" + version + "/bin/krafter-relay");
        // var/ is not in the archive (state, not shipped): the Dockerfile creates it before chown
        assertThat(install).containsPattern("mkdir -p " + IMAGE_HOME + "/var .*chown -R krafter " + IMAGE_HOME + "/var " + IMAGE_HOME + "/extensions-jars");
    }

    @Test
    void entrypointCmdAndHealthcheckExistInTheDistribution() throws Exception {
        try (Distribution dist = Distribution.unpack()) {
            assertThat(dockerfile.last("WORKDIR")).isEqualTo(IMAGE_HOME);
            List<String> entrypoint = dockerfile.execForm("ENTRYPOINT");
            Path launcher = inDistribution(dist, entrypoint.get(0));
            assertThat(launcher).isRegularFile().isExecutable();
            assertThat(dockerfile.execForm("CMD")).containsExactly("run");
            assertThat(Files.readString(launcher)).contains("bin/krafter-relay run");
            String healthcheck = dockerfile.healthcheckCommand();
            assertThat(inDistribution(dist, healthcheck.split("\\s+")[0])).isRegularFile().isExecutable();
            assertThat(dockerfile.env().get("KRAFTER_HOME")).isEqualTo(IMAGE_HOME);
            assertThat(dockerfile.all("VOLUME")).containsExactly("[\"" + IMAGE_HOME + "/var\"]");
        }
    }

    @Test
    void theImageRunsAsANonRootUserThatTheImageCreates() {
        String user = dockerfile.last("USER");
        assertThat(user).isNotIn("root", "0");
        assertThat(dockerfile.all("RUN")).anyMatch(r -> r.contains("useradd") && r.endsWith(" " + user));
        // the USER line comes after the last RUN: the relay never runs as root in the image
        assertThat(dockerfile.indexOfLast("USER")).isGreaterThan(dockerfile.indexOfLast("RUN"));
        assertThat(relay()).doesNotContainKey("user");
    }

    @Test
    void environmentVariablesAreTheDocumentedSettings() throws IOException {
        Set<String> documented = documentedSettings();
        Set<String> used = new TreeSet<>(dockerfile.env().keySet());
        used.addAll(environment(relay()).keySet());
        for (String name : used) {
            if (name.startsWith("AWS_")) {
                // the AWS SDK's own variables; the settings table's KRAFTER_SES_REGION row names them
                assertThat(settingsRow("KRAFTER_SES_REGION")).contains("`" + name + "`");
            } else {
                assertThat(documented).as("settings table (docs/settings.md)").contains(name);
            }
        }
    }

    @Test
    void port465AsNonRootIsWhatComposeSetsUp() {
        int port = Integer.parseInt(dockerfile.env().get("KRAFTER_SMTP_PORT"));
        assertThat(dockerfile.all("EXPOSE")).containsExactly(Integer.toString(port));
        @SuppressWarnings("unchecked")
        List<String> ports = (List<String>) relay().get("ports");
        assertThat(ports).anyMatch(p -> p.endsWith(":" + port));
        if (port < 1024) {
            @SuppressWarnings("unchecked")
            Map<String, Object> sysctls = (Map<String, Object>) relay().get("sysctls");
            assertThat(sysctls).as("a non-root user binds %d only with this sysctl", port).isNotNull();
            assertThat(Integer.parseInt(sysctls.get("net.ipv4.ip_unprivileged_port_start").toString())).isLessThanOrEqualTo(port);
        }
    }

    @Test
    void composePostgresMatchesTheRelaysDatabaseSettings() {
        @SuppressWarnings("unchecked")
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        @SuppressWarnings("unchecked")
        Map<String, Object> postgres = (Map<String, Object>) services.get("postgres");
        Map<String, String> pg = environment(postgres);
        Map<String, String> relay = environment(relay());
        Matcher url = Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/(\\w+)").matcher(relay.get("KRAFTER_DB_URL"));
        assertThat(url.matches()).as(relay.get("KRAFTER_DB_URL")).isTrue();
        assertThat(services).containsKey(url.group(1));
        assertThat(url.group(1)).isEqualTo("postgres");
        assertThat(url.group(2)).isEqualTo("5432");
        assertThat(url.group(3)).isEqualTo(pg.get("POSTGRES_DB"));
        assertThat(relay.get("KRAFTER_DB_USER")).isEqualTo(pg.get("POSTGRES_USER"));
        // both the same variable of the operator's environment (compose fails when it is unset)
        assertThat(pg.get("POSTGRES_PASSWORD")).startsWith("${KRAFTER_DB_PASSWORD");
        assertThat(relay.get("KRAFTER_DB_PASSWORD")).startsWith("${KRAFTER_DB_PASSWORD");
        assertThat(relay().get("depends_on").toString()).contains("postgres={condition=service_healthy}");
        @SuppressWarnings("unchecked")
        Map<String, Object> build = (Map<String, Object>) relay().get("build");
        assertThat(root.resolve("docker").resolve(build.get("context").toString()).normalize()).isEqualTo(root);
        assertThat(root.resolve(build.get("dockerfile").toString())).isRegularFile();
        @SuppressWarnings("unchecked")
        List<String> volumes = (List<String>) relay().get("volumes");
        assertThat(volumes).anyMatch(v -> v.endsWith(":" + IMAGE_HOME + "/var"));
    }

    @Test
    void dockerComposeConfigAcceptsTheFileWithoutAnEngine() throws Exception {
        Path dockerCompose = Path.of("/usr/bin/docker-compose");
        assumeTrue(Files.isExecutable(dockerCompose), "docker-compose (Debian's v1) is not installed; bin/test installs it");
        Map<String, String> env = new HashMap<>(Map.of("KRAFTER_DB_PASSWORD", "s3cret"));
        Clients.Result ok = Clients.run(Duration.ofSeconds(60), env, dockerCompose.toString(), "-f",
            root.resolve("docker/compose.yaml").toString(), "config");
        assertThat(ok.exitCode()).as(ok.output()).isZero();
        assertThat(ok.output()).contains("KRAFTER_DB_URL: jdbc:postgresql://postgres:5432/krafter", "POSTGRES_PASSWORD: s3cret",
            "KRAFTER_DB_PASSWORD: s3cret", "net.ipv4.ip_unprivileged_port_start: '0'");
        // without the password compose refuses, naming the variable
        Clients.Result missing = Clients.run(Duration.ofSeconds(60), Map.of("KRAFTER_DB_PASSWORD", ""), dockerCompose.toString(), "-f",
            root.resolve("docker/compose.yaml").toString(), "config");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.output()).contains("set KRAFTER_DB_PASSWORD");
    }

    @Test
    void theScaleOutComposeRunsTheDocumentedHaproxyInFrontOfNodesInProxyMode() throws Exception {
        Map<String, Object> scale = new Yaml().load(Files.readString(root.resolve("docker/compose.scale.yaml")));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) scale.get("services");
        String port = dockerfile.env().get("KRAFTER_SMTP_PORT");
        List<String> relays = services.keySet().stream().filter(name -> name.startsWith("relay")).sorted().toList();
        assertThat(relays).hasSizeGreaterThanOrEqualTo(2);

        // haproxy.cfg's servers are exactly these services, on the image's port, with the PROXY header
        String cfg = Files.readString(root.resolve("docker/haproxy.cfg"));
        List<String> servers = new ArrayList<>();
        for (Matcher m = Pattern.compile("(?m)^\\s*server (\\S+) (\\S+):(\\d+) (.*)$").matcher(cfg); m.find(); ) {
            servers.add(m.group(2));
            assertThat(m.group(3)).isEqualTo(port);
            assertThat(m.group(4)).containsPattern("send-proxy(-v2)?( |$)").contains("check-send-proxy");
        }
        assertThat(servers).containsExactlyElementsOf(relays);

        Set<String> documented = documentedSettings();
        Set<String> varVolumes = new TreeSet<>();
        for (String name : relays) {
            Map<String, Object> relay = services.get(name);
            Map<String, String> env = environment(relay);
            assertThat(env).as(name).containsEntry("KRAFTER_PROXY_PROTOCOL", "true");
            env.keySet().stream().filter(k -> k.startsWith("KRAFTER_")).forEach(k -> assertThat(documented).contains(k));
            assertThat(relay).as("%s is reached through HAProxy only", name).doesNotContainKey("ports");
            @SuppressWarnings("unchecked")
            List<String> volumes = (List<String>) relay.get("volumes");
            String var = volumes.stream().filter(v -> v.endsWith(":" + IMAGE_HOME + "/var")).findFirst().orElseThrow();
            varVolumes.add(var.substring(0, var.indexOf(':')));
            // one certificate for every node, from the mounted directory
            String tlsMount = volumes.stream().filter(v -> v.endsWith(":ro")).findFirst().orElseThrow();
            String tlsDir = tlsMount.split(":")[tlsMount.split(":").length - 2];
            assertThat(env.get("KRAFTER_TLS_CERT")).isEqualTo(tlsDir + "/cert.pem");
            assertThat(env.get("KRAFTER_TLS_KEY")).isEqualTo(tlsDir + "/key.pem");
            assertThat(relay.get("build").toString()).contains("dockerfile=docker/Dockerfile");
        }
        assertThat(varVolumes).as("every node its own var/ volume").hasSize(relays.size());

        Map<String, Object> haproxy = services.get("haproxy");
        assertThat(haproxy.get("ports").toString()).contains(port + ":" + port);
        assertThat(haproxy.get("volumes").toString()).contains("./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg");

        Path dockerCompose = Path.of("/usr/bin/docker-compose");
        if (Files.isExecutable(dockerCompose)) {
            Clients.Result ok = Clients.run(Duration.ofSeconds(60), Map.of("KRAFTER_DB_PASSWORD", "s3cret", "KRAFTER_TLS_DIR", "/etc/krafter-tls"),
                dockerCompose.toString(), "-f", root.resolve("docker/compose.scale.yaml").toString(), "config");
            assertThat(ok.exitCode()).as(ok.output()).isZero();
            assertThat(ok.output()).contains("/etc/krafter-tls:/run/krafter-tls:ro", "KRAFTER_PROXY_PROTOCOL: \"true\"");
        }
    }

    // ------------------------------------------------------------------ the recipe, replayed as a non-root user

    @Test
    void entrypointAndHealthcheckWorkAsANonRootUserWithComposesEnvironment() throws Exception {
        assumeTrue(isRoot(), "runuser -u " + USER + " needs root (bin/test runs as root here)");
        try (TestDatabase database = TestDatabase.create(); Distribution dist = Distribution.unpack()) {
            Path home = dist.dir();
            // what the Dockerfile's RUN does after unpacking: var/ and extensions-jars/ to the user, the rest root's
            Files.createDirectories(home.resolve("var"));
            run("chown", "-R", USER, home.resolve("var").toString(), home.resolve("extensions-jars").toString());
            for (Path p = home.getParent(); p != null && !p.equals(Path.of("/tmp")); p = p.getParent()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            int port = freePort();
            Map<String, String> env = containerEnvironment(home, port, database);
            String key = new ApiKeyStore(database.database().dataSource(), Duration.ZERO)
                .create("docker", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();

            List<String> entrypoint = new ArrayList<>();
            dockerfile.execForm("ENTRYPOINT").forEach(a -> entrypoint.add(a.replace(IMAGE_HOME, home.toString())));
            entrypoint.addAll(dockerfile.execForm("CMD"));
            try (RelayProcess relay = RelayProcess.attach(asUser(home, env, entrypoint).start())) {
                assertThat(relay.port()).isEqualTo(port);
                assertThat(Files.getOwner(home.resolve("var/tls/cert.pem")).getName()).isEqualTo(USER);

                long started = System.nanoTime();
                Clients.Result healthy = healthcheck(home, env);
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertThat(healthy.exitCode()).as(healthy.output()).isZero();
                System.out.printf("HEALTHCHECK as %s against the running relay: exit 0 in %d ms%n", USER, millis);

                try (SmtpsClient smtp = SmtpsClient.connect(port, home.resolve("var/tls/cert.pem")).login(key)) {
                    String reply = smtp.send("hello@app.acme.test", List.of("reader@example.com"),
                        "From: hello@app.acme.test\r\nTo: reader@example.com\r\nSubject: image\r\n\r\nfrom the image recipe\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    assertThat(reply).startsWith("250 2.0.0 OK id=");
                    Clients.awaitOutbox(home.resolve("var/outbox"), reply.substring(reply.indexOf("id=") + 3).strip());
                }
                // the relay's process runs as the user, writing only under var/
                assertThat(Files.getOwner(home.resolve("var/log")).getName()).isEqualTo(USER);
            }
            Clients.Result down = healthcheck(home, env);
            assertThat(down.exitCode()).as("HEALTHCHECK with the relay stopped").isEqualTo(1);
            assertThat(down.output()).contains("krafter-relay healthcheck: port " + port);
        }
    }

    @Test
    void aNonRootUserBinds465WithComposesSysctlInANetworkNamespaceOfItsOwn() throws Exception {
        // As in the container: a network namespace of its own with the compose file's sysctl.
        assumeTrue(isRoot() && Clients.run(Duration.ofSeconds(10), Map.of(), "unshare", "-n", "true").exitCode() == 0,
            "unshare -n is not permitted here (needs CAP_SYS_ADMIN)");
        @SuppressWarnings("unchecked")
        Map<String, Object> sysctls = (Map<String, Object>) relay().get("sysctls");
        String start = sysctls.get("net.ipv4.ip_unprivileged_port_start").toString();
        String bind = "runuser -u " + USER + " -- python3 -c 'import socket; socket.socket().bind((\"0.0.0.0\", 465)); print(\"bound\")'";
        Clients.Result withSysctl = Clients.run(Duration.ofSeconds(20), Map.of(), "unshare", "-n", "sh", "-c",
            "ip link set lo up && sysctl -qw net.ipv4.ip_unprivileged_port_start=" + start + " && " + bind);
        assertThat(withSysctl.output()).contains("bound");
        Clients.Result without = Clients.run(Duration.ofSeconds(20), Map.of(), "unshare", "-n", "sh", "-c",
            "ip link set lo up && sysctl -qw net.ipv4.ip_unprivileged_port_start=1024 && " + bind);
        assertThat(without.exitCode()).isNotZero();
        assertThat(without.output()).contains("Permission denied");
    }

    // ------------------------------------------------------------------ helpers

    /** The container's environment: Dockerfile ENV, then compose's relay environment, with this machine's database and port. */
    private static Map<String, String> containerEnvironment(Path home, int port, TestDatabase database) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("JAVA_HOME", System.getProperty("java.home")); // the base image sets it to its JRE
        dockerfile.env().forEach((k, v) -> env.put(k, v.replace(IMAGE_HOME, home.toString())));
        Map<String, String> interpolated = Map.of(
            "${KRAFTER_DB_PASSWORD}", database.password(), "${KRAFTER_SES_REGION:-}", "",
            "${AWS_ACCESS_KEY_ID:-}", "", "${AWS_SECRET_ACCESS_KEY:-}", "");
        environment(relay()).forEach((k, v) -> env.put(k, interpolated.getOrDefault(v, v)));
        assertThat(env.values()).noneMatch(v -> v.contains("${"));
        // the two values that differ from the container: the database address and the port
        env.put("KRAFTER_DB_URL", database.url());
        env.put("KRAFTER_DB_USER", database.user());
        env.put("KRAFTER_SMTP_PORT", Integer.toString(port));
        env.put("KRAFTER_SMTP_BIND", "127.0.0.1");
        return env;
    }

    private static boolean isRoot() throws IOException, InterruptedException {
        return Clients.run(Duration.ofSeconds(10), Map.of(), "id", "-u").output().strip().equals("0");
    }

    private static ProcessBuilder asUser(Path workdir, Map<String, String> env, List<String> command) {
        List<String> full = new ArrayList<>(List.of("runuser", "-u", USER, "--"));
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).directory(workdir.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(env);
        return builder;
    }

    /** HEALTHCHECK CMD in its shell form, as Docker runs it: /bin/sh -c, the container's user and environment. */
    private static Clients.Result healthcheck(Path home, Map<String, String> env) throws IOException, InterruptedException {
        String command = dockerfile.healthcheckCommand().replace(IMAGE_HOME, home.toString());
        Process p = asUser(home, env, List.of("/bin/sh", "-c", command)).start();
        boolean done = p.waitFor(dockerfile.healthcheckTimeoutSeconds(), TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(done).as("HEALTHCHECK finished within its --timeout: %s", output).isTrue();
        return new Clients.Result(p.exitValue(), output);
    }

    private static Path inDistribution(Distribution dist, String imagePath) {
        String relative = imagePath.startsWith(IMAGE_HOME + "/") ? imagePath.substring(IMAGE_HOME.length() + 1) : imagePath;
        return dist.dir().resolve(relative);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> relay() {
        return (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get("relay");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> env = new LinkedHashMap<>();
        ((Map<String, Object>) service.get("environment")).forEach((k, v) -> env.put(k, v == null ? "" : v.toString()));
        return env;
    }

    /** The row of the settings table (docs/settings.md) for one variable. */
    private static String settingsRow(String name) throws IOException {
        return Files.readAllLines(SettingsReferenceTest.SETTINGS_DOC).stream().filter(l -> l.startsWith("| `" + name + "` |"))
            .findFirst().orElseThrow(() -> new AssertionError("no row for " + name + " in docs/settings.md"));
    }

    /**
     * Variable names of the settings table, docs/settings.md ("`KRAFTER_DB_URL` / `_USER` / `_PASSWORD`" would be
     * three); SettingsReferenceTest holds that table against conf/krafter.env.
     */
    private static Set<String> documentedSettings() throws IOException {
        Set<String> names = new TreeSet<>();
        for (String line : Files.readAllLines(SettingsReferenceTest.SETTINGS_DOC)) {
            Matcher row = Pattern.compile("^\\| (`[A-Z_]+`(?: / `[A-Z_]+`)*) \\|").matcher(line);
            if (!row.find()) {
                continue;
            }
            String first = null;
            for (Matcher m = Pattern.compile("`([A-Z_]+)`").matcher(row.group(1)); m.find(); ) {
                String name = m.group(1);
                if (first == null) {
                    first = name;
                    names.add(name);
                } else if (name.startsWith("_")) {
                    names.add(first.substring(0, first.lastIndexOf('_')) + name);
                } else {
                    names.add(name);
                }
            }
        }
        assertThat(names).contains("KRAFTER_SMTP_PORT", "KRAFTER_DB_PASSWORD", "KRAFTER_TLS_KEY");
        return names;
    }

    private static String glob(String pattern) {
        return pattern.replace(".", "\\.").replace("*", "[^/]*");
    }

    private static List<String> tarList(Path archive) throws IOException, InterruptedException {
        Clients.Result list = Clients.run(Duration.ofSeconds(60), Map.of(), "tar", "-tzf", archive.toString());
        assertThat(list.exitCode()).isZero();
        return list.output().lines().toList();
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Clients.Result result = Clients.run(Duration.ofSeconds(60), Map.of(), command);
        assertThat(result.exitCode()).as(String.join(" ", command) + ": " + result.output()).isZero();
    }

    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 25000 + (int) (Math.random() * 1000);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException taken) {
                // another
            }
        }
        throw new IOException("no free port in 25000-25999");
    }

    /** The Dockerfile's instructions (continuation lines joined, comments dropped), in order. */
    record Dockerfile(List<String[]> instructions, Map<String, String> args) {
        static Dockerfile parse(String text) {
            List<String[]> instructions = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String line : text.split("\n")) {
                if (line.strip().startsWith("#") || (current.length() == 0 && line.isBlank())) {
                    continue;
                }
                if (line.endsWith("\\")) {
                    current.append(line, 0, line.length() - 1).append(' ');
                    continue;
                }
                current.append(line);
                String joined = current.toString().strip().replaceAll("\\s+", " ");
                current.setLength(0);
                int space = joined.indexOf(' ');
                instructions.add(new String[] {joined.substring(0, space).toUpperCase(), joined.substring(space + 1)});
            }
            Map<String, String> args = new HashMap<>();
            for (String[] i : instructions) {
                if (i[0].equals("ARG") && i[1].contains("=")) {
                    args.put(i[1].substring(0, i[1].indexOf('=')), i[1].substring(i[1].indexOf('=') + 1));
                }
            }
            return new Dockerfile(instructions, args);
        }

        String arg(String name) {
            return args.get(name);
        }

        String expand(String value) {
            String result = value;
            for (Map.Entry<String, String> a : args.entrySet()) {
                result = result.replace("${" + a.getKey() + "}", a.getValue()).replace("$" + a.getKey(), a.getValue());
            }
            return result;
        }

        List<String> all(String keyword) {
            return instructions.stream().filter(i -> i[0].equals(keyword)).map(i -> i[1]).toList();
        }

        String last(String keyword) {
            List<String> all = all(keyword);
            assertThat(all).as(keyword).isNotEmpty();
            return all.get(all.size() - 1);
        }

        int indexOfLast(String keyword) {
            for (int i = instructions.size() - 1; i >= 0; i--) {
                if (instructions.get(i)[0].equals(keyword)) {
                    return i;
                }
            }
            return -1;
        }

        /** ["a", "b"] of ENTRYPOINT / CMD (exec form only: no shell between Docker and the launcher). */
        List<String> execForm(String keyword) {
            String value = last(keyword);
            assertThat(value).as("%s in exec form", keyword).startsWith("[").endsWith("]");
            List<String> parts = new ArrayList<>();
            for (Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(value); m.find(); ) {
                parts.add(m.group(1));
            }
            return parts;
        }

        /** ENV NAME=value … (quoted values allowed), every ENV line. */
        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            for (String line : all("ENV")) {
                for (Matcher m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)").matcher(line); m.find(); ) {
                    String v = m.group(2);
                    env.put(m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
                }
            }
            return env;
        }

        String healthcheckCommand() {
            String hc = last("HEALTHCHECK");
            int cmd = hc.indexOf("CMD ");
            assertThat(cmd).as("HEALTHCHECK … CMD …").isGreaterThanOrEqualTo(0);
            return hc.substring(cmd + 4).strip();
        }

        long healthcheckTimeoutSeconds() {
            Matcher m = Pattern.compile("--timeout=(\\d+)s").matcher(last("HEALTHCHECK"));
            return m.find() ? Long.parseLong(m.group(1)) : 30;
        }
    }
}
