package dev.krafter.relay.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import dev.krafter.relay.monitoring.MonitoringFiles;
import dev.krafter.relay.server.Clients;

/**
 * docker/compose.monitoring.yaml on top of compose.yaml, without an engine: `docker-compose config`
 * resolves the pair; the mounts, the scrape target, the token hand-over and Grafana's provisioning
 * agree with each other and with the relay's settings; promtool checks prometheus.yml with the
 * mounted files where the container sees them.
 */
class MonitoringComposeIT {
    private static final Path DOCKER_COMPOSE = Path.of("/usr/bin/docker-compose");
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final Map<String, String> ENV = Map.of("KRAFTER_DB_PASSWORD", "s3cret",
        "KRAFTER_ADMIN_TOKEN", "0123456789abcdef0123456789abcdef", "GRAFANA_ADMIN_PASSWORD", "grafana-s3cret");

    private static Path docker;
    private static Map<String, Map<String, Object>> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void resolve() throws Exception {
        assumeTrue(Files.isExecutable(DOCKER_COMPOSE), "docker-compose (Debian's v1) is not installed; bin/test installs it");
        docker = MonitoringFiles.ROOT.resolve("docker");
        Clients.Result config = compose(ENV);
        assertThat(config.exitCode()).as(config.output()).isZero();
        services = (Map<String, Map<String, Object>>) ((Map<String, Object>) new Yaml().load(config.output())).get("services");
    }

    private static Clients.Result compose(Map<String, String> env) throws Exception {
        return Clients.run(Duration.ofSeconds(60), env, DOCKER_COMPOSE.toString(), "-f", docker.resolve("compose.yaml").toString(),
            "-f", docker.resolve("compose.monitoring.yaml").toString(), "config");
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeAddsPrometheusAndGrafanaAndRefusesWithoutTheAdminToken() throws Exception {
        assertThat(services).containsKeys("postgres", "relay", "prometheus", "grafana");
        Map<String, Object> relay = environment("relay");
        assertThat(relay).containsEntry("KRAFTER_DB_URL", "jdbc:postgresql://postgres:5432/krafter")
            .containsEntry("KRAFTER_ADMIN_TOKEN", ENV.get("KRAFTER_ADMIN_TOKEN")).containsEntry("KRAFTER_ADMIN_BIND", "0.0.0.0");
        assertThat(environment("prometheus")).containsEntry("KRAFTER_ADMIN_TOKEN", ENV.get("KRAFTER_ADMIN_TOKEN"));
        assertThat(services.get("relay").get("ports").toString()).as("WebAdmin is not published").doesNotContain(relay.get("KRAFTER_ADMIN_PORT") + "");
        for (String ui : List.of("prometheus", "grafana")) {
            assertThat((List<?>) services.get(ui).get("ports")).as(ui).allMatch(p -> p.toString().startsWith("127.0.0.1:"));
        }
        // what the overlay adds to the relay is in the settings table (docs/settings.md), a row each
        String settings = Files.readString(MonitoringFiles.ROOT.resolve("docs/settings.md"));
        Map<String, Map<String, Object>> overlay = (Map<String, Map<String, Object>>) MonitoringFiles.yaml(
            docker.resolve("compose.monitoring.yaml")).get("services");
        Set<String> added = ((Map<String, Object>) overlay.get("relay").get("environment")).keySet();
        assertThat(added).containsExactlyInAnyOrder("KRAFTER_ADMIN_TOKEN", "KRAFTER_ADMIN_BIND", "KRAFTER_ADMIN_PORT");
        added.forEach(k -> assertThat(settings).as("docs/settings.md").contains("\n| `" + k + "` |"));

        Clients.Result noToken = compose(Map.of("KRAFTER_DB_PASSWORD", "s3cret", "GRAFANA_ADMIN_PASSWORD", "g"));
        assertThat(noToken.exitCode()).isNotZero();
        assertThat(noToken.output()).contains("set KRAFTER_ADMIN_TOKEN");
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesTheRelayWithTheTokenItsEntrypointWritesAndLoadsTheRules(@TempDir Path container) throws Exception {
        Map<String, String> mounts = mounts("prometheus");
        Map<String, Object> prometheus = new Yaml().load(Files.readString(Path.of(mounts.get("/etc/prometheus/prometheus.yml"))));
        Map<String, Object> job = ((List<Map<String, Object>>) prometheus.get("scrape_configs")).get(0);
        // the job the rules' `up{job=...}` and the dashboard's node panel select
        assertThat(job.get("job_name")).isEqualTo("krafter-relay");
        assertThat(Files.readString(MonitoringFiles.RULES)).contains("up{job=\"krafter-relay\"}");
        assertThat(job.get("metrics_path")).isEqualTo("/metrics");
        List<String> targets = (List<String>) ((List<Map<String, Object>>) job.get("static_configs")).get(0).get("targets");
        assertThat(targets).containsExactly("relay:" + environment("relay").get("KRAFTER_ADMIN_PORT"));
        String tokenFile = (String) ((Map<String, Object>) job.get("authorization")).get("credentials_file");
        assertThat(services.get("prometheus").get("entrypoint").toString()).contains("> " + tokenFile + " ");
        for (String rules : (List<String>) prometheus.get("rule_files")) {
            assertThat(mounts.get(rules)).as("rule file %s is mounted", rules).isEqualTo(MonitoringFiles.RULES.toString());
        }

        assumeTrue(Files.isExecutable(PROMTOOL), "promtool (Debian's prometheus package) is not installed; bin/test installs it");
        // the container's view: each mounted file at its path under a temporary root, and the token file
        String config = Files.readString(Path.of(mounts.get("/etc/prometheus/prometheus.yml")));
        for (Map.Entry<String, String> mount : mounts.entrySet()) {
            Path target = container.resolve(mount.getKey().substring(1));
            Files.createDirectories(target.getParent());
            if (Files.isRegularFile(Path.of(mount.getValue()))) {
                Files.copy(Path.of(mount.getValue()), target);
            }
            config = config.replace(mount.getKey(), target.toString());
        }
        Path token = container.resolve(tokenFile.substring(1));
        Files.createDirectories(token.getParent());
        Files.writeString(token, ENV.get("KRAFTER_ADMIN_TOKEN"));
        Path checked = container.resolve("prometheus.yml");
        Files.writeString(checked, config.replace(tokenFile, token.toString()));
        Clients.Result check = Clients.run(Duration.ofSeconds(60), Map.of(), PROMTOOL.toString(), "check", "config", checked.toString());
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: 1 rule files found", "SUCCESS: " + MonitoringFiles.rules().size() + " rules found");
    }

    @Test
    @SuppressWarnings("unchecked")
    void grafanaReadsThePrometheusServiceAndTheMountedDashboard() throws Exception {
        Map<String, String> mounts = mounts("grafana");
        Path provisioning = Path.of(mounts.get("/etc/grafana/provisioning"));
        assertThat(provisioning).isEqualTo(docker.resolve("grafana/provisioning"));
        Map<String, Object> source = ((List<Map<String, Object>>) MonitoringFiles.yaml(
            provisioning.resolve("datasources/prometheus.yaml")).get("datasources")).get(0);
        assertThat(source.get("url")).isEqualTo("http://prometheus:9090");
        assertThat(services).containsKey("prometheus");
        Map<String, Object> provider = ((List<Map<String, Object>>) MonitoringFiles.yaml(
            provisioning.resolve("dashboards/krafter-relay.yaml")).get("providers")).get(0);
        String dashboards = (String) ((Map<String, Object>) provider.get("options")).get("path");
        assertThat(mounts).containsEntry(dashboards + "/krafter-relay.json", MonitoringFiles.DASHBOARD.toString());
        assertThat(environment("grafana")).containsEntry("GF_SECURITY_ADMIN_PASSWORD", ENV.get("GRAFANA_ADMIN_PASSWORD"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> environment(String service) {
        return (Map<String, Object>) services.get(service).get("environment");
    }

    /** A service's bind mounts as resolved by compose: path in the container → file here (each must exist). */
    @SuppressWarnings("unchecked")
    private static Map<String, String> mounts(String service) {
        Map<String, String> mounts = new java.util.LinkedHashMap<>();
        for (String volume : (List<String>) services.get(service).get("volumes")) {
            String[] parts = volume.split(":");
            if (parts[0].startsWith("/")) {
                assertThat(Path.of(parts[0])).as("%s mounts %s", service, parts[0]).exists();
                mounts.put(parts[1], parts[0]);
            }
        }
        return mounts;
    }
}
