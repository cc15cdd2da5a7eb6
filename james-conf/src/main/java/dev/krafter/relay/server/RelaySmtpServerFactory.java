package dev.krafter.relay.server;

import java.nio.charset.StandardCharsets;
import java.util.List;

import javax.inject.Inject;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.lib.SslConfig;
import org.apache.james.protocols.lib.handler.ProtocolHandlerLoader;
import org.apache.james.protocols.netty.AbstractChannelPipelineFactory;
import org.apache.james.protocols.netty.AbstractSSLAwareChannelPipelineFactory;
import org.apache.james.protocols.netty.BasicChannelInboundHandler;
import org.apache.james.protocols.netty.ChannelHandlerFactory;
import org.apache.james.protocols.netty.HandlerConstants;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.apache.james.smtpserver.ExtendedSMTPSession;
import org.apache.james.smtpserver.netty.SMTPServer;
import org.apache.james.smtpserver.netty.SMTPServerFactory;
import org.apache.james.smtpserver.netty.SmtpMetrics;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.krafter.relay.smtp.LongLineHook;
import dev.krafter.relay.smtp.SmtpReplies;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutorGroup;

/**
 * James's SMTP server with TLS through BoringSSL where it loads ({@link OpenSslEncryption}: half
 * the JDK's CPU per handshake), DATA framed in runs of lines ({@link DataLineRuns}), and two
 * changes in each connection's Netty pipeline: the idle timeout, and a DATA line over the line
 * limit (see {@link LongDataLine}).
 * James 3.8.1's {@code TimeoutHandler} closes only on Netty's second reader-idle event (it ignores
 * {@code FIRST_READER_IDLE_STATE_EVENT}), so a connection was closed after twice
 * {@code connectiontimeout}, and without a reply. {@link IdleClose} closes after the value, with
 * {@code 421 4.4.2 Idle timeout, closing connection} first (RFC 5321 §3.8). Everything else is
 * James's pipeline as built by its own factory.
 */
public class RelaySmtpServerFactory extends SMTPServerFactory {
    static final String IDLE_REPLY = SmtpReplies.IDLE_TIMEOUT.line() + "\r\n";

    private static final Logger LOGGER = LoggerFactory.getLogger(RelaySmtpServerFactory.class);

    private final FileSystem fileSystem;

    @Inject
    public RelaySmtpServerFactory(DNSService dns, ProtocolHandlerLoader loader, FileSystem fileSystem, MetricFactory metricFactory) {
        super(dns, loader, fileSystem, metricFactory);
        this.fileSystem = fileSystem;
    }

    @Override
    protected SMTPServer createServer() {
        return new RelaySmtpServer(smtpMetrics, fileSystem);
    }

    /** Which TLS each SMTP server uses: "BoringSSL …" or "JDK". */
    List<String> tlsImplementations() {
        return getServers().stream()
            .map(server -> server instanceof RelaySmtpServer relay ? relay.tlsImplementation() : "JDK")
            .toList();
    }

    private static final class RelaySmtpServer extends SMTPServer {
        private final FileSystem fileSystem;
        private SslConfig tls;
        private String provider;

        RelaySmtpServer(SmtpMetrics metrics, FileSystem fileSystem) {
            super(metrics);
            this.fileSystem = fileSystem;
        }

        @Override
        public void doConfigure(HierarchicalConfiguration<ImmutableNode> config) throws ConfigurationException {
            super.doConfigure(config);
            tls = SslConfig.parse(config);
            String value = config.getString("tls.provider", "auto").trim();
            provider = value.equals("jdk") || value.equals("openssl") ? value : "auto";  // RelaySettings refuses others
        }

        /** James's line framer, with DATA in runs of lines when the DATA filters allow it ({@link DataLineRuns}). */
        @Override
        protected ChannelHandlerFactory createFrameHandlerFactory() {
            if (!DataLineRuns.suits(getProtocolHandlerChain().getHandlers(DataLineFilter.class))) {
                LOGGER.info("DATA line by line: a DATA line filter other than James's size check and message hooks is configured");
                return super.createFrameHandlerFactory();
            }
            return pipeline -> new DataLineRuns(pipeline, AbstractChannelPipelineFactory.MAX_LINE_LENGTH);
        }

        String tlsImplementation() {
            return getEncryption() instanceof OpenSslEncryption ? OpenSsl.versionString() : "JDK";
        }

        /** James's JDK context (it checks the files), then BoringSSL's in its place unless told not to; a reload comes here too. */
        @Override
        protected void buildSSLContext() throws Exception {
            super.buildSSLContext();
            if (!tls.useSSL() || provider.equals("jdk")) {
                return;
            }
            if (provider.equals("auto") && !OpenSsl.isAvailable()) {
                LOGGER.info("TLS through the JDK: netty-tcnative does not load here ({})", String.valueOf(OpenSsl.unavailabilityCause()));
                return;
            }
            encryption = OpenSslEncryption.create(fileSystem, tls);
            LOGGER.info("TLS through {} (netty-tcnative)", OpenSsl.versionString());
        }

        @Override
        protected AbstractChannelPipelineFactory createPipelineFactory() {
            return new AbstractSSLAwareChannelPipelineFactory<SocketChannel>(getTimeout(), connectionLimit, connPerIP, proxyRequired,
                this::getEncryption, getFrameHandlerFactory(), getExecutorGroup()) {

                @Override
                protected ChannelInboundHandlerAdapter createHandler() {
                    return createCoreHandler();
                }

                @Override
                public void initChannel(SocketChannel channel) throws Exception {
                    super.initChannel(channel);
                    ChannelPipeline pipeline = channel.pipeline();
                    // Everything after the line framer runs on the framer's executor (one thread per
                    // connection), as in James 3.9: the hooks' database calls then never block an I/O
                    // loop, and the lines reach the core handler without a hand-off back to the loop
                    // for each of them. The loop keeps TLS and the connection limits.
                    EventExecutorGroup executors = getExecutorGroup();
                    pipeline.remove(HandlerConstants.CHUNK_HANDLER);
                    pipeline.remove(HandlerConstants.TIMEOUT_HANDLER);
                    pipeline.remove(HandlerConstants.CORE_HANDLER);  // a handler is added once: a new one below
                    pipeline.addLast(executors, LongDataLine.NAME, new LongDataLine());
                    pipeline.addLast(executors, HandlerConstants.CHUNK_HANDLER, new ChunkedWriteHandler());
                    pipeline.addLast(executors, HandlerConstants.TIMEOUT_HANDLER, new IdleClose(getTimeout()));
                    pipeline.addLast(executors, HandlerConstants.CORE_HANDLER, createHandler());
                }
            };
        }
    }

    /**
     * A line over James's limit inside DATA: the decoder has dropped it and raises
     * {@link TooLongFrameException}, which James answers with an immediate 500 while the message
     * goes on to a 250 without that line. Here the transaction is marked instead and
     * {@code LongLineHook} refuses the message once, at the final dot. Outside DATA (a command
     * line) James's 500 stands.
     */
    static final class LongDataLine extends ChannelInboundHandlerAdapter {
        static final String NAME = "krafterLongDataLine";

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
            // James keeps the session here; its message writer exists from DATA's 354 to the end of the message.
            if (cause instanceof TooLongFrameException
                && ctx.channel().attr(BasicChannelInboundHandler.SESSION_ATTRIBUTE_KEY).get() instanceof ExtendedSMTPSession session
                && session.getMimeMessageWriter() != null) {
                session.setAttachment(LongLineHook.LINE_TOO_LONG, true, ProtocolSession.State.Transaction);
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }

    /** Reader idle (no complete line: it sits after the line decoder) for the value → 421, then close. */
    static final class IdleClose extends IdleStateHandler {
        IdleClose(int seconds) {
            super(seconds, 0, 0);
        }

        @Override
        protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent event) {
            if (event.state() == IdleState.READER_IDLE && ctx.channel().isActive()) {
                ctx.writeAndFlush(Unpooled.copiedBuffer(IDLE_REPLY, StandardCharsets.US_ASCII)).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
