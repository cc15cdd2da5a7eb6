package dev.krafter.relay.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.krafter.relay.server.Clients;

/**
 * docker/prometheus/krafter-relay.rules.yml and docker/grafana/krafter-relay.json as files: promtool
 * accepts the rules and their unit tests pass (each alert fires on what should page, not before),
 * every alert has a runbook section in docs/operations.md, and the dashboard has the panels the
 * operator needs on the provisioned data source. That the metrics they name exist is
 * MonitoringMetricsTest's part, against a running relay.
 */
class AlertRulesTest {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    @Test
    void promtoolAcceptsTheRulesAndTheirUnitTestsPass() throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL), "promtool (Debian's prometheus package) is not installed; bin/test installs it");
        Clients.Result check = Clients.run(Duration.ofSeconds(60), Map.of(), PROMTOOL.toString(), "check", "rules",
            MonitoringFiles.RULES.toString());
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + MonitoringFiles.rules().size() + " rules found");
        Clients.Result unit = Clients.run(Duration.ofSeconds(60), Map.of(), PROMTOOL.toString(), "test", "rules",
            MonitoringFiles.RULE_TESTS.toString());
        assertThat(unit.exitCode()).as(unit.output()).isZero();
        assertThat(unit.output()).contains("SUCCESS");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertHasASeverityARunbookSectionAndAUnitTestThatFiresIt() throws Exception {
        String operations = Files.readString(MonitoringFiles.ROOT.resolve("docs/operations.md"));
        Set<String> fired = new HashSet<>();
        for (Map<String, Object> test : (List<Map<String, Object>>) MonitoringFiles.yaml(MonitoringFiles.RULE_TESTS).get("tests")) {
            for (Map<String, Object> expectation : (List<Map<String, Object>>) test.get("alert_rule_test")) {
                if (!((List<?>) expectation.get("exp_alerts")).isEmpty()) {
                    fired.add((String) expectation.get("alertname"));
                }
            }
        }
        List<String> alerts = new ArrayList<>();
        for (Map<String, Object> rule : MonitoringFiles.rules()) {
            String alert = (String) rule.get("alert");
            alerts.add(alert);
            assertThat(rule).as(alert).containsKey("for");
            assertThat(((Map<String, String>) rule.get("labels")).get("severity")).as(alert).isIn("page", "warning");
            Map<String, String> annotations = (Map<String, String>) rule.get("annotations");
            assertThat(annotations.get("summary")).as(alert).isNotBlank();
            // GitHub's anchor of the heading "### <alert>"
            assertThat(annotations.get("runbook")).as(alert).isEqualTo("docs/operations.md#" + alert.toLowerCase(Locale.ROOT));
            assertThat(operations).as("docs/operations.md has a runbook section for %s", alert).containsPattern("(?m)^### " + alert + "$");
        }
        assertThat(alerts).contains("KrafterQueueOldestMessageTooOld", "KrafterSesFailureRatioHigh", "KrafterSmtp451RatioHigh",
            "KrafterNodeDown", "KrafterAuthFailuresSpiking");
        assertThat(fired).as("alerts a promtool unit test fires").containsExactlyInAnyOrderElementsOf(alerts);
    }

    @Test
    void theDashboardShowsWhatTheOperatorNeedsFromTheProvisionedDataSource() {
        JsonNode dashboard = MonitoringFiles.dashboard();
        @SuppressWarnings("unchecked")
        Map<String, Object> source = ((List<Map<String, Object>>) MonitoringFiles.yaml(
            MonitoringFiles.ROOT.resolve("docker/grafana/provisioning/datasources/prometheus.yaml")).get("datasources")).get(0);
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(ids.add(panel.path("id").asInt())).as("panel ids are unique").isTrue();
            assertThat(panel.path("gridPos").path("w").asInt()).isPositive();
            if (!panel.path("type").asText().equals("row")) {
                assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText()).isEqualTo(source.get("uid"));
                assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
            }
        }
        Map<String, String> expressions = MonitoringFiles.expressions();
        // metrics are named, never selected by a __name__ regex the name check would not see
        assertThat(expressions.values()).noneMatch(e -> e.contains("__name__"));
        Set<String> onDashboard = new HashSet<>();
        expressions.forEach((where, expression) -> {
            if (where.startsWith("panel")) {
                onDashboard.addAll(PromqlNames.of(expression));
            }
        });
        assertThat(onDashboard).contains("krafter_smtp_accepted_total", "krafter_smtp_rejected_total",
            "krafter_smtp_rejected_invalid_stream_total", "krafter_smtp_deferred_total", "krafter_auth_failed_unknown_key_total",
            "krafter_auth_failed_locked_total", "krafter_ses_send_seconds", "krafter_ses_outcome_sent_total",
            "krafter_ses_outcome_retry_total", "krafter_ses_outcome_failed_total", "krafter_queue_depth",
            "krafter_queue_oldest_age_seconds", "krafter_queue_retry_waiting", "jvm_memory_heap_used", "process_resident_memory_bytes");
    }
}
