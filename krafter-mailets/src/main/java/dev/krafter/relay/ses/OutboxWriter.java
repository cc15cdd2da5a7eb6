package dev.krafter.relay.ses;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * The local stand-in for SES: for each message, {@code <emailId>.eml} holds exactly the bytes SES would
 * receive as {@code Content.Raw.Data}, and {@code <emailId>.json} the rest of the SendEmail request
 * (FromEmailAddress, Destination, ConfigurationSetName, EmailTags) in SES's wire names.
 *
 * <p>Each file is written under a hidden temporary name, forced to disk, then renamed atomically, and
 * the directory entry is forced too: a reader never sees a partial file, and a file that exists has
 * survived a crash. The .json is renamed last, so its presence means the pair is complete.
 */
public final class OutboxWriter {
    private final Path directory;

    public OutboxWriter(Path directory) {
        this.directory = Objects.requireNonNull(directory, "directory");
    }

    public Path directory() {
        return directory;
    }

    /** The message id recorded for an outbox delivery, where SES would give its MessageId. */
    public static String localMessageId(OutboundEmail email) {
        return "outbox-" + email.emailId();
    }

    public String write(OutboundEmail email) throws IOException {
        Files.createDirectories(directory);
        String name = email.emailId().toString();
        writeAtomically(name + ".eml", out -> out.write(email.raw()));
        writeAtomically(name + ".json", out -> SdkRequestJson.write(email.envelopeRequest(), out));
        forceDirectory();
        return localMessageId(email);
    }

    @FunctionalInterface
    private interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private void writeAtomically(String fileName, Content content) throws IOException {
        Path target = directory.resolve(fileName);
        Path temporary = directory.resolve("." + fileName + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            OutputStream out = Channels.newOutputStream(channel);
            content.writeTo(out);
            out.flush();
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void forceDirectory() throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a directory for fsync; the renames are still atomic there.
        }
    }
}
