package dev.krafter.relay.monitoring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.yaml.snakeyaml.Yaml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.krafter.relay.db.TestDatabase;

/** The shipped monitoring files under docker/, and the PromQL expressions they hold. */
public final class MonitoringFiles {
    public static final Path ROOT = TestDatabase.repositoryRoot();
    public static final Path DASHBOARD = ROOT.resolve("docker/grafana/krafter-relay.json");
    public static final Path RULES = ROOT.resolve("docker/prometheus/krafter-relay.rules.yml");
    public static final Path RULE_TESTS = ROOT.resolve("docker/prometheus/krafter-relay.rules.test.yml");
    public static final Path PROMETHEUS = ROOT.resolve("docker/prometheus/prometheus.yml");

    private MonitoringFiles() {
    }

    public static JsonNode dashboard() {
        try {
            return new ObjectMapper().readTree(DASHBOARD.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> rules() {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) yaml(RULES).get("groups")) {
            rules.addAll((List<Map<String, Object>>) group.get("rules"));
        }
        return rules;
    }

    /** Where each expression is (panel title and target, or alert name) → the expression. */
    public static Map<String, String> expressions() {
        Map<String, String> expressions = new LinkedHashMap<>();
        for (JsonNode panel : dashboard().path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                expressions.put("panel \"" + panel.path("title").asText() + "\" " + target.path("refId").asText(),
                    target.path("expr").asText());
            }
        }
        rules().forEach(rule -> expressions.put("alert " + rule.get("alert"), rule.get("expr").toString()));
        return expressions;
    }

    public static Map<String, Object> yaml(Path file) {
        try {
            return new Yaml().load(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
