package dev.krafter.relay.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

import javax.mail.MessagingException;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;

import dev.krafter.relay.db.TestDatabase;

/** The real spool queue on a test database, for tests of what writes to it or reads from it. */
public final class TestSpool implements AutoCloseable {
    private final TestDatabase database;
    private final PostgresMailQueueFactory factory;

    public TestSpool(TestDatabase database, QueueCompletion completion) {
        this.database = database;
        this.factory = new PostgresMailQueueFactory(database.database().dataSource(), database.database()::connectDirect,
            QueueSettings.of("test-" + UUID.randomUUID()), completion, new RawMailQueueItemDecoratorFactory());
    }

    public TestSpool(TestDatabase database) {
        this(database, QueueCompletion.NONE);
    }

    public PostgresMailQueue spool() {
        return factory.spool();
    }

    public PostgresMailQueueFactory factory() {
        return factory;
    }

    /** A small message encoded for the spool. */
    public PostgresMailQueue.Prepared prepared() {
        try {
            Mail mail = FakeMail.builder().name("test-" + UUID.randomUUID()).sender("hello@yourdomain.com")
                .recipient("recipient@example.com")
                .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("SMTP Test").setText("Hello"))
                .build();
            return spool().prepare(mail);
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The mail on the spool, in queue order, as James's browse shows it. */
    public java.util.List<Mail> queued() {
        try {
            java.util.List<Mail> mails = new java.util.ArrayList<>();
            spool().browse().forEachRemaining(item -> mails.add(item.getMail()));
            return mails;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code sql} on the test database (to take the queue table away and back, for example). */
    public void execute(String sql) {
        try (Connection c = database.database().dataSource().getConnection(); var s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How many spool rows carry {@code emailId}. */
    public int rowsOf(UUID emailId) {
        try (Connection c = database.database().dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM mail_queue WHERE email_id = ?")) {
            s.setObject(1, emailId);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** All spool rows of the database. */
    public int rows() {
        return count("SELECT count(*) FROM mail_queue");
    }

    /** The one number a {@code SELECT count(*) …} answers. */
    public int count(String sql) {
        try (Connection c = database.database().dataSource().getConnection();
             PreparedStatement s = c.prepareStatement(sql);
             ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        factory.close();
    }
}
