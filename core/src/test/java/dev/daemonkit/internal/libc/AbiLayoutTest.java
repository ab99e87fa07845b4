package dev.daemonkit.internal.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles a C program against this machine's headers and compares every size, offset and
 * constant that {@link Abi} hard-codes. Skipped, with the reason, only where gcc is missing.
 */
class AbiLayoutTest {

    private static final String PROGRAM = """
            #define _GNU_SOURCE
            #include <stdio.h>
            #include <stddef.h>
            #include <signal.h>
            #include <spawn.h>
            #include <fcntl.h>
            #include <sys/resource.h>
            #include <sys/wait.h>
            #include <sys/prctl.h>
            #include <sys/file.h>
            #include <sys/syscall.h>
            #include <pwd.h>
            #include <grp.h>
            #include <poll.h>
            #include <sys/stat.h>
            #include <sys/socket.h>
            #include <sys/un.h>
            #include <netinet/in.h>
            #include <sched.h>
            #include <sys/signalfd.h>
            #define P(n, v) printf("%s=%ld\\n", n, (long)(v))
            int main(void) {
              P("SIGACTION_SIZE", sizeof(struct sigaction));
              P("SIGACTION_HANDLER_OFFSET", offsetof(struct sigaction, sa_handler));
              P("SIGACTION_MASK_OFFSET", offsetof(struct sigaction, sa_mask));
              P("SIGACTION_FLAGS_OFFSET", offsetof(struct sigaction, sa_flags));
              P("SIGSET_SIZE", sizeof(sigset_t));
              P("SIGINFO_SIZE", sizeof(siginfo_t));
              P("SIGINFO_SIGNO_OFFSET", offsetof(siginfo_t, si_signo));
              P("SIGINFO_CODE_OFFSET", offsetof(siginfo_t, si_code));
              P("SIGINFO_PID_OFFSET", offsetof(siginfo_t, si_pid));
              P("SIGINFO_UID_OFFSET", offsetof(siginfo_t, si_uid));
              P("SIGINFO_STATUS_OFFSET", offsetof(siginfo_t, si_status));
              P("POSIX_SPAWNATTR_SIZE", sizeof(posix_spawnattr_t));
              P("POSIX_SPAWN_FILE_ACTIONS_SIZE", sizeof(posix_spawn_file_actions_t));
              P("RLIMIT_SIZE", sizeof(struct rlimit));
              P("PASSWD_SIZE", sizeof(struct passwd));
              P("PASSWD_UID_OFFSET", offsetof(struct passwd, pw_uid));
              P("PASSWD_GID_OFFSET", offsetof(struct passwd, pw_gid));
              P("PASSWD_DIR_OFFSET", offsetof(struct passwd, pw_dir));
              P("GROUP_SIZE", sizeof(struct group));
              P("GROUP_GID_OFFSET", offsetof(struct group, gr_gid));
              P("POLLFD_SIZE", sizeof(struct pollfd));
              P("STATX_SIZE", sizeof(struct statx));
              P("STATX_NLINK_OFFSET", offsetof(struct statx, stx_nlink));
              P("STATX_UID_OFFSET", offsetof(struct statx, stx_uid));
              P("STATX_GID_OFFSET", offsetof(struct statx, stx_gid));
              P("STATX_MODE_OFFSET", offsetof(struct statx, stx_mode));
              P("STATX_INO_OFFSET", offsetof(struct statx, stx_ino));
              P("STATX_SIZE_OFFSET", offsetof(struct statx, stx_size));
              P("STATX_DEV_MAJOR_OFFSET", offsetof(struct statx, stx_dev_major));
              P("STATX_DEV_MINOR_OFFSET", offsetof(struct statx, stx_dev_minor));
              P("STATX_BASIC_STATS", STATX_BASIC_STATS); P("AT_FDCWD", AT_FDCWD);
              P("AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW); P("AT_EMPTY_PATH", AT_EMPTY_PATH);
              P("S_IFMT", S_IFMT); P("S_IFREG", S_IFREG); P("S_IFDIR", S_IFDIR); P("S_IFLNK", S_IFLNK);
              P("S_IFIFO", S_IFIFO); P("S_IFCHR", S_IFCHR); P("S_IFBLK", S_IFBLK); P("S_IFSOCK", S_IFSOCK);
              P("F_GETFL", F_GETFL); P("F_SETFL", F_SETFL); P("F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC);
              P("RLIMIT_CUR_OFFSET", offsetof(struct rlimit, rlim_cur)); P("RLIMIT_MAX_OFFSET", offsetof(struct rlimit, rlim_max));
              P("POLLFD_FD_OFFSET", offsetof(struct pollfd, fd)); P("POLLFD_EVENTS_OFFSET", offsetof(struct pollfd, events));
              P("POLLFD_REVENTS_OFFSET", offsetof(struct pollfd, revents)); P("POLLIN", POLLIN);
              P("SOCKADDR_IN_SIZE", sizeof(struct sockaddr_in)); P("SIN_PORT_OFFSET", offsetof(struct sockaddr_in, sin_port));
              P("SIN_ADDR_OFFSET", offsetof(struct sockaddr_in, sin_addr)); P("SOCKADDR_UN_SIZE", sizeof(struct sockaddr_un));
              P("SUN_PATH_OFFSET", offsetof(struct sockaddr_un, sun_path)); P("SUN_PATH_MAX", sizeof(((struct sockaddr_un *)0)->sun_path));
              P("AF_UNIX", AF_UNIX); P("AF_INET", AF_INET); P("AF_INET6", AF_INET6); P("SOCK_STREAM", SOCK_STREAM);
              P("SOCK_DGRAM", SOCK_DGRAM); P("SOCK_CLOEXEC", SOCK_CLOEXEC); P("SOCK_NONBLOCK", SOCK_NONBLOCK);
              P("SOL_SOCKET", SOL_SOCKET); P("SO_REUSEADDR", SO_REUSEADDR); P("SO_TYPE", SO_TYPE); P("SO_PASSCRED", SO_PASSCRED);
              P("SO_ACCEPTCONN", SO_ACCEPTCONN); P("SO_DOMAIN", SO_DOMAIN); P("MSG_NOSIGNAL", MSG_NOSIGNAL);
              P("MSG_DONTWAIT", MSG_DONTWAIT); P("MSG_TRUNC", MSG_TRUNC); P("MSG_CTRUNC", MSG_CTRUNC);
              P("SCM_CREDENTIALS", SCM_CREDENTIALS); P("MSGHDR_SIZE", sizeof(struct msghdr));
              P("MSGHDR_NAME_OFFSET", offsetof(struct msghdr, msg_name)); P("MSGHDR_NAMELEN_OFFSET", offsetof(struct msghdr, msg_namelen));
              P("MSGHDR_IOV_OFFSET", offsetof(struct msghdr, msg_iov)); P("MSGHDR_IOVLEN_OFFSET", offsetof(struct msghdr, msg_iovlen));
              P("MSGHDR_CONTROL_OFFSET", offsetof(struct msghdr, msg_control));
              P("MSGHDR_CONTROLLEN_OFFSET", offsetof(struct msghdr, msg_controllen));
              P("MSGHDR_FLAGS_OFFSET", offsetof(struct msghdr, msg_flags)); P("IOVEC_SIZE", sizeof(struct iovec));
              P("CMSGHDR_SIZE", CMSG_ALIGN(sizeof(struct cmsghdr))); P("CMSG_LEVEL_OFFSET", offsetof(struct cmsghdr, cmsg_level));
              P("CMSG_TYPE_OFFSET", offsetof(struct cmsghdr, cmsg_type)); P("UCRED_SIZE", sizeof(struct ucred));
              P("IOVEC_BASE_OFFSET", offsetof(struct iovec, iov_base)); P("IOVEC_LEN_OFFSET", offsetof(struct iovec, iov_len));
              P("UCRED_PID_OFFSET", offsetof(struct ucred, pid)); P("UCRED_UID_OFFSET", offsetof(struct ucred, uid));
              P("UCRED_GID_OFFSET", offsetof(struct ucred, gid)); P("CMSG_SPACE_UCRED", CMSG_SPACE(sizeof(struct ucred)));
              P("CLONE_VM", CLONE_VM); P("CLONE_VFORK", CLONE_VFORK); P("CLONE_FS", CLONE_FS);
              P("CLONE_FILES", CLONE_FILES);
              P("SCM_RIGHTS", SCM_RIGHTS); P("MSG_CMSG_CLOEXEC", MSG_CMSG_CLOEXEC);
              P("CMSG_LEN_OFFSET", offsetof(struct cmsghdr, cmsg_len));

              P("O_CREAT", O_CREAT); P("O_EXCL", O_EXCL); P("O_TRUNC", O_TRUNC); P("O_APPEND", O_APPEND);
              P("O_NONBLOCK", O_NONBLOCK); P("O_CLOEXEC", O_CLOEXEC); P("O_DIRECTORY", O_DIRECTORY);
              P("O_NOFOLLOW", O_NOFOLLOW); P("O_NOCTTY", O_NOCTTY);
              P("POSIX_SPAWN_SETPGROUP", POSIX_SPAWN_SETPGROUP); P("POSIX_SPAWN_SETSIGDEF", POSIX_SPAWN_SETSIGDEF);
              P("POSIX_SPAWN_SETSIGMASK", POSIX_SPAWN_SETSIGMASK); P("POSIX_SPAWN_SETSID", POSIX_SPAWN_SETSID);
              P("WNOHANG", WNOHANG); P("WEXITED", WEXITED); P("WCONTINUED", WCONTINUED); P("WNOWAIT", WNOWAIT);
              P("P_PID", P_PID); P("P_ALL", P_ALL);
              P("PR_SET_CHILD_SUBREAPER", PR_SET_CHILD_SUBREAPER); P("PR_SET_PDEATHSIG", PR_SET_PDEATHSIG);
              P("PR_SET_NAME", PR_SET_NAME);
              P("RLIMIT_CORE", RLIMIT_CORE); P("RLIMIT_NPROC", RLIMIT_NPROC); P("RLIMIT_NOFILE", RLIMIT_NOFILE);
              P("LOCK_EX", LOCK_EX); P("LOCK_NB", LOCK_NB);
              P("SYS_PIDFD_OPEN", SYS_pidfd_open); P("SYS_PIDFD_SEND_SIGNAL", SYS_pidfd_send_signal);
              P("SIGCHLD", SIGCHLD);
              P("SFD_CLOEXEC", SFD_CLOEXEC); P("SIGNALFD_SIGINFO_SIZE", sizeof(struct signalfd_siginfo));
              P("SSI_SIGNO_OFFSET", offsetof(struct signalfd_siginfo, ssi_signo));
              P("SSI_PID_OFFSET", offsetof(struct signalfd_siginfo, ssi_pid));
              P("SYS_WAIT4", SYS_wait4); P("SYS_WAITID", SYS_waitid);
              return 0;
            }
            """;

    @Test
    void layoutsAndConstantsMatchThisPlatformsHeaders(@TempDir Path dir) throws Exception {
        assumeTrue(gccAvailable(), "gcc not found on PATH: cannot compile the layout probe, so the check is skipped");
        Path src = dir.resolve("abi.c");
        Files.writeString(src, PROGRAM);
        Path exe = dir.resolve("abi");
        run(dir, "gcc", "-o", exe.toString(), src.toString());
        Map<String, Long> c = new HashMap<>();
        for (String line : run(dir, exe.toString()).split("\n")) {
            String[] kv = line.split("=");
            c.put(kv[0], Long.parseLong(kv[1].trim()));
        }
        assertEquals(c.get("SIGACTION_SIZE"), Abi.SIGACTION_SIZE);
        assertEquals(c.get("SIGACTION_HANDLER_OFFSET"), Abi.SIGACTION_HANDLER_OFFSET);
        assertEquals(c.get("SIGACTION_MASK_OFFSET"), Abi.SIGACTION_MASK_OFFSET);
        assertEquals(c.get("SIGACTION_FLAGS_OFFSET"), Abi.SIGACTION_FLAGS_OFFSET);
        assertEquals(c.get("SIGSET_SIZE"), Abi.SIGSET_SIZE);
        assertEquals(c.get("SIGINFO_SIZE"), Abi.SIGINFO_SIZE);
        assertEquals(c.get("SIGINFO_SIGNO_OFFSET"), Abi.SIGINFO_SIGNO_OFFSET);
        assertEquals(c.get("SIGINFO_CODE_OFFSET"), Abi.SIGINFO_CODE_OFFSET);
        assertEquals(c.get("SIGINFO_PID_OFFSET"), Abi.SIGINFO_PID_OFFSET);
        assertEquals(c.get("SIGINFO_UID_OFFSET"), Abi.SIGINFO_UID_OFFSET);
        assertEquals(c.get("SIGINFO_STATUS_OFFSET"), Abi.SIGINFO_STATUS_OFFSET);
        assertEquals(c.get("POSIX_SPAWNATTR_SIZE"), Abi.POSIX_SPAWNATTR_SIZE);
        assertEquals(c.get("POSIX_SPAWN_FILE_ACTIONS_SIZE"), Abi.POSIX_SPAWN_FILE_ACTIONS_SIZE);
        assertEquals(c.get("RLIMIT_SIZE"), Abi.RLIMIT_SIZE);
        // Libc.getpwnam/getgrnam/poll read these directly.
        String[] fromAbi = {"PASSWD_SIZE", "PASSWD_UID_OFFSET", "PASSWD_GID_OFFSET", "PASSWD_DIR_OFFSET", "GROUP_SIZE",
            "GROUP_GID_OFFSET", "POLLFD_SIZE", "F_DUPFD_CLOEXEC", "RLIMIT_CUR_OFFSET", "RLIMIT_MAX_OFFSET", "POLLFD_FD_OFFSET",
            "POLLFD_EVENTS_OFFSET", "POLLFD_REVENTS_OFFSET", "POLLIN", "SOCKADDR_IN_SIZE", "SIN_PORT_OFFSET", "SIN_ADDR_OFFSET",
            "SOCKADDR_UN_SIZE", "SUN_PATH_OFFSET", "SUN_PATH_MAX", "AF_UNIX", "AF_INET", "AF_INET6", "SOCK_STREAM",
            "SOCK_DGRAM", "SOCK_CLOEXEC", "SOCK_NONBLOCK", "SOL_SOCKET", "SO_REUSEADDR", "SO_TYPE", "SO_PASSCRED",
            "SO_ACCEPTCONN", "SO_DOMAIN", "MSG_NOSIGNAL", "MSG_DONTWAIT", "MSG_TRUNC", "MSG_CTRUNC", "SCM_CREDENTIALS",
            "MSGHDR_SIZE", "MSGHDR_NAME_OFFSET", "MSGHDR_NAMELEN_OFFSET", "MSGHDR_IOV_OFFSET", "MSGHDR_IOVLEN_OFFSET",
            "MSGHDR_CONTROL_OFFSET", "MSGHDR_CONTROLLEN_OFFSET", "MSGHDR_FLAGS_OFFSET", "IOVEC_SIZE", "CMSGHDR_SIZE",
            "CMSG_LEVEL_OFFSET", "CMSG_TYPE_OFFSET", "UCRED_SIZE", "IOVEC_BASE_OFFSET", "IOVEC_LEN_OFFSET", "UCRED_PID_OFFSET", "UCRED_UID_OFFSET",
            "UCRED_GID_OFFSET", "CMSG_SPACE_UCRED", "CLONE_VM", "CLONE_VFORK", "CLONE_FS", "CLONE_FILES", "SFD_CLOEXEC", "SIGNALFD_SIGINFO_SIZE",
            "SSI_SIGNO_OFFSET", "SSI_PID_OFFSET", "SYS_WAIT4", "SYS_WAITID", "SCM_RIGHTS", "MSG_CMSG_CLOEXEC",
            "CMSG_LEN_OFFSET"};
        for (String name : fromAbi) {
            assertEquals(c.get(name), abi(name), name);
        }
        assertEquals(c.get("STATX_SIZE"), Abi.STATX_SIZE);
        assertEquals(c.get("STATX_NLINK_OFFSET"), Abi.STATX_NLINK_OFFSET);
        assertEquals(c.get("STATX_UID_OFFSET"), Abi.STATX_UID_OFFSET);
        assertEquals(c.get("STATX_GID_OFFSET"), Abi.STATX_GID_OFFSET);
        assertEquals(c.get("STATX_MODE_OFFSET"), Abi.STATX_MODE_OFFSET);
        assertEquals(c.get("STATX_INO_OFFSET"), Abi.STATX_INO_OFFSET);
        assertEquals(c.get("STATX_SIZE_OFFSET"), Abi.STATX_SIZE_OFFSET);
        assertEquals(c.get("STATX_DEV_MAJOR_OFFSET"), Abi.STATX_DEV_MAJOR_OFFSET);
        assertEquals(c.get("STATX_DEV_MINOR_OFFSET"), Abi.STATX_DEV_MINOR_OFFSET);
        assertEquals(c.get("STATX_BASIC_STATS"), (long) Abi.STATX_BASIC_STATS);
        assertEquals(c.get("AT_FDCWD"), (long) Abi.AT_FDCWD);
        assertEquals(c.get("AT_SYMLINK_NOFOLLOW"), (long) Abi.AT_SYMLINK_NOFOLLOW);
        assertEquals(c.get("AT_EMPTY_PATH"), (long) Abi.AT_EMPTY_PATH);
        assertEquals(c.get("S_IFMT"), (long) Abi.S_IFMT);
        assertEquals(c.get("S_IFREG"), (long) Abi.S_IFREG);
        assertEquals(c.get("S_IFDIR"), (long) Abi.S_IFDIR);
        assertEquals(c.get("S_IFLNK"), (long) Abi.S_IFLNK);
        assertEquals(c.get("S_IFIFO"), (long) Abi.S_IFIFO);
        assertEquals(c.get("S_IFCHR"), (long) Abi.S_IFCHR);
        assertEquals(c.get("S_IFBLK"), (long) Abi.S_IFBLK);
        assertEquals(c.get("S_IFSOCK"), (long) Abi.S_IFSOCK);
        assertEquals(c.get("F_GETFL"), (long) Abi.F_GETFL);
        assertEquals(c.get("F_SETFL"), (long) Abi.F_SETFL);
        assertEquals(c.get("O_CREAT"), (long) Abi.O_CREAT);
        assertEquals(c.get("O_EXCL"), (long) Abi.O_EXCL);
        assertEquals(c.get("O_TRUNC"), (long) Abi.O_TRUNC);
        assertEquals(c.get("O_APPEND"), (long) Abi.O_APPEND);
        assertEquals(c.get("O_NONBLOCK"), (long) Abi.O_NONBLOCK);
        assertEquals(c.get("O_CLOEXEC"), (long) Abi.O_CLOEXEC);
        assertEquals(c.get("O_DIRECTORY"), (long) Abi.O_DIRECTORY);
        assertEquals(c.get("O_NOFOLLOW"), (long) Abi.O_NOFOLLOW);
        assertEquals(c.get("O_NOCTTY"), (long) Abi.O_NOCTTY);
        assertEquals(c.get("POSIX_SPAWN_SETPGROUP"), (long) Abi.POSIX_SPAWN_SETPGROUP);
        assertEquals(c.get("POSIX_SPAWN_SETSIGDEF"), (long) Abi.POSIX_SPAWN_SETSIGDEF);
        assertEquals(c.get("POSIX_SPAWN_SETSIGMASK"), (long) Abi.POSIX_SPAWN_SETSIGMASK);
        assertEquals(c.get("POSIX_SPAWN_SETSID"), (long) Abi.POSIX_SPAWN_SETSID);
        assertEquals(c.get("WNOHANG"), (long) Abi.WNOHANG);
        assertEquals(c.get("WEXITED"), (long) Abi.WEXITED);
        assertEquals(c.get("WCONTINUED"), (long) Abi.WCONTINUED);
        assertEquals(c.get("WNOWAIT"), (long) Abi.WNOWAIT);
        assertEquals(c.get("P_PID"), (long) Abi.P_PID);
        assertEquals(c.get("P_ALL"), (long) Abi.P_ALL);
        assertEquals(c.get("PR_SET_CHILD_SUBREAPER"), (long) Abi.PR_SET_CHILD_SUBREAPER);
        assertEquals(c.get("PR_SET_PDEATHSIG"), (long) Abi.PR_SET_PDEATHSIG);
        assertEquals(c.get("PR_SET_NAME"), (long) Abi.PR_SET_NAME);
        assertEquals(c.get("RLIMIT_CORE"), (long) Abi.RLIMIT_CORE);
        assertEquals(c.get("RLIMIT_NPROC"), (long) Abi.RLIMIT_NPROC);
        assertEquals(c.get("RLIMIT_NOFILE"), (long) Abi.RLIMIT_NOFILE);
        assertEquals(c.get("LOCK_EX"), (long) Abi.LOCK_EX);
        assertEquals(c.get("LOCK_NB"), (long) Abi.LOCK_NB);
        assertEquals(c.get("SYS_PIDFD_OPEN"), Abi.SYS_PIDFD_OPEN);
        assertEquals(c.get("SYS_PIDFD_SEND_SIGNAL"), Abi.SYS_PIDFD_SEND_SIGNAL);
        assertEquals(c.get("SIGCHLD"), (long) Abi.SIGCHLD);
    }

    /** A constant of {@link Abi} by name, as a long (int, short or long fields). */
    private static long abi(String name) throws ReflectiveOperationException {
        return ((Number) Abi.class.getField(name).get(null)).longValue();
    }

    private static boolean gccAvailable() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static String run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }
}
