package dev.krafter.relay.mailets;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.sql.DataSource;

import org.apache.mailet.Mail;
import org.apache.mailet.Mailet;

/**
 * What the spool queue does when the spooler is done with a mail a delivery mailet ended: commit the
 * {@link DeliveryOutcome} the mailet left on it (the queue's own tests cover the row's removal).
 */
final class QueueDone {
    private QueueDone() {
    }

    /** {@code mailet.service(mail)}, then the queue's completion of it. */
    static void serviceAndComplete(DataSource dataSource, Mailet mailet, Mail mail) throws MessagingException {
        mailet.service(mail);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            new DeliveryOutcome().complete(c, mail, Optional.empty());
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
