package dev.daemonkit.cli;

import dev.daemonkit.supervise.ProgramOptions;
import dev.daemonkit.supervise.ProgramSpec;
import dev.daemonkit.supervise.Supervisor;
import dev.daemonkit.supervise.SupervisorConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code daemonkit supervise}: keep one program (or a config file's programs) running. */
final class SuperviseCommand implements Command {
    @Override
    public String name() {
        return "supervise";
    }

    @Override
    public String summary() {
        return "keep programs running: restart policies, backoff, FATAL, subreaper, signal forwarding";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit supervise [options] -- CMD [ARGS...]
                   daemonkit supervise --config FILE [--pidfile P] [--control SOCK]

            Runs CMD (or every [program:NAME] of a supervisord-style config file) and keeps it running.
            States as in supervisord: STARTING, RUNNING, BACKOFF, STOPPING, EXITED, STOPPED, FATAL.
            A program that dies within --start-seconds is a failed start; after --start-retries
            failed starts in a row it is FATAL. SIGTERM/SIGINT stop the programs in reverse order;
            SIGHUP, SIGUSR1, SIGUSR2 are forwarded to them.

            options:
            """ + SuperviseArgs.optionsHelp(name(), ProgramSpec.builder("CMD", List.of("CMD")).build()) + """

              --config FILE            programs from a supervisord-style INI file (see README)

            In a --config file each program option is a key of a [program:NAME] section, spelled with
            _ for - (stop_timeout = 1h), beside command = CMD [ARGS...]. supervisord's names work too:
            """ + SuperviseArgs.wrap(ProgramOptions.aliasHelp(), "  ", 96) + """


            exit: with one program, its exit status (128+N if killed by signal N) once it is done
                  (EXITED or STOPPED); 1 if it ended FATAL, naming it; with --config, 0 after a
                  shutdown; 2 bad usage.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = SuperviseArgs.parse(name(), argv, Set.of("config"));
        List<ProgramSpec> specs;
        Supervisor.Mode mode;
        if (a.get("config").isPresent()) {
            if (a.hasCommand()) {
                throw new UsageException("give either --config FILE or -- CMD, not both");
            }
            try {
                specs = SupervisorConfig.read(Path.of(a.get("config").get()));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            } catch (java.nio.file.NoSuchFileException e) {
                throw UsageException.badInput("config file " + e.getFile() + " does not exist");
            } catch (IOException e) {
                throw UsageException.badInput("cannot read config: " + e.getMessage());
            }
            for (ProgramSpec s : specs) {
                SuperviseArgs.checkProgram(s.command());
                SuperviseArgs.checkLogs(s);
            }
            mode = Supervisor.Mode.UNTIL_SHUTDOWN;
        } else {
            List<String> command = a.requireCommand();
            SuperviseArgs.checkProgram(command);
            String name = command.get(0).substring(command.get(0).lastIndexOf('/') + 1);
            specs = List.of(SuperviseArgs.program(a, ProgramSpec.builder(name, command)));
            SuperviseArgs.checkLogs(specs.get(0));
            mode = Supervisor.Mode.UNTIL_ALL_DONE;
        }
        List<ProgramSpec> list = specs;
        return SuperviseArgs.runSupervisor(a, () -> list, mode, err);
    }
}
