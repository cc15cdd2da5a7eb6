package dev.krafter.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.smtp.SmtpReplies.Reply;

/** docs/errors.md is where users look a reply up: every reply the relay writes has its row there. */
class SmtpRepliesDocumentedTest {

    @Test
    void everyReplyIsInErrorsMd() throws Exception {
        String errors = Files.readString(TestDatabase.repositoryRoot().resolve("docs/errors.md"));
        // 334 prompts are steps of the AUTH exchange that every client answers by itself.
        List<Reply> answers = SmtpReplies.ALL.stream().filter(reply -> !reply.code().equals("334")).toList();
        assertThat(answers).allSatisfy(reply -> assertThat(errors).contains("`" + reply.line()));
        assertThat(errors).contains(SmtpReplies.DUPLICATE_SUFFIX);
    }

    @Test
    void everyReplyIsListed() throws Exception {
        long constants = java.util.Arrays.stream(SmtpReplies.class.getFields())
            .filter(field -> field.getType() == Reply.class).count();
        assertThat(SmtpReplies.ALL).hasSize((int) constants).doesNotHaveDuplicates();
    }
}
