package dev.krafter.relay.ses;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sesv2.model.Destination;
import software.amazon.awssdk.services.sesv2.model.EmailContent;
import software.amazon.awssdk.services.sesv2.model.MessageTag;
import software.amazon.awssdk.services.sesv2.model.RawMessage;
import software.amazon.awssdk.services.sesv2.model.SendEmailRequest;

/**
 * One message as SES is to receive it: the SMTP envelope, the policy's configuration set, the tags, and
 * the exact message bytes. Both terminal steps build their request here, so the local outbox writes
 * precisely what {@link SesGateway} would send.
 *
 * <p>Every envelope recipient goes into {@code Destination.BccAddresses}. With raw content SES takes
 * the Destination as the envelope (the RCPT TO list) and never writes headers from it; the message's
 * own To/Cc headers are what recipients see. Bcc is the field whose meaning is "deliver, show nowhere",
 * which is exactly an envelope recipient — and Bcc-only recipients (RCPT without a header) reach SES.
 *
 * @param sender empty for the null sender {@code <>}: SES then takes the From header of the raw message
 * @param raw    the exact message bytes; not copied (a 25 MiB message must exist once on our side)
 */
public record OutboundEmail(UUID emailId, Optional<String> stream, Optional<String> configurationSet,
                            Optional<String> sender, List<String> recipients, byte[] raw) {

    /** EmailTags name for the email record's id. */
    public static final String EMAIL_ID_TAG = "email_id";
    /** EmailTags name for the stream (transactional | broadcast). */
    public static final String STREAM_TAG = "stream";

    // SES accepts only these characters in tag names and values.
    private static final Pattern TAG_VALUE = Pattern.compile("[A-Za-z0-9_-]{1,256}");

    public OutboundEmail {
        Objects.requireNonNull(emailId, "emailId");
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(configurationSet, "configurationSet");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(raw, "raw");
        recipients = List.copyOf(recipients);
        stream.ifPresent(value -> requireTagValue(STREAM_TAG, value));
    }

    /** The SendEmail request without its content: what the outbox writes next to the .eml file. */
    public SendEmailRequest envelopeRequest() {
        SendEmailRequest.Builder builder = SendEmailRequest.builder()
            .destination(Destination.builder().bccAddresses(recipients).build())
            .emailTags(tags());
        sender.ifPresent(builder::fromEmailAddress);
        configurationSet.ifPresent(builder::configurationSetName);
        return builder.build();
    }

    /** The complete SendEmail request, {@code Content.Raw.Data} wrapping {@link #raw()} without a copy. */
    public SendEmailRequest request() {
        return envelopeRequest().toBuilder()
            .content(EmailContent.builder()
                .raw(RawMessage.builder().data(SdkBytes.fromByteArrayUnsafe(raw)).build())
                .build())
            .build();
    }

    private List<MessageTag> tags() {
        List<MessageTag> tags = new ArrayList<>(2);
        tags.add(MessageTag.builder().name(EMAIL_ID_TAG).value(emailId.toString()).build());
        stream.ifPresent(value -> tags.add(MessageTag.builder().name(STREAM_TAG).value(value).build()));
        return tags;
    }

    private static void requireTagValue(String tag, String value) {
        if (!TAG_VALUE.matcher(value).matches()) {
            throw new IllegalArgumentException("SES tag " + tag + " allows [A-Za-z0-9_-] only: " + value);
        }
    }

    @Override
    public String toString() {
        return "OutboundEmail[" + emailId + ", " + raw.length + " bytes, " + recipients.size() + " recipients]";
    }
}
