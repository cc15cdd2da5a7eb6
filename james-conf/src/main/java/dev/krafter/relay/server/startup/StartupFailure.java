package dev.krafter.relay.server.startup;

/**
 * A configuration mistake found at start-up, told as one paragraph: the file, the element (with its
 * line where known), what is wrong, and the fix. {@link KrafterCli} prints {@link #getMessage()}
 * and exits 1; the relay never starts half-configured.
 */
public final class StartupFailure extends Exception {
    private final String file;
    private final String element;
    private final String problem;
    private final String fix;

    StartupFailure(String file, String element, String problem, String fix) {
        this(file, element, problem, fix, null);
    }

    StartupFailure(String file, String element, String problem, String fix, Throwable cause) {
        super(paragraph(file, element, problem, fix), cause);
        this.file = file;
        this.element = element;
        this.problem = problem;
        this.fix = fix;
    }

    /** The conf file, as the admin would name it (relative to KRAFTER_HOME when inside it). */
    public String file() {
        return file;
    }

    /** The offending element, e.g. {@code <mailet match="All" class="…"> (line 31) in processor "transport"}. */
    public String element() {
        return element;
    }

    public String problem() {
        return problem;
    }

    public String fix() {
        return fix;
    }

    private static String paragraph(String file, String element, String problem, String fix) {
        String where = element == null || element.isEmpty() ? file : file + ", " + element;
        return where + ": " + problem + " Fix: " + fix;
    }
}
