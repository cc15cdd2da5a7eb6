package dev.krafter.relay.queue;

import java.io.InputStream;

import javax.mail.util.SharedByteArrayInputStream;

import org.apache.james.server.core.MimeMessageSource;

/** A queued message's bytes as read from its row: the one heap copy the dequeued mail reads from. */
final class StoredMessage implements MimeMessageSource {
    private final String sourceId;
    private final byte[] bytes;

    StoredMessage(String sourceId, byte[] bytes) {
        this.sourceId = sourceId;
        this.bytes = bytes;
    }

    @Override
    public String getSourceId() {
        return sourceId;
    }

    @Override
    public InputStream getInputStream() {
        // Shared: javax.mail parses parts as views of this array instead of copying them.
        return new SharedByteArrayInputStream(bytes);
    }

    @Override
    public long getMessageSize() {
        return bytes.length;
    }
}
