package dev.krafter.relay.mailets;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

class HeaderBlockTest {
    private static final Predicate<String> NONE = name -> false;

    @Test
    void removesFoldedFieldsCaseInsensitivelyAndKeepsEveryOtherByte() throws IOException {
        String message = "Received: from a\r\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
            + "x-krafter-stream: broadcast\r\n"
            + "Subject:  =?UTF-8?B?w6k=?=  \r\n"
            + "X-KRAFTER-Tracking-Enabled : false\r\n    folded on\r\n\tand on\r\n"
            + "From: a@b.example\r\n"
            + "\r\n"
            + "body\r\nX-Krafter-Stream: not a header\r\n";

        InputStream in = stream(message);
        HeaderBlock block = HeaderBlock.read(in);
        byte[] rendered = block.render(name -> name.startsWith("x-krafter-"), List.of());

        assertThat(new String(rendered, ISO_8859_1)).isEqualTo("Received: from a\r\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
            + "Subject:  =?UTF-8?B?w6k=?=  \r\n"
            + "From: a@b.example\r\n"
            + "\r\n");
        assertThat(new String(in.readAllBytes(), ISO_8859_1)).isEqualTo("body\r\nX-Krafter-Stream: not a header\r\n");
    }

    @Test
    void rendersUnchangedWhenNothingIsRemovedOrAdded() throws IOException {
        String header = "From: a@b.example\r\nTo: c@d.example\r\nSubject: caf\u00e9 raw 8-bit\r\n\r\n";
        HeaderBlock block = HeaderBlock.read(stream(header + "body"));

        assertThat(block.anyNamed(name -> name.equals("x-krafter-stream"))).isFalse();
        assertThat(block.render(NONE, List.of())).isEqualTo(header.getBytes(ISO_8859_1));
    }

    @Test
    void addsFieldsAfterTheExistingOnesBeforeTheSeparator() throws IOException {
        HeaderBlock block = HeaderBlock.read(stream("From: a@b.example\r\n\r\nbody"));

        byte[] rendered = block.render(NONE, List.of(new HeaderField("List-Unsubscribe", "<mailto:u@x.example>,\r\n <https://x.example/1>"),
            new HeaderField("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")));

        assertThat(new String(rendered, ISO_8859_1)).isEqualTo("From: a@b.example\r\n"
            + "List-Unsubscribe: <mailto:u@x.example>,\r\n <https://x.example/1>\r\n"
            + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            + "\r\n");
    }

    @Test
    void keepsBareLineFeedsAsTheyAre() throws IOException {
        InputStream in = stream("A: 1\nX-Krafter-Stream: broadcast\n  more\nB: 2\n\nbody\n");
        HeaderBlock block = HeaderBlock.read(in);

        assertThat(new String(block.render(name -> name.equals("x-krafter-stream"), List.of()), ISO_8859_1))
            .isEqualTo("A: 1\nB: 2\n\n");
        assertThat(new String(in.readAllBytes(), ISO_8859_1)).isEqualTo("body\n");
    }

    @Test
    void handlesAMessageWithoutBodyOrFinalLineBreak() throws IOException {
        HeaderBlock block = HeaderBlock.read(stream("A: 1\r\nB: 2"));

        assertThat(new String(block.render(NONE, List.of(new HeaderField("C", "3"))), ISO_8859_1))
            .isEqualTo("A: 1\r\nB: 2\r\nC: 3\r\n");
        assertThat(new String(block.render(name -> name.equals("b"), List.of()), ISO_8859_1)).isEqualTo("A: 1\r\n");
    }

    @Test
    void keepsLinesThatAreNotFields() throws IOException {
        HeaderBlock block = HeaderBlock.read(stream(" leading continuation\r\nno colon here\r\n: empty name\r\nA: 1\r\n\r\n"));

        assertThat(new String(block.render(name -> true, List.of()), ISO_8859_1))
            .isEqualTo(" leading continuation\r\nno colon here\r\n: empty name\r\n\r\n");
    }

    @Test
    void refusesAnEndlessHeaderSection() {
        byte[] huge = ("X: " + "a".repeat(HeaderBlock.MAX_HEADER_BYTES) + "\r\n\r\n").getBytes(ISO_8859_1);

        assertThatThrownBy(() -> HeaderBlock.read(new ByteArrayInputStream(huge))).isInstanceOf(IOException.class);
    }

    @Test
    void headerFieldsCannotInjectLines() {
        assertThatThrownBy(() -> new HeaderField("List-Unsubscribe", "<a>\r\nBcc: x@y.example"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HeaderField("List-Unsubscribe", "<a>\n <b>")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HeaderField("Bad Name", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new HeaderField("List-Unsubscribe", "<a>,\r\n <b>").toBytes())
            .isEqualTo("List-Unsubscribe: <a>,\r\n <b>\r\n".getBytes(ISO_8859_1));
    }

    private static InputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(ISO_8859_1));
    }
}
