package dev.krafter.relay.mailets;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.sql.DataSource;

import org.apache.mailet.Mail;
import org.apache.mailet.Mailet;

import dev.krafter.relay.queue.QueueCompletion;

/**
 * What the spool queue does when the spooler is done with a mail a delivery mailet ended: run the
 * {@link DeliveryOutcome} statement the mailet left on it (the queue's own tests cover the row's removal).
 */
final class QueueDone {
    private QueueDone() {
    }

    /** {@code mailet.service(mail)}, then the queue's completion of it. */
    static void serviceAndComplete(DataSource dataSource, Mailet mailet, Mail mail) throws MessagingException {
        mailet.service(mail);
        Optional<QueueCompletion.Statement> outcome = new DeliveryOutcome().statement(mail, Optional.empty());
        if (outcome.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(outcome.get().sql())) {
            int i = 1;
            for (Object parameter : outcome.get().parameters()) {
                s.setObject(i++, parameter);
            }
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
