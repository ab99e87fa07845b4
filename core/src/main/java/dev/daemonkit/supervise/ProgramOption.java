package dev.daemonkit.supervise;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One option of a supervised program, described once: its flag on the command line
 * ({@code --stop-timeout}), its keys in a config file ({@code stop_timeout}, and supervisord's
 * {@code stopwaitsecs}), the syntax of its value, where the value goes in a {@link ProgramSpec},
 * and its help line. The table of them is {@link ProgramOptions#all()}.
 */
public final class ProgramOption {
    /** Reads a value; relative paths are resolved against {@code base}. */
    @FunctionalInterface
    interface Parser<T> {
        T parse(String text, Path base);
    }

    /**
     * A kind of value: how it is written in help ({@code D}, {@code SIG}; null for an on/off
     * switch), read, and written back; repeatable kinds add up (a map per occurrence).
     */
    record Type<T>(String metavar, Parser<T> parser, Function<? super T, String> format, boolean repeatable) {
    }

    @FunctionalInterface
    private interface Applier {
        void apply(ProgramSpec.Builder b, String text, Path base);
    }

    private final String flag;
    private final List<String> keys;
    private final String metavar;
    private final boolean repeatable;
    private final String help;
    private final Applier applier;
    private final Function<ProgramSpec, Optional<String>> shown;

    private ProgramOption(String flag, List<String> keys, String metavar, boolean repeatable, String help, Applier applier,
            Function<ProgramSpec, Optional<String>> shown) {
        this.flag = flag;
        this.keys = keys;
        this.metavar = metavar;
        this.repeatable = repeatable;
        this.help = help;
        this.applier = applier;
        this.shown = shown;
    }

    /**
     * An option whose value of {@code type} is given to {@code set} and read back by {@code get}
     * (for the default shown in help). Its config keys are the flag with {@code _} for {@code -},
     * then {@code aliases} (supervisord's names).
     */
    static <T> ProgramOption of(String flag, Type<T> type, BiConsumer<ProgramSpec.Builder, T> set,
            Function<ProgramSpec, T> get, String help, String... aliases) {
        List<String> keys = new ArrayList<>();
        keys.add(normalKey(flag));
        keys.addAll(List.of(aliases));
        return new ProgramOption(flag, List.copyOf(keys), type.metavar(), type.repeatable(), help,
                (b, text, base) -> set.accept(b, type.parser().parse(text, base)),
                spec -> Optional.ofNullable(get.apply(spec)).filter(v -> !unset(v)).map(type.format()));
    }

    private static boolean unset(Object v) {
        return Boolean.FALSE.equals(v) || v instanceof Collection<?> c && c.isEmpty() || v instanceof Map<?, ?> m && m.isEmpty();
    }

    /** A config key as it is looked up: lower case, {@code _} for {@code -}. */
    static String normalKey(String key) {
        return key.trim().toLowerCase(java.util.Locale.ROOT).replace('-', '_');
    }

    /** The command-line name, without the leading dashes. */
    public String flag() {
        return flag;
    }

    /** The config-file keys: the flag with {@code _} for {@code -} first, then supervisord's names. */
    public List<String> iniKeys() {
        return keys;
    }

    /** How the value is written in help ({@code D}, {@code SIG}...); empty for an on/off switch. */
    public Optional<String> metavar() {
        return Optional.ofNullable(metavar);
    }

    /**
     * An on/off switch: a bare {@code --flag} on the command line means true; a config file says
     * true/false (yes/no, on/off, 1/0).
     */
    public boolean isSwitch() {
        return metavar == null;
    }

    /** Whether it may be given more than once (the values add up). */
    public boolean repeatable() {
        return repeatable;
    }

    /** One line for the help text. */
    public String help() {
        return help;
    }

    /**
     * Parses {@code text} and sets the value on the builder.
     *
     * @param base relative paths are resolved against it (the config file's directory, or the
     *             current directory for the command line)
     * @throws IllegalArgumentException what was expected, quoting the text (without the option's name)
     */
    public void apply(ProgramSpec.Builder b, String text, Path base) {
        applier.apply(b, text, base);
    }

    /** The value {@code spec} has for this option, written as it is given; empty when it is unset or off. */
    public Optional<String> valueIn(ProgramSpec spec) {
        return shown.apply(spec);
    }

    @Override
    public String toString() {
        return "--" + flag;
    }
}
