package dev.krafter.relay.mailets;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

import javax.inject.Inject;

import org.apache.james.queue.api.MailQueueFactory;

import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.emails.DeliveryRecords;
import dev.krafter.relay.ses.OutboundEmail;
import dev.krafter.relay.ses.OutboxWriter;
import dev.krafter.relay.ses.SesOutcome;

/**
 * Terminal mailet for a relay without SES settings (the embedded default): instead of calling SES it
 * writes {@code <directory>/<emailId>.eml} (exactly the raw bytes SES would receive) and
 * {@code <directory>/<emailId>.json} (the rest of the SendEmail request SES would receive), and marks
 * the record {@code sent} as {@code outbox-<emailId>}. It shares {@link SesSend}'s record handling and
 * retries: a write error (disk full) is retried through the queue like an SES 5xx.
 *
 * <pre>{@code
 * <mailet match="All" class="dev.krafter.relay.mailets.Outbox">
 *     <directory>var/outbox</directory>
 * </mailet>
 * }</pre>
 *
 * {@code directory} (default {@code var/outbox}) is relative to the server's working directory.
 */
public class Outbox extends DeliveryMailet {
    public static final String DEFAULT_DIRECTORY = "var/outbox";

    private OutboxWriter writer;

    @Inject
    public Outbox(DeliveryRecords records, MailQueueFactory<?> queueFactory, RelayEvents events) {
        this(records, queueFactory, events, () -> ThreadLocalRandom.current().nextLong());
    }

    Outbox(DeliveryRecords records, MailQueueFactory<?> queueFactory, RelayEvents events, RandomGenerator random) {
        super(records, queueFactory, events, random);
    }

    @Override
    protected void initDelivery() {
        writer = new OutboxWriter(Path.of(getInitParameter("directory", DEFAULT_DIRECTORY).trim()));
    }

    @Override
    protected SesOutcome deliver(OutboundEmail email) {
        try {
            return new SesOutcome.Sent(writer.write(email));
        } catch (IOException e) {
            return new SesOutcome.Retry("outbox write failed: " + e);
        }
    }

    @Override
    protected Set<String> deliveryParameters() {
        return Set.of("directory");
    }

    @Override
    public String getMailetInfo() {
        return "Krafter Outbox: writes the SES request to files instead of sending it";
    }
}
