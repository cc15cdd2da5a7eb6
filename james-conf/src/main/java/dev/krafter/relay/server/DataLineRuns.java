package dev.krafter.relay.server;

import java.util.List;
import java.util.Set;

import org.apache.james.protocols.netty.AllButStartTlsLineBasedChannelHandler;
import org.apache.james.protocols.netty.BasicChannelInboundHandler;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.apache.james.protocols.smtp.core.esmtp.MailSizeEsmtpExtension;
import org.apache.james.smtpserver.DataLineJamesMessageHookHandler;
import org.apache.james.smtpserver.ExtendedSMTPSession;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;

/**
 * James's SMTP line framer, which inside DATA hands the message on as runs of whole lines (up to
 * {@link #MAX_RUN} octets, one frame each) instead of one frame per line: at 1 MiB a message was
 * some 13,000 trips through the pipeline, the {@code DataLineFilter} chain and a write each into
 * the message file.
 * <p>A run holds only lines that James's own handlers treat alike whether they come alone or
 * together: ending in CRLF, at most the line limit long, and not starting with a dot. Every other
 * line (a dot-stuffed line, the final dot, a bare LF, an over-long line) and every command line
 * goes through James's framer exactly as before, so dot-unstuffing, the end of data, the
 * {@code 500 line delimiter must be CRLF} guard and the long-line refusal are James's code.
 * A run is one frame for the size filter ({@code MailSizeEsmtpExtension} adds up octets) and for
 * {@code DataLineJamesMessageHookHandler} (it checks the last CRLF and a leading dot, and writes the
 * rest as is). Another {@code DataLineFilter} may expect single lines: with one configured, the
 * server keeps James's framer (see {@link #suits}).
 */
final class DataLineRuns extends AllButStartTlsLineBasedChannelHandler {
    static final int MAX_RUN = 64 * 1024;

    private static final Set<Class<?>> RUN_FILTERS = Set.of(MailSizeEsmtpExtension.class, DataLineJamesMessageHookHandler.class);

    private final int maxLineLength;
    /** James's framer is dropping an over-long line (its own flag is private) until the next LF. */
    private boolean lineFramerDiscarding;

    DataLineRuns(ChannelPipeline pipeline, int maxLineLength) {
        super(pipeline, maxLineLength, false, "starttls");
        this.maxLineLength = maxLineLength;
    }

    /** Whether every DATA filter of the handler chain takes runs of lines as it takes lines. */
    static boolean suits(List<DataLineFilter> filters) {
        return filters.stream().allMatch(filter -> RUN_FILTERS.contains(filter.getClass()));
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf buffer) throws Exception {
        if (lineFramerDiscarding) {
            lineFramerDiscarding = buffer.indexOf(buffer.readerIndex(), buffer.writerIndex(), (byte) '\n') < 0;
            return super.decode(ctx, buffer);
        }
        if (!inMessage(ctx)) {
            return super.decode(ctx, buffer);
        }
        int start = buffer.readerIndex();
        int end = buffer.writerIndex();
        int runEnd = runOfPlainLines(buffer, start, end);
        if (runEnd > start) {
            return buffer.readRetainedSlice(runEnd - start);
        }
        if (start == end) {
            return null;
        }
        // The line at the reader index goes to James's framer. An incomplete line is James's only if
        // it starts with a dot (James's framer then remembers how far it looked, and the next call
        // comes back to it) or is already over the limit (James's framer drops it up to its LF).
        if (buffer.indexOf(start, end, (byte) '\n') < 0) {
            if (end - start > maxLineLength) {
                lineFramerDiscarding = true;
            } else if (buffer.getByte(start) != '.') {
                return null;
            }
        }
        return super.decode(ctx, buffer);
    }

    /** The end of the plain lines from {@code start}: CRLF-terminated, within the limit, no leading dot. */
    private int runOfPlainLines(ByteBuf buffer, int start, int end) {
        int position = start;
        while (position < end && buffer.getByte(position) != '.') {
            int lf = buffer.indexOf(position, Math.min(end, position + maxLineLength + 2), (byte) '\n');
            if (lf < 0 || lf == position || buffer.getByte(lf - 1) != '\r') {
                break;
            }
            if (lf + 1 - start > MAX_RUN && position > start) {
                break;
            }
            position = lf + 1;
        }
        return position;
    }

    /** From DATA's 354 to the end of the message (James keeps the message writer for that long). */
    private static boolean inMessage(ChannelHandlerContext ctx) {
        return ctx.channel().attr(BasicChannelInboundHandler.SESSION_ATTRIBUTE_KEY).get() instanceof ExtendedSMTPSession session
            && session.getMimeMessageWriter() != null
            && !session.needsCommandInjectionDetection();
    }
}
