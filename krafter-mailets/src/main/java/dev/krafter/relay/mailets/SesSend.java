package dev.krafter.relay.mailets;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

import javax.inject.Inject;

import org.apache.james.queue.api.MailQueueFactory;

import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.emails.DeliveryRecords;
import dev.krafter.relay.pacing.SendPacer;
import dev.krafter.relay.ses.OutboundEmail;
import dev.krafter.relay.ses.SesGateway;
import dev.krafter.relay.ses.SesOutcome;

/**
 * Terminal mailet: sends the message through Amazon SES v2 {@code SendEmail} with raw content — the
 * exact message bytes, the SMTP envelope as sender and Destination, the policy's configuration set and
 * the {@code email_id} and {@code stream} tags — and records the outcome on the email record.
 * Sent → {@code sent} with SES's MessageId; throttling, 5xx, timeouts → delayed retry through the spool
 * queue; rejected by SES → {@code failed} with SES's reason. The mail always ends here (GHOST).
 * Each call waits for its turn under the account's MaxSendRate ({@link SendPacer}); a mail whose turn
 * is further off goes back to the queue for that long, which is not a failed attempt.
 *
 * <pre>{@code
 * <mailet match="All" class="dev.krafter.relay.mailets.SesSend">
 *     <maxRetries>${sys:krafter.ses.maxRetries}</maxRetries>
 *     <initialDelay>${sys:krafter.ses.retryInitialDelay}</initialDelay>
 *     <maxDelay>${sys:krafter.ses.retryMaxDelay}</maxDelay>
 * </mailet>
 * }</pre>
 *
 * Parameters: see {@link DeliveryMailet}; docs/mailets.md.
 */
public class SesSend extends DeliveryMailet {
    private final SesGateway gateway;
    private final SendPacer pacer;

    @Inject
    public SesSend(SesGateway gateway, SendPacer pacer, DeliveryRecords records, MailQueueFactory<?> queueFactory,
                   RelayEvents events) {
        this(gateway, pacer, records, queueFactory, events, () -> ThreadLocalRandom.current().nextLong());
    }

    SesSend(SesGateway gateway, DeliveryRecords records, MailQueueFactory<?> queueFactory, RelayEvents events,
            RandomGenerator random) {
        this(gateway, SendPacer.unpaced(), records, queueFactory, events, random);
    }

    SesSend(SesGateway gateway, SendPacer pacer, DeliveryRecords records, MailQueueFactory<?> queueFactory,
            RelayEvents events, RandomGenerator random) {
        super(records, queueFactory, events, random);
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.pacer = Objects.requireNonNull(pacer, "pacer");
    }

    @Override
    protected Optional<Duration> holdBack() {
        return pacer.awaitTurn();
    }

    @Override
    protected SesOutcome deliver(OutboundEmail email) {
        return gateway.send(email);
    }

    @Override
    protected Set<String> deliveryParameters() {
        return Set.of();
    }

    @Override
    public String getMailetInfo() {
        return "Krafter SesSend: SES v2 SendEmail (raw), outcome on the email record";
    }
}
