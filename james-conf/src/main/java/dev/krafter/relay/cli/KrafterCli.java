package dev.krafter.relay.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;

import org.apache.james.util.DurationParser;

import dev.krafter.relay.admin.AdminRefusal;
import dev.krafter.relay.admin.AdminViews;
import dev.krafter.relay.admin.KeySpec;
import dev.krafter.relay.admin.RelayAdmin;
import dev.krafter.relay.admin.SandboxChange;
import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.apikey.NewApiKey;
import dev.krafter.relay.db.Database;
import dev.krafter.relay.emails.EmailRecords;
import dev.krafter.relay.server.KrafterRelayServer;
import dev.krafter.relay.server.RelaySettings;
import dev.krafter.relay.server.startup.StartupErrors;
import dev.krafter.relay.server.startup.StartupFailure;
import dev.krafter.relay.server.startup.StartupLogs;
import dev.krafter.relay.status.RelayStatus;
import dev.krafter.relay.status.StatusQueries;
import dev.krafter.relay.status.StatusView;

/**
 * {@code bin/krafter-relay}: run | migrate | keys create|list|revoke | accounts sandbox | emails show | status.
 * Configuration comes from the environment (RelaySettings); the script sets up the embedded default.
 * The admin commands go through {@link RelayAdmin}, as WebAdmin's routes do.
 */
public final class KrafterCli {
    private static final String USAGE = """
        usage: krafter-relay run
               krafter-relay migrate
               krafter-relay keys create --account ACCOUNT [--scopes mail:send] [--streams transactional,broadcast] [--sandbox]
               krafter-relay keys list [--account ACCOUNT]
               krafter-relay keys revoke ID|PREFIX
               krafter-relay accounts sandbox ACCOUNT [--on|--off] [--allow a@x.com,b@y.com] [--cap 100]
               krafter-relay emails show EMAIL_ID
               krafter-relay status [--json] [--max-age 15m]
               krafter-relay healthcheck
        """;

    private final RelaySettings settings;
    private final PrintStream out;

    KrafterCli(RelaySettings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("healthcheck")) {
            // before RelaySettings: the probe needs only the port, not the database settings
            System.exit(Healthcheck.check(System.getenv()));
        }
        try {
            System.exit(new KrafterCli(RelaySettings.fromEnvironment(System.getenv()), System.out)
                .execute(new ArrayDeque<>(Arrays.asList(args))));
        } catch (IllegalArgumentException e) {
            System.err.println("krafter-relay: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
        } catch (AdminRefusal e) {
            System.err.println("krafter-relay: " + e.getMessage());
            System.exit(e.kind() == AdminRefusal.Kind.INVALID ? 2 : 1);
        } catch (CannotStart e) {
            System.err.println("krafter-relay: cannot start. " + e.getMessage());
            System.exit(1);
        } catch (Exception e) {
            // e.g. the database is unreachable: the admin reads the causes, not a stack trace.
            System.err.println("krafter-relay: " + causes(e));
            System.exit(1);
        }
    }

    /** The relay did not start; the message is the one paragraph the admin reads. */
    static final class CannotStart extends Exception {
        CannotStart(String message, Throwable cause) {
            super(message, cause);
        }
    }

    int execute(Deque<String> args) throws Exception {
        String command = args.isEmpty() ? "run" : args.pop();
        switch (command) {
            case "run" -> run();
            case "migrate" -> withStore((db, store) -> out.println("migrations applied: " + db.migrate()));
            case "keys" -> keys(args);
            case "accounts" -> accounts(args);
            case "emails" -> emails(args);
            case "status" -> {
                return status(args);
            }
            default -> throw new IllegalArgumentException("unknown command: " + command);
        }
        return 0;
    }

    /** The oldest queued message may be this old before {@code status} exits 1. */
    static final Duration STATUS_MAX_AGE = Duration.ofMinutes(15);

    /**
     * {@code status}: the relay as the database sees it, from any node. Read-only: it does not
     * migrate, so it can point at a database the relays are upgrading.
     */
    private int status(Deque<String> args) throws Exception {
        Map<String, String> options = Options.parse(args, Set.of("--max-age"), Set.of("--json"));
        Duration maxAge;
        try {
            maxAge = Optional.ofNullable(options.get("--max-age")).map(String::strip)
                .map(value -> DurationParser.parse(value, ChronoUnit.SECONDS)).orElse(STATUS_MAX_AGE);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--max-age needs a duration such as 15m, 90s or 1h, not " + options.get("--max-age"));
        }
        RelayStatus status;
        try (Database db = Database.connect(settings.database())) {
            status = new StatusQueries(db.dataSource()).read();
        }
        out.print(options.containsKey("--json") ? StatusView.json(status, maxAge) : StatusView.text(status, maxAge));
        return StatusView.exitStatus(status, maxAge);
    }

    private void run() throws Exception {
        long started = System.nanoTime();
        KrafterRelayServer server = startServer();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "krafter-shutdown"));
        out.printf("Krafter relay listening on %s:%d (implicit TLS), started in %d ms%n",
            settings.smtpBindAddress(), server.smtpsPort(), Duration.ofNanos(System.nanoTime() - started).toMillis());
        if (!settings.sesConfigured()) {
            out.println("*** NO SES SETTINGS: messages are NOT sent, they are written to " + settings.outboxDir()
                + " (set KRAFTER_SES_REGION to deliver through Amazon SES) ***");
        }
        out.println(server.adminPort()
            .map(port -> "WebAdmin on http://" + server.adminSettings().bindAddress() + ":" + port
                + " (Authorization: Bearer $KRAFTER_ADMIN_TOKEN)")
            .orElse("WebAdmin off (set KRAFTER_ADMIN_TOKEN to turn it on)"));
        new FirstApiKey(settings, new ApiKeyStore(server.database().dataSource(), Duration.ZERO), out)
            .createIfNone(server.smtpsPort());
        stopped.await();
    }

    /**
     * A start that fails is one paragraph on stderr, not James's stack traces: a configuration
     * mistake as a {@link StartupFailure} (file, element, fix), anything else as its chain of causes.
     * The stack trace goes to var/start-up-error.log.
     */
    private KrafterRelayServer startServer() throws CannotStart {
        try (StartupLogs quiet = StartupLogs.quietJamesStartErrors()) {
            return KrafterRelayServer.start(settings);
        } catch (StartupFailure e) {
            String trace = e.getCause() == null ? "" : StartupLogs.writeTrace(settings.home(), e.getCause())
                .map(file -> " (James's stack trace: " + file + ")").orElse("");
            throw new CannotStart(e.getMessage() + trace, e);
        } catch (Exception e) {
            String trace = StartupLogs.writeTrace(settings.home(), e).map(file -> " (stack trace: " + file + ")")
                .orElseGet(() -> {
                    e.printStackTrace();
                    return "";
                });
            throw new CannotStart(causes(e) + trace, e);
        }
    }

    /** "message: cause message: root message", each told once. */
    static String causes(Throwable e) {
        StringBuilder text = new StringBuilder();
        java.util.Set<String> told = new java.util.HashSet<>();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String guice = StartupErrors.guiceSummary(t);
            String message = guice != null ? guice
                : t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().lines().findFirst().orElse("").strip();
            if (!message.isEmpty() && told.stream().noneMatch(m -> m.contains(message))) {
                text.append(text.length() == 0 ? "" : ": ").append(message);
                told.add(message);
            }
        }
        return text.toString();
    }

    private void keys(Deque<String> args) throws Exception {
        String sub = next(args, "keys create|list|revoke");
        switch (sub) {
            case "create" -> {
                Map<String, String> options = Options.parse(args, Set.of("--account", "--scopes", "--streams"), Set.of("--sandbox"));
                KeySpec spec = KeySpec.of(Options.required(options, "--account"),
                    Optional.ofNullable(options.get("--scopes")).map(KrafterCli::csv),
                    Optional.ofNullable(options.get("--streams")).map(KrafterCli::csv),
                    options.containsKey("--sandbox"));
                NewApiKey created = withAdmin(admin -> admin.createKey(spec));
                out.println(created.secret().value());
                System.err.printf("created key %d (%s) for account %s; it is shown only this once%n",
                    created.key().id(), created.key().prefix(), created.key().accountId());
            }
            case "list" -> {
                Map<String, String> options = Options.parse(args, Set.of("--account"), Set.of());
                List<ApiKey> keys = withAdmin(admin -> admin.keys(Optional.ofNullable(options.get("--account"))));
                out.printf("%-6s %-14s %-20s %-24s %-28s %s%n", "ID", "PREFIX", "ACCOUNT", "SCOPES", "STREAMS", "STATE");
                for (ApiKey key : keys) {
                    out.printf("%-6d %-14s %-20s %-24s %-28s %s%n", key.id(), key.prefix(), key.accountId(),
                        String.join(",", new TreeSet<>(key.scopes())), String.join(",", new TreeSet<>(key.allowedStreams())),
                        key.revoked() ? "revoked" : key.sandbox().enabled() ? "active (sandbox)" : "active");
                }
            }
            case "revoke" -> {
                String which = next(args, "keys revoke ID|PREFIX");
                ApiKey revoked = withAdmin(admin -> admin.revokeKey(which));
                out.printf("revoked key %d (%s) of account %s; refused within 5 seconds%n",
                    revoked.id(), revoked.prefix(), revoked.accountId());
            }
            default -> throw new IllegalArgumentException("unknown keys command: " + sub);
        }
    }

    /** {@code accounts sandbox ACCOUNT}: shows the settings; with options, changes the parts given. */
    private void accounts(Deque<String> args) throws Exception {
        String sub = next(args, "accounts sandbox");
        if (!sub.equals("sandbox")) {
            throw new IllegalArgumentException("unknown accounts command: " + sub);
        }
        String account = next(args, "accounts sandbox ACCOUNT");
        Map<String, String> options = Options.parse(args, Set.of("--allow", "--cap"), Set.of("--on", "--off"));
        if (options.containsKey("--on") && options.containsKey("--off")) {
            throw new IllegalArgumentException("give at most one of --on, --off");
        }
        Optional<Boolean> enabled = options.containsKey("--on") ? Optional.of(true)
            : options.containsKey("--off") ? Optional.of(false) : Optional.empty();
        Optional<Integer> cap;
        try {
            cap = Optional.ofNullable(options.get("--cap")).map(String::strip).map(Integer::valueOf);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--cap needs a whole number, not " + options.get("--cap"));
        }
        SandboxChange change = new SandboxChange(enabled, Optional.ofNullable(options.get("--allow")).map(KrafterCli::csv), cap);
        ApiKey.Sandbox sandbox = withAdmin(admin -> change.isEmpty() ? admin.sandbox(account) : admin.changeSandbox(account, change));
        print(AdminViews.sandbox(account, sandbox));
    }

    private void emails(Deque<String> args) throws Exception {
        String sub = next(args, "emails show EMAIL_ID");
        if (!sub.equals("show")) {
            throw new IllegalArgumentException("unknown emails command: " + sub);
        }
        String id = next(args, "emails show EMAIL_ID");
        Options.parse(args, Set.of(), Set.of());
        print(AdminViews.email(withAdmin(admin -> admin.email(id))));
    }

    /** One {@code name: value} line a field; collections comma-separated, absent values as "-". */
    private void print(Map<String, Object> view) {
        view.forEach((name, value) -> out.println(name + ": " + (value == null ? "-"
            : value instanceof Collection<?> items ? String.join(",", items.stream().map(String::valueOf).toList())
            : value)));
    }

    private interface AdminFunction<T> {
        T apply(RelayAdmin admin);
    }

    private <T> T withAdmin(AdminFunction<T> function) throws Exception {
        try (Database db = Database.connect(settings.database())) {
            db.migrate();
            return function.apply(new RelayAdmin(new ApiKeyStore(db.dataSource(), Duration.ZERO), new EmailRecords(db.dataSource())));
        }
    }

    private interface StoreAction {
        void apply(Database db, ApiKeyStore store) throws Exception;
    }

    private void withStore(StoreAction action) throws Exception {
        try (Database db = Database.connect(settings.database())) {
            db.migrate();
            action.apply(db, new ApiKeyStore(db.dataSource(), Duration.ZERO));
        }
    }

    private static String next(Deque<String> args, String usage) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("missing argument: " + usage);
        }
        return args.pop();
    }

    static Set<String> csv(String value) {
        Set<String> items = new LinkedHashSet<>();
        for (String item : value.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    /** The first key of a fresh install, printed with a ready-to-paste swaks line. */
    record FirstApiKey(RelaySettings settings, ApiKeyStore store, PrintStream out) {
        void createIfNone(int port) throws IOException {
            if (!store.list().isEmpty()) {
                return;
            }
            NewApiKey key = store.create("default", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast"), false);
            Path file = settings.home().resolve("var/first-api-key");
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, key.secret().value() + "\n");
            out.printf("""

                First API key (account "default", scope mail:send), shown once and saved in %s:

                    %s

                Send a test message (implicit TLS; swaks needs --tls-on-connect, see README):

                    swaks --to recipient@example.com --from hello@yourdomain.com \\
                      --server localhost --port %d --tls-on-connect --tls-verify --tls-ca-path %s \\
                      --auth-user apikey --auth-password %s \\
                      --header "Subject: SMTP Test" --body "This email was sent via Krafter Mail SMTP relay."

                """, file, key.secret().value(), port, settings.tlsCert(), key.secret().value());
        }
    }
}
