package dev.krafter.relay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.metrics.ProcessMemory;
import dev.krafter.relay.monitoring.MonitoringFiles;
import dev.krafter.relay.monitoring.PromqlNames;
import dev.krafter.relay.server.SmtpsClient;
import dev.krafter.relay.ses.SesStandIn;

/**
 * Every metric the Grafana dashboard and the alert rules name is one a live relay exports: a real
 * relay (SES stand-in) takes an accepted message, a refused one, a failed AUTH and an SES retry, then
 * its GET /metrics is scraped over HTTP with the admin token and the names are held against the
 * names parsed out of every PromQL expression of docker/.
 */
class MonitoringMetricsTest {
    private static final String TOKEN = "monitoring-token-" + UUID.randomUUID();
    /** Made by Prometheus itself for every target, not exported by it. */
    private static final Set<String> PROMETHEUS_OWN = Set.of("up");

    private static SesRelay run;

    @BeforeAll
    static void start() throws Exception {
        run = SesRelay.start(Map.of("KRAFTER_ADMIN_TOKEN", TOKEN, "KRAFTER_ADMIN_PORT", "0"));
    }

    @AfterAll
    static void stop() throws Exception {
        run.close();
    }

    @Test
    void everyMetricOfTheDashboardAndTheRulesIsExportedByALiveRelay() throws Exception {
        sendMail();
        Map<String, Double> scraped = scrape();

        Map<String, Set<String>> missing = new TreeMap<>();
        Set<String> named = new TreeSet<>();
        MonitoringFiles.expressions().forEach((where, expression) -> {
            Set<String> names = PromqlNames.of(expression);
            assertThat(names).as("%s names a metric: %s", where, expression).isNotEmpty();
            for (String name : names) {
                named.add(name);
                if (!scraped.containsKey(name) && !PROMETHEUS_OWN.contains(name)) {
                    missing.computeIfAbsent(name, n -> new TreeSet<>()).add(where);
                }
            }
        });
        System.out.printf("metrics named by the dashboard and the rules (%d): %s%n", named.size(), named);
        assertThat(missing).as("metrics named in docker/ that GET /metrics does not export (name → where)").isEmpty();

        // the mail sent above is in the figures, so these are the relay's live series, not leftovers
        assertThat(scraped.get("krafter_smtp_accepted_total")).isGreaterThanOrEqualTo(2);
        assertThat(scraped.get("krafter_smtp_rejected_invalid_stream_total")).isGreaterThanOrEqualTo(1);
        assertThat(scraped.get("krafter_auth_failed_unknown_key_total")).isGreaterThanOrEqualTo(1);
        assertThat(scraped.get("krafter_ses_outcome_retry_total")).isGreaterThanOrEqualTo(1);
        assertThat(scraped.get("krafter_ses_send_seconds_count")).isGreaterThanOrEqualTo(3);
        // resident memory: more than the heap in use, and a sane size for this JVM
        double rss = scraped.get(ProcessMemory.RSS);
        assertThat(rss).isGreaterThan(scraped.get("jvm_memory_heap_used")).isBetween(64.0 * 1024 * 1024, 4.0 * 1024 * 1024 * 1024);
    }

    private static void sendMail() throws Exception {
        String key = run.relay().newKey("monitoring-acme");
        run.send(key, "");
        assertThat(run.reply(key, "X-Krafter-Stream: promo\r\n")).startsWith("550 5.7.1 unknown stream");
        try (SmtpsClient smtp = run.relay().connect()) {
            smtp.ehlo();
            assertThat(smtp.authPlain("apikey", key + "x")).startsWith("535");
        }
        // SES failing until the relay has counted a retry through the queue, then the retry goes out
        run.ses().fail(503, "InternalFailure", "try later");
        run.send(key, "");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (scrape().get("krafter_ses_outcome_retry_total") < 1) {
            assertThat(System.nanoTime()).as("an SES retry within 60 s").isLessThan(deadline);
            Thread.sleep(100);
        }
        run.ses().accept();
        run.ses().await(calls -> calls.stream().filter(SesStandIn.Call::accepted).count() >= 2, Duration.ofSeconds(60));
    }

    /** GET /metrics as Prometheus scrapes it: sample name → value (the last of a name with labels). */
    private static Map<String, Double> scrape() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + run.relay().adminPort().orElseThrow() + "/metrics"))
            .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Double> samples = new HashMap<>();
        for (String line : response.body().lines().toList()) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = line.indexOf('{') > 0 ? line.indexOf('{') : line.indexOf(' ');
            String value = line.substring(line.lastIndexOf(' ') + 1);
            samples.put(line.substring(0, end), Double.parseDouble(value));
        }
        return samples;
    }
}
