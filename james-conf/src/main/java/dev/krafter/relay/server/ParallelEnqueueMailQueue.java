package dev.krafter.relay.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import javax.jms.Connection;
import javax.jms.ConnectionFactory;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.mail.MessagingException;

import org.apache.activemq.ActiveMQSession;
import org.apache.activemq.BlobMessage;
import org.apache.activemq.command.ActiveMQBlobMessage;
import org.apache.activemq.util.JMSExceptionSupport;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.activemq.ActiveMQCacheableMailQueue;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.server.core.MimeMessageInputStream;
import org.apache.mailet.Mail;

/**
 * James's ActiveMQ mail queue with enqueues spread over several JMS connections.
 *
 * <p>Upstream sends every enqueue through the queue's one session and producer: {@code ActiveMQSession.send}
 * holds the session's lock across the blob file write and the synchronous persistent send, so the SMTP
 * event loops (where the end-of-DATA hook runs in James 3.8.1) waited on each other's KahaDB journal
 * write. Here each enqueue borrows one of {@code producers} connections, each with its own session and
 * producer (and, on the in-VM transport, its own broker thread), so concurrent sends reach KahaDB
 * together and share its journal writes and syncs. Each send is still persistent and synchronous: it
 * returns only once the broker has the message in its journal. Dequeue, browse and management are
 * upstream's, on the queue's own session; the message is the same blob message upstream writes.
 */
class ParallelEnqueueMailQueue extends ActiveMQCacheableMailQueue {
    private record Producer(ActiveMQSession session, MessageProducer producer) {
    }

    private final List<Connection> connections = new ArrayList<>();
    private final BlockingQueue<Producer> idle;

    ParallelEnqueueMailQueue(ConnectionFactory connectionFactory, MailQueueItemDecoratorFactory decorators,
                             MailQueueName name, MetricFactory metrics, GaugeRegistry gauges, int producers) {
        super(connectionFactory, decorators, name, true, metrics, gauges);
        idle = new ArrayBlockingQueue<>(producers);
        try {
            for (int i = 0; i < producers; i++) {
                Connection connection = connectionFactory.createConnection();
                connections.add(connection);
                ActiveMQSession session = (ActiveMQSession) connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                idle.add(new Producer(session, session.createProducer(queue)));
            }
        } catch (JMSException e) {
            dispose();
            throw new IllegalStateException("could not open the queue's producer connections", e);
        }
    }

    /** Upstream's blob message, sent by a borrowed producer. */
    @Override
    protected void produceMail(Map<String, Object> props, int msgPrio, Mail mail)
        throws JMSException, MessagingException, IOException {
        Producer producer = borrow();
        try {
            BlobMessage message = producer.session().createBlobMessage(new MimeMessageInputStream(mail.getMessage()));
            try {
                for (Map.Entry<String, Object> property : props.entrySet()) {
                    message.setObjectProperty(property.getKey(), property.getValue());
                }
                producer.producer().send(message, Message.DEFAULT_DELIVERY_MODE, msgPrio, Message.DEFAULT_TIME_TO_LIVE);
            } catch (JMSException e) {
                deleteBlob((ActiveMQBlobMessage) message, e);
                throw e;
            }
        } finally {
            idle.add(producer);
        }
    }

    private Producer borrow() throws JMSException {
        try {
            return idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JMSExceptionSupport.create(e);
        }
    }

    private static void deleteBlob(ActiveMQBlobMessage message, JMSException failure) {
        try {
            message.deleteFile();
        } catch (IOException | JMSException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public void dispose() {
        for (Connection connection : connections) {
            try {
                connection.close(); // with its session and producer
            } catch (JMSException e) {
                // shutting down; the broker closes what is left
            }
        }
        super.dispose();
    }
}
