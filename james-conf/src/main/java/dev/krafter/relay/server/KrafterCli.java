package dev.krafter.relay.server;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.apikey.NewApiKey;
import dev.krafter.relay.db.Database;

/**
 * {@code bin/krafter-relay}: run | migrate | keys create|list|revoke | accounts sandbox.
 * Configuration comes from the environment (RelaySettings); the script sets up the embedded default.
 */
public final class KrafterCli {
    private static final String USAGE = """
        usage: krafter-relay run
               krafter-relay migrate
               krafter-relay keys create --account ACCOUNT [--scopes mail:send] [--streams transactional,broadcast] [--sandbox]
               krafter-relay keys list
               krafter-relay keys revoke ID|PREFIX
               krafter-relay accounts sandbox ACCOUNT --on|--off [--allow a@x.com,b@y.com] [--cap 100]
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
        } catch (CannotStart e) {
            System.err.println("krafter-relay: cannot start. " + e.getMessage());
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
            default -> throw new IllegalArgumentException("unknown command: " + command);
        }
        return 0;
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
                String account = Options.required(options, "--account");
                NewApiKey created = withStoreResult(store -> store.create(account,
                    csv(options.getOrDefault("--scopes", ApiKey.SEND_SCOPE)),
                    csv(options.getOrDefault("--streams", "transactional,broadcast")),
                    options.containsKey("--sandbox")));
                out.println(created.secret().value());
                System.err.printf("created key %d (%s) for account %s; it is shown only this once%n",
                    created.key().id(), created.key().prefix(), account);
            }
            case "list" -> withStore((db, store) -> {
                out.printf("%-6s %-14s %-20s %-24s %-28s %s%n", "ID", "PREFIX", "ACCOUNT", "SCOPES", "STREAMS", "STATE");
                for (ApiKey key : store.list()) {
                    out.printf("%-6d %-14s %-20s %-24s %-28s %s%n", key.id(), key.prefix(), key.accountId(),
                        String.join(",", key.scopes()), String.join(",", key.allowedStreams()),
                        key.revoked() ? "revoked" : key.sandbox().enabled() ? "active (sandbox)" : "active");
                }
            });
            case "revoke" -> {
                String which = next(args, "keys revoke ID|PREFIX");
                int revoked = withStoreResult(store -> store.revoke(which));
                if (revoked == 0) {
                    throw new IllegalArgumentException("no active key with id or prefix " + which);
                }
                out.println("revoked " + revoked + " key(s); refused within 5 seconds");
            }
            default -> throw new IllegalArgumentException("unknown keys command: " + sub);
        }
    }

    private void accounts(Deque<String> args) throws Exception {
        String sub = next(args, "accounts sandbox");
        if (!sub.equals("sandbox")) {
            throw new IllegalArgumentException("unknown accounts command: " + sub);
        }
        String account = next(args, "accounts sandbox ACCOUNT");
        Map<String, String> options = Options.parse(args, Set.of("--allow", "--cap"), Set.of("--on", "--off"));
        if (options.containsKey("--on") == options.containsKey("--off")) {
            throw new IllegalArgumentException("give exactly one of --on, --off");
        }
        ApiKey.Sandbox sandbox = new ApiKey.Sandbox(options.containsKey("--on"),
            csv(options.getOrDefault("--allow", "")), Integer.parseInt(options.getOrDefault("--cap", "100")));
        withStore((db, store) -> store.setSandbox(account, sandbox));
        out.println("account " + account + ": sandbox " + (sandbox.enabled() ? "on" : "off"));
    }

    private interface StoreAction {
        void apply(Database db, ApiKeyStore store) throws Exception;
    }

    private interface StoreFunction<T> {
        T apply(ApiKeyStore store);
    }

    private void withStore(StoreAction action) throws Exception {
        try (Database db = Database.connect(settings.database())) {
            db.migrate();
            action.apply(db, new ApiKeyStore(db.dataSource(), Duration.ZERO));
        }
    }

    private <T> T withStoreResult(StoreFunction<T> function) throws Exception {
        Object[] result = new Object[1];
        withStore((db, store) -> result[0] = function.apply(store));
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
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
