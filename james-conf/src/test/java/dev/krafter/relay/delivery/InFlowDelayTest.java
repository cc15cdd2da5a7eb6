package dev.krafter.relay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import com.codahale.metrics.MetricRegistry;

import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.server.QueueTables;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;
import dev.krafter.relay.ses.SesStandIn;

/**
 * Sixteen senders against delivery threads slowed by SES (every SendEmail answered after 400 ms, so
 * eight spooler threads send about 20 a second): once the mail taken in runs 32 ahead of the delivery
 * threads, MAIL FROM waits for them (at most KRAFTER_IN_FLOW_DELAY), and every message is still
 * answered 250 and reaches SES exactly once.
 */
class InFlowDelayTest {
    private static final int CLIENTS = 16;
    private static final int EACH = 10;

    @Test
    void sendersWaitForSlowDeliveryThenEveryMessageIsAcceptedAndSentOnce() throws Exception {
        try (SesStandIn ses = SesStandIn.accepting()) {
            ses.acceptAfter(Duration.ofMillis(400));
            try (RelayFixture relay = RelayFixture.start(ses.relayEnv())) {
                String key = relay.newKey("acme");
                ConcurrentLinkedQueue<String> replies = new ConcurrentLinkedQueue<>();
                ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
                try {
                    List<Future<?>> clients = new ArrayList<>();
                    for (int c = 0; c < CLIENTS; c++) {
                        clients.add(pool.submit(() -> {
                            try (SmtpsClient smtp = relay.connect().login(key)) {
                                for (int i = 0; i < EACH; i++) {
                                    replies.add(smtp.send(SesRelay.FROM, List.of(SesRelay.TO), SesRelay.message("")));
                                }
                            }
                            return null;
                        }));
                    }
                    for (Future<?> client : clients) {
                        client.get(120, TimeUnit.SECONDS);
                    }
                } finally {
                    pool.shutdownNow();
                }

                assertThat(replies).hasSize(CLIENTS * EACH).allMatch(r -> r.startsWith("250 2.0.0 OK id="));
                Set<String> ids = replies.stream().map(r -> r.substring(r.indexOf("id=") + 3).trim()).collect(Collectors.toSet());
                assertThat(ids).hasSize(CLIENTS * EACH);

                MetricRegistry metrics = relay.probe().metrics();
                long delayed = metrics.getMeters().get(RelayEvents.SMTP_IN_FLOW_DELAYED).getCount();
                long delayedMs = metrics.getMeters().get(RelayEvents.SMTP_IN_FLOW_DELAY_MS).getCount();
                System.out.printf("in-flow: %d of %d MAIL FROMs waited for the delivery threads, %d ms in all%n",
                    delayed, CLIENTS * EACH, delayedMs);
                assertThat(delayed).as("MAIL FROMs that waited for the delivery threads").isPositive();
                assertThat(delayedMs).isPositive();

                List<SesStandIn.Call> calls = ses.await(c -> c.stream().filter(SesStandIn.Call::accepted).map(SesStandIn.Call::emailId)
                    .collect(Collectors.toSet()).containsAll(ids), Duration.ofSeconds(90));
                Map<String, Long> perId = calls.stream().collect(Collectors.groupingBy(SesStandIn.Call::emailId, Collectors.counting()));
                assertThat(perId.keySet()).isEqualTo(ids);
                assertThat(perId.values()).as("SendEmail calls per email").allMatch(n -> n == 1);
                QueueTables.assertDrained(relay.database().database().dataSource(), ids);
            }
        }
    }
}
