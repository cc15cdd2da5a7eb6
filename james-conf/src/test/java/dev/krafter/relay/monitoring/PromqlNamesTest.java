package dev.krafter.relay.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromqlNamesTest {
    @Test
    void functionsLabelsRangesAndKeywordsAreNotMetrics() {
        assertThat(PromqlNames.of("""
            sum by (instance) (rate(krafter_a_total{job="x", code=~"a|b"}[5m]))
              / on() group_left () (sum(rate(krafter_b_total[10m] offset 5m)) or vector(0)) > 1e-9
            and max(krafter_c{quantile="0.99"}) > 4 * histogram_quantile(0.9, krafter_d_bucket)"""))
            .containsExactly("krafter_a_total", "krafter_b_total", "krafter_c", "krafter_d_bucket");
        assertThat(PromqlNames.of("up{job=\"krafter-relay\"} == 0")).containsExactly("up");
    }
}
