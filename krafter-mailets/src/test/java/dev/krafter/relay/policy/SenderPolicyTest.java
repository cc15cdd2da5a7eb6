package dev.krafter.relay.policy;

import static dev.krafter.relay.policy.Keys.key;
import static dev.krafter.relay.policy.Keys.sandboxKey;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.policy.PolicyViolation.Code;

/** Every row of the product page's two header tables and its 550 list, plus the edge cases. */
class SenderPolicyTest {
    private static final ApiKey BOTH = key("transactional", "broadcast");
    private final SenderPolicy policy = new SenderPolicy(ConfigurationSets.DEFAULTS);

    private PolicyDecision decide(ApiKey key, List<String> stream, List<String> tracking, List<String> to) {
        return policy.decide(new PolicyRequest(key, stream, tracking, "hello@yourdomain.com", to, 1234));
    }

    private PolicyDecision decide(List<String> stream, List<String> tracking) {
        return decide(BOTH, stream, tracking, List.of("recipient@example.com"));
    }

    private static ResolvedPolicy resolved(PolicyDecision decision) {
        assertThat(decision).isInstanceOf(ResolvedPolicy.class);
        return (ResolvedPolicy) decision;
    }

    private static PolicyViolation violation(PolicyDecision decision) {
        assertThat(decision).isInstanceOf(PolicyViolation.class);
        return (PolicyViolation) decision;
    }

    @Nested
    class StreamTable {
        @Test
        void absentHeaderDefaultsToTransactionalWithoutTracking() {
            assertThat(decide(List.of(), List.of()))
                .isEqualTo(new ResolvedPolicy(Stream.TRANSACTIONAL, false, "krafter-transactional", false));
        }

        @Test
        void transactionalUsesTheTransactionalStreamUntracked() {
            assertThat(decide(List.of("transactional"), List.of()))
                .isEqualTo(new ResolvedPolicy(Stream.TRANSACTIONAL, false, "krafter-transactional", false));
        }

        @Test
        void broadcastIsTrackedWithListUnsubscribe() {
            assertThat(decide(List.of("broadcast"), List.of()))
                .isEqualTo(new ResolvedPolicy(Stream.BROADCAST, true, "krafter-broadcast", true));
        }

        @ParameterizedTest
        @ValueSource(strings = {"marketing", "Transactional", "BROADCAST", "transactional;", "trans actional", "-"})
        void anythingElseIsInvalidStream(String value) {
            PolicyViolation v = violation(decide(List.of(value), List.of()));
            assertThat(v.code()).isEqualTo(Code.INVALID_STREAM);
            assertThat(v.code().code()).isEqualTo("invalid_stream");
            assertThat(v.message()).isEqualTo("unknown stream: " + value);
        }

        @ParameterizedTest
        @ValueSource(strings = {" transactional", "transactional ", "\ttransactional\t", "\r\n transactional", "  transactional  "})
        void surroundingWhitespaceIsIgnored(String value) {
            assertThat(resolved(decide(List.of(value), List.of())).stream()).isEqualTo(Stream.TRANSACTIONAL);
        }

        @Test
        void emptyHeaderIsInvalidNotAbsent() {
            assertThat(violation(decide(List.of(""), List.of())).message()).isEqualTo("unknown stream: (empty)");
            assertThat(violation(decide(List.of("   "), List.of())).message()).isEqualTo("unknown stream: (empty)");
        }

        @Test
        void echoedValueIsStrippedOfControlCharactersAndCapped() {
            String injection = "evil\r\n250 OK\u0000\u0007";
            assertThat(violation(decide(List.of(injection), List.of())).message())
                .isEqualTo("unknown stream: evil250 OK");
            String longValue = "x".repeat(500);
            assertThat(violation(decide(List.of(longValue), List.of())).message())
                .isEqualTo("unknown stream: " + "x".repeat(PolicyViolation.MAX_ECHO) + "...");
            assertThat(violation(decide(List.of("str\u00e9am"), List.of())).message())
                .isEqualTo("unknown stream: str?am");
        }

        @Test
        void identicalDuplicateHeadersAreAccepted() {
            assertThat(resolved(decide(List.of("broadcast", " broadcast"), List.of())).stream()).isEqualTo(Stream.BROADCAST);
        }

        @Test
        void conflictingHeadersAreRefusedNeverPicked() {
            PolicyViolation v = violation(decide(List.of("transactional", "broadcast"), List.of()));
            assertThat(v.code()).isEqualTo(Code.INVALID_STREAM);
            assertThat(v.message()).isEqualTo(
                "conflicting X-Krafter-Stream headers: 'transactional' and 'broadcast'; send exactly one");
        }

        @Test
        void anUnknownValueAmongSeveralIsReportedAsUnknown() {
            assertThat(violation(decide(List.of("broadcast", "bulk"), List.of())).message())
                .isEqualTo("unknown stream: bulk");
        }
    }

    @Nested
    class AllowedStreams {
        @Test
        void streamMissingFromAllowedStreamsIsRefused() {
            PolicyViolation v = violation(decide(key("transactional"), List.of("broadcast"), List.of(), List.of("r@example.com")));
            assertThat(v.code()).isEqualTo(Code.STREAM_NOT_ALLOWED);
            assertThat(v.code().code()).isEqualTo("stream_not_allowed");
            assertThat(v.message()).isEqualTo("API key is not allowed to send on stream 'broadcast'");
        }

        @Test
        void theDefaultStreamIsCheckedToo() {
            assertThat(violation(decide(key("broadcast"), List.of(), List.of(), List.of("r@example.com"))).message())
                .isEqualTo("API key is not allowed to send on stream 'transactional'");
        }

        @Test
        void anInvalidStreamIsReportedBeforeAllowedStreams() {
            assertThat(violation(decide(key(), List.of("bulk"), List.of(), List.of("r@example.com"))).code())
                .isEqualTo(Code.INVALID_STREAM);
        }
    }

    @Nested
    class TrackingTable {
        @ParameterizedTest(name = "stream={0} header={1} → tracking={2}, set={3}")
        @CsvSource(delimiter = '|', value = {
            "transactional | true   | true  | krafter-transactional-tracked",
            "transactional | false  | false | krafter-transactional",
            "broadcast     | false  | false | krafter-broadcast-untracked",
            "broadcast     | true   | true  | krafter-broadcast",
            "transactional | TRUE   | true  | krafter-transactional-tracked",
            "transactional | True   | true  | krafter-transactional-tracked",
            "broadcast     | FaLsE  | false | krafter-broadcast-untracked",
            "transactional | yes    | false | krafter-transactional",
            "transactional | 1      | false | krafter-transactional",
            "broadcast     | no     | true  | krafter-broadcast",
            "broadcast     | 0      | true  | krafter-broadcast",
            "broadcast     | off    | true  | krafter-broadcast",
        })
        void overridesTheStreamDefault(String stream, String header, boolean tracking, String set) {
            ResolvedPolicy p = resolved(decide(List.of(stream), List.of(header)));
            assertThat(p.tracking()).isEqualTo(tracking);
            assertThat(p.configurationSet()).isEqualTo(set);
        }

        @ParameterizedTest
        @ValueSource(strings = {" true", "true ", "\ttrue", "\r\n true", " TRUE "})
        void whitespaceAroundTheValueIsIgnored(String header) {
            assertThat(resolved(decide(List.of(), List.of(header))).tracking()).isTrue();
        }

        @Test
        void emptyValueIsIgnored() {
            assertThat(resolved(decide(List.of("broadcast"), List.of(""))).tracking()).isTrue();
        }

        @Test
        void agreeingDuplicatesCountOnce() {
            assertThat(resolved(decide(List.of(), List.of("true", "TRUE"))).tracking()).isTrue();
        }

        @Test
        void contradictingDuplicatesLeaveTheStreamDefault() {
            assertThat(resolved(decide(List.of("transactional"), List.of("true", "false"))).tracking()).isFalse();
            assertThat(resolved(decide(List.of("broadcast"), List.of("false", "true"))).tracking()).isTrue();
        }

        @Test
        void invalidValuesBesideAValidOneAreIgnored() {
            assertThat(resolved(decide(List.of(), List.of("maybe", "true"))).tracking()).isTrue();
        }

        @Test
        void listUnsubscribeFollowsTheStreamNotTracking() {
            assertThat(resolved(decide(List.of("broadcast"), List.of("false"))).listUnsubscribe()).isTrue();
            assertThat(resolved(decide(List.of("transactional"), List.of("true"))).listUnsubscribe()).isFalse();
        }
    }

    @Nested
    class Sandbox {
        private final ApiKey sandbox = sandboxKey(10, "Allowed@Example.com", "second@example.com");

        @Test
        void anAllowListedRecipientPassesCaseInsensitively() {
            assertThat(decide(sandbox, List.of(), List.of(), List.of("allowed@example.COM")))
                .isInstanceOf(ResolvedPolicy.class);
        }

        @Test
        void aRecipientOutsideTheAllowListIsRefused() {
            PolicyViolation v = violation(decide(sandbox, List.of(), List.of(), List.of("stranger@example.com")));
            assertThat(v.code().code()).isEqualTo("sandbox_recipient_not_allowed");
            assertThat(v.message()).isEqualTo(
                "sandbox accounts may only send to allow-listed recipients: stranger@example.com");
        }

        @Test
        void twoRecipientsAreRefusedEvenIfBothAreAllowListed() {
            PolicyViolation v = violation(decide(sandbox, List.of(), List.of(), List.of("allowed@example.com", "second@example.com")));
            assertThat(v.code().code()).isEqualTo("sandbox_extra_recipients");
            assertThat(v.message()).isEqualTo("sandbox accounts may only send to one recipient per message");
        }

        @Test
        void anUnlistedSecondRecipientIsReportedAsNotAllowed() {
            assertThat(violation(decide(sandbox, List.of(), List.of(), List.of("allowed@example.com", "x@example.com"))).code())
                .isEqualTo(Code.SANDBOX_RECIPIENT_NOT_ALLOWED);
        }

        @Test
        void streamRulesComeFirst() {
            assertThat(violation(decide(sandbox, List.of("bulk"), List.of(), List.of("x@example.com"))).code())
                .isEqualTo(Code.INVALID_STREAM);
        }

        @Test
        void rcptTimeCheckMatchesTheEndOfDataCheck() {
            assertThat(policy.checkRecipient(sandbox, 0, "ALLOWED@example.com")).isEmpty();
            assertThat(policy.checkRecipient(sandbox, 0, "x@example.com")).get()
                .isEqualTo(PolicyViolation.sandboxRecipientNotAllowed("x@example.com"));
            assertThat(policy.checkRecipient(sandbox, 1, "second@example.com")).get()
                .isEqualTo(PolicyViolation.sandboxExtraRecipients());
        }

        @Test
        void nonSandboxKeysHaveNoRecipientRules() {
            assertThat(policy.checkRecipient(BOTH, 5, "anyone@example.com")).isEmpty();
            assertThat(decide(BOTH, List.of(), List.of(), List.of("a@example.com", "b@example.org")))
                .isInstanceOf(ResolvedPolicy.class);
        }
    }

    @Test
    void everyCodeHasItsStableString() {
        assertThat(Code.values()).extracting(Code::code).containsExactly(
            "invalid_stream", "stream_not_allowed", "sandbox_cap_exceeded", "sandbox_extra_recipients",
            "sandbox_recipient_not_allowed", "invalid_idempotency_key");
        assertThat(PolicyViolation.sandboxCapExceeded(100).message())
            .isEqualTo("sandbox accounts may send at most 100 emails per rolling 24 hours; the limit is reached");
    }
}
