package dev.krafter.relay.mailets;

import java.io.IOException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.random.RandomGenerator;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.util.DurationParser;
import org.apache.james.util.Size;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetException;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableSet;

import dev.krafter.relay.db.StoreException;
import dev.krafter.relay.events.Delivery;
import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.events.Timed;
import dev.krafter.relay.emails.DeliveryRecords;
import dev.krafter.relay.emails.DeliveryStatus;
import dev.krafter.relay.ses.OutboundEmail;
import dev.krafter.relay.ses.RetrySchedule;
import dev.krafter.relay.memory.ByteBudget;
import dev.krafter.relay.ses.SesOutcome;

/**
 * What every terminal step does around the one call that hands the message over: find the email
 * record, never hand over a message already {@code sent}, turn the {@link SesOutcome} into the record's
 * new state, and retry through James's spool queue — a delayed re-enqueue, so no thread sleeps while a
 * message waits. The final state (sent or failed) is a {@link DeliveryOutcome} on the mail, which the
 * queue commits with the removal of the mail's row. Every path ends the mail here (GHOST) or throws to
 * the error processor; none drops a message without a record or a log line.
 *
 * <p>Init parameters (all optional):
 * <ul>
 * <li>{@code maxRetries} (default {@link RetrySchedule#DEFAULT_MAX_RETRIES}): retries after the first attempt; the next failure marks the record failed</li>
 * <li>{@code initialDelay} and {@code maxDelay}: defaults and meaning in {@link RetrySchedule}</li>
 * <li>{@code retryProcessor} (default: the processor this mailet runs in): where a retried mail re-enters
 *     the pipeline. Keep header-editing mailets out of it, or they run again on every retry.</li>
 * <li>{@code maxBytesInFlight} (default 64M): message bytes this mailet hands over at once, over all
 *     spooler threads (see {@link ByteBudget}); a larger message goes alone</li>
 * </ul>
 */
public abstract class DeliveryMailet extends GenericMailet {
    /** Retries done so far (Integer), carried through the queue with the mail. */
    public static final AttributeName ATTEMPT = AttributeName.of("krafter.attempt");

    /** Two 25 MiB messages, or many small ones, at once: ~160 MiB of heap at the peak (docs/mailets.md). */
    static final long DEFAULT_BYTES_IN_FLIGHT = 64L * 1024 * 1024;

    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryMailet.class);
    private static final Set<String> RETRY_PARAMETERS = Set.of("maxRetries", "initialDelay", "maxDelay", "retryProcessor",
        "maxBytesInFlight");

    private final DeliveryRecords records;
    private final MailQueueFactory<?> queueFactory;
    private final RelayEvents events;
    private final RandomGenerator random;

    private RetrySchedule schedule;
    private Optional<String> retryProcessor;
    private MailQueue spool;
    private ByteBudget budget;

    protected DeliveryMailet(DeliveryRecords records, MailQueueFactory<?> queueFactory, RelayEvents events,
                             RandomGenerator random) {
        this.records = Objects.requireNonNull(records, "records");
        this.queueFactory = Objects.requireNonNull(queueFactory, "queueFactory");
        this.events = Objects.requireNonNull(events, "events");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** Hands the message over once; a transient trouble is a {@link SesOutcome.Retry}, not an exception. */
    protected abstract SesOutcome deliver(OutboundEmail email);

    /**
     * Called right before the hand-over: empty to go now, or how long the mail should wait in the queue
     * first (a send-rate limit). The wait is not a failed attempt: it counts no retry.
     */
    protected Optional<Duration> holdBack() {
        return Optional.empty();
    }

    /** The subclass's own init parameter names, for the unknown-parameter check. */
    protected abstract Set<String> deliveryParameters();

    /** The subclass's own initialisation, after the common one. */
    protected void initDelivery() throws MessagingException {
    }

    @Override
    public final void init() throws MessagingException {
        checkInitParameters(ImmutableSet.<String>builder().addAll(RETRY_PARAMETERS).addAll(deliveryParameters()).build());
        try {
            schedule = new RetrySchedule(
                duration("initialDelay", RetrySchedule.DEFAULT_INITIAL_DELAY),
                duration("maxDelay", RetrySchedule.DEFAULT_MAX_DELAY),
                Integer.parseInt(getInitParameter("maxRetries", String.valueOf(RetrySchedule.DEFAULT_MAX_RETRIES)).trim()));
        } catch (IllegalArgumentException e) {
            throw new MailetException(getMailetName() + ": invalid retry parameters: " + e.getMessage(), e);
        }
        try {
            budget = new ByteBudget(getInitParameterAsOptional("maxBytesInFlight").map(String::trim)
                .filter(value -> !value.isEmpty()).map(Size::parse).map(Size::asBytes).orElse(DEFAULT_BYTES_IN_FLIGHT));
        } catch (IllegalArgumentException e) {
            throw new MailetException(getMailetName() + ": invalid maxBytesInFlight: " + e.getMessage(), e);
        }
        retryProcessor = getInitParameterAsOptional("retryProcessor").map(String::trim).filter(name -> !name.isEmpty());
        // As RemoteDelivery and the SMTP server do: createQueue returns the existing spool queue.
        spool = queueFactory.createQueue(MailQueueFactory.SPOOL);
        initDelivery();
    }

    @Override
    public final void service(Mail mail) throws MessagingException {
        // The state a mail has while a mailet runs is the name of the processor running it.
        String processor = retryProcessor.orElse(mail.getState() == null ? Mail.DEFAULT : mail.getState());
        UUID id = KrafterMail.requireEmailId(mail);
        int retriesSoFar = KrafterMail.integer(mail, ATTEMPT).orElse(0);

        Delivery delivery = KrafterMail.delivery(mail, id, retriesSoFar, -1);

        // Before the record is read: a mail put back for the send rate costs no query.
        Optional<Duration> hold = holdBack();
        if (hold.isPresent()) {
            requeue(mail, processor, hold.get());
            return;
        }

        Optional<DeliveryStatus> status;
        try {
            status = leasedStatus(mail).or(() -> records.status(id));
        } catch (StoreException e) {
            LOGGER.warn("email {}: record unreadable ({}); the mail stays queued and is tried again shortly", id, e.getMessage());
            DeliveryOutcome.unfinished(mail);
            mail.setState(Mail.GHOST);
            return;
        }
        if (status.filter(DeliveryStatus.SENT::equals).isPresent()) {
            // A redelivery of a message already handed over (crash after the send, before the queue ack).
            LOGGER.info("email {} is already sent; not sending it again", id);
            mail.setState(Mail.GHOST);
            return;
        }
        if (status.isEmpty()) {
            // The record and its queue row are committed by one statement, so this should not happen; if
            // the record is gone (deleted by hand, another database), retrying gives an operator time to
            // look, and after the retries the copy is dropped (logged) rather than sent unrecorded.
            retry(mail, delivery, processor, "no email record (not committed yet?)", null);
            return;
        }

        Timed<SesOutcome> sent;
        try (ByteBudget.Permit permit = budget.acquire(mail.getMessageSize())) {
            OutboundEmail email = outboundEmail(mail, id);
            delivery = KrafterMail.delivery(mail, id, retriesSoFar, email.raw().length);
            sent = events.sesSend(() -> deliver(email), DeliveryMailet::outcomeName);
        }
        SesOutcome outcome = sent.value();
        if (outcome instanceof SesOutcome.Sent ok) {
            DeliveryOutcome.sent(mail, ok.messageId());
            events.deliverySent(delivery, ok.messageId(), sent.elapsed());
            mail.setState(Mail.GHOST);
        } else if (outcome instanceof SesOutcome.Failed failed) {
            DeliveryOutcome.failed(mail, failed.reason());
            events.deliveryFailed(delivery, failed.reason(), sent.elapsed());
            mail.setState(Mail.GHOST);
        } else if (outcome instanceof SesOutcome.Retry retry) {
            retry(mail, delivery, processor, retry.reason(), sent.elapsed());
        }
    }

    /**
     * The record's status as the queue's lease read it, a moment ago and under the lease, which keeps
     * any other consumer off this mail; removed, so that a retry's next lease reads it afresh.
     */
    private static Optional<DeliveryStatus> leasedStatus(Mail mail) {
        Optional<DeliveryStatus> status = KrafterMail.string(mail, DeliveryOutcome.RECORD_STATUS)
            .flatMap(DeliveryStatus::fromColumn);
        mail.removeAttribute(DeliveryOutcome.RECORD_STATUS);
        return status;
    }

    private static String outcomeName(SesOutcome outcome) {
        if (outcome instanceof SesOutcome.Sent) {
            return "sent";
        }
        return outcome instanceof SesOutcome.Failed ? "failed" : "retry";
    }

    /** @param sendTime how long the SES call took; null when SES was not called (only then is the retry not counted) */
    private void retry(Mail mail, Delivery delivery, String processor, String reason, Duration sendTime)
        throws MessagingException {
        UUID id = delivery.emailId();
        int retriesSoFar = delivery.attempt();
        int retry = retriesSoFar + 1;
        Optional<Duration> delay = schedule.delayBefore(retry, random);
        if (delay.isEmpty()) {
            String gaveUp = "gave up after " + retriesSoFar + " retries: " + reason;
            DeliveryOutcome.failed(mail, gaveUp);
            events.deliveryFailed(delivery, gaveUp, sendTime);
            mail.setState(Mail.GHOST);
            return;
        }
        mail.setAttribute(new Attribute(ATTEMPT, AttributeValue.of(retry)));
        mail.setState(processor);
        // The queue rewrites the row of the mail it handed out (state, attributes, bytes, next attempt)
        // before this returns, so the GHOST below ends nothing but this run.
        try {
            spool.enQueue(mail, delay.get());
        } catch (MailQueue.MailQueueException e) {
            LOGGER.warn("email {}: retry {} could not be queued ({}); the mail stays queued and is tried again shortly",
                id, retry, e.getMessage());
            DeliveryOutcome.unfinished(mail);
            mail.setState(Mail.GHOST);
            return;
        }
        if (sendTime != null) {
            try {
                records.markRetry(id, reason);
            } catch (StoreException e) {
                LOGGER.error("email {}: retry {} is queued but the record could not count it", id, retry, e);
            }
        }
        LOGGER.info("email {}: retry {}/{} in {}: {}", id, retry, schedule.maxRetries(), delay.get(), reason);
        events.deliveryRetry(delivery, reason, sendTime, delay.get());
        mail.setState(Mail.GHOST);
    }

    /** Back into the queue in place, its attempt count unchanged (not a retry: SES was not called). */
    private void requeue(Mail mail, String processor, Duration delay) throws MessagingException {
        mail.setState(processor);
        try {
            spool.enQueue(mail, delay);
        } catch (MailQueue.MailQueueException e) {
            LOGGER.warn("email {}: could not be put back for the send rate ({}); it stays queued and is tried again shortly",
                KrafterMail.requireEmailId(mail), e.getMessage());
            DeliveryOutcome.unfinished(mail);
        }
        mail.setState(Mail.GHOST);
    }

    private static OutboundEmail outboundEmail(Mail mail, UUID id) throws MessagingException {
        byte[] raw;
        try {
            raw = RawMessageBytes.of(mail.getMessage());
        } catch (IOException e) {
            throw new MessagingException("could not read the message of email " + id, e);
        }
        return new OutboundEmail(id,
            KrafterMail.string(mail, KrafterAttributes.STREAM),
            KrafterMail.string(mail, KrafterAttributes.CONFIGURATION_SET),
            mail.getMaybeSender().asOptional().map(MailAddress::asString),
            mail.getRecipients().stream().map(MailAddress::asString).toList(),
            raw);
    }

    private Duration duration(String parameter, Duration defaultValue) {
        return getInitParameterAsOptional(parameter)
            .map(String::trim)
            .filter(value -> !value.isEmpty())
            .map(value -> DurationParser.parse(value, ChronoUnit.SECONDS))
            .orElse(defaultValue);
    }
}
