package dev.daemonkit.internal.libc;

import java.util.Locale;

/**
 * Sizes, offsets and constants of glibc on Linux that differ between platforms or that Java cannot
 * derive: the one place that knows the C ABI. Values come from this platform's headers (a C program
 * printing sizeof/offsetof); {@code AbiLayoutTest} compiles that program again and compares.
 *
 * <p>Only Linux with glibc on x86_64 and aarch64 is supported. On anything else the first use of the
 * binding fails with {@link UnsupportedOperationException} naming the platform, rather than
 * reading and writing memory with guessed layouts.
 */
public final class Abi {
    private Abi() {
    }

    /** The supported architectures. */
    public enum Arch { X86_64, AARCH64 }

    /** The architecture this JVM runs on; fails on an unsupported OS or architecture. */
    public static final Arch ARCH = detect();

    private static Arch detect() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.equals("Linux")) {
            throw new UnsupportedOperationException(
                    "daemonkit supports Linux (glibc) on x86_64 and aarch64; this is " + os + "/" + arch);
        }
        return switch (arch) {
            case "amd64", "x86_64" -> Arch.X86_64;
            case "aarch64", "arm64" -> Arch.AARCH64;
            default -> throw new UnsupportedOperationException(
                    "daemonkit supports Linux (glibc) on x86_64 and aarch64; this is Linux/" + arch);
        };
    }

    // struct sigaction (glibc's user-space layout, not the kernel's): identical on both targets.
    public static final long SIGACTION_SIZE = 152;
    public static final long SIGACTION_HANDLER_OFFSET = 0;
    public static final long SIGACTION_MASK_OFFSET = 8;
    public static final long SIGACTION_FLAGS_OFFSET = 136;
    public static final long SIGSET_SIZE = 128;

    // siginfo_t as filled by waitid(2) for SIGCHLD-type events.
    public static final long SIGINFO_SIZE = 128;
    public static final long SIGINFO_SIGNO_OFFSET = 0;
    public static final long SIGINFO_CODE_OFFSET = 8;
    public static final long SIGINFO_PID_OFFSET = 16;
    public static final long SIGINFO_UID_OFFSET = 20;
    public static final long SIGINFO_STATUS_OFFSET = 24;

    // Opaque glibc types we only allocate and hand to posix_spawn*_init.
    public static final long POSIX_SPAWNATTR_SIZE = 336;
    public static final long POSIX_SPAWN_FILE_ACTIONS_SIZE = 80;

    public static final long RLIMIT_SIZE = 16;
    public static final long RLIMIT_CUR_OFFSET = 0;
    public static final long RLIMIT_MAX_OFFSET = 8;

    // struct passwd / struct group: the fields getpwnam_r / getgrnam_r results are read from.
    public static final long PASSWD_SIZE = 48;
    public static final long PASSWD_UID_OFFSET = 16;
    public static final long PASSWD_GID_OFFSET = 20;
    public static final long PASSWD_DIR_OFFSET = 32;
    public static final long GROUP_SIZE = 32;
    public static final long GROUP_GID_OFFSET = 16;

    // struct pollfd
    public static final long POLLFD_SIZE = 8;
    public static final long POLLFD_FD_OFFSET = 0;
    public static final long POLLFD_EVENTS_OFFSET = 4;
    public static final long POLLFD_REVENTS_OFFSET = 6;
    public static final short POLLIN = 1;

    // sockets: struct sockaddr_in / sockaddr_un, families, types, options, flags
    public static final long SOCKADDR_IN_SIZE = 16;
    public static final long SIN_PORT_OFFSET = 2;
    public static final long SIN_ADDR_OFFSET = 4;
    public static final long SOCKADDR_UN_SIZE = 110;
    public static final long SUN_PATH_OFFSET = 2;
    public static final int SUN_PATH_MAX = 108;
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_CLOEXEC = 02000000;
    public static final int SOCK_NONBLOCK = 04000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_TYPE = 3;
    public static final int SO_PASSCRED = 16;
    public static final int SO_ACCEPTCONN = 30;
    public static final int SO_DOMAIN = 39;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_CTRUNC = 0x8;
    public static final int SCM_CREDENTIALS = 2;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    public static final long CMSG_LEN_OFFSET = 0;
    // struct msghdr, struct iovec, struct cmsghdr, struct ucred
    public static final long MSGHDR_SIZE = 56;
    public static final long MSGHDR_NAME_OFFSET = 0;
    public static final long MSGHDR_NAMELEN_OFFSET = 8;
    public static final long MSGHDR_IOV_OFFSET = 16;
    public static final long MSGHDR_IOVLEN_OFFSET = 24;
    public static final long MSGHDR_CONTROL_OFFSET = 32;
    public static final long MSGHDR_CONTROLLEN_OFFSET = 40;
    public static final long MSGHDR_FLAGS_OFFSET = 48;
    public static final long IOVEC_SIZE = 16;
    public static final long IOVEC_BASE_OFFSET = 0;
    public static final long IOVEC_LEN_OFFSET = 8;
    public static final long CMSGHDR_SIZE = 16;
    public static final long CMSG_LEVEL_OFFSET = 8;
    public static final long CMSG_TYPE_OFFSET = 12;
    public static final long UCRED_SIZE = 12;
    public static final long UCRED_PID_OFFSET = 0;
    public static final long UCRED_UID_OFFSET = 4;
    public static final long UCRED_GID_OFFSET = 8;
    /** CMSG_SPACE(sizeof(struct ucred)): room for one SCM_CREDENTIALS message. */
    public static final long CMSG_SPACE_UCRED = 32;

    // struct statx: the same layout on every architecture (unlike struct stat), which is why
    // daemonkit uses statx(2) for fstat/lstat.
    public static final long STATX_SIZE = 256;
    public static final long STATX_NLINK_OFFSET = 16;
    public static final long STATX_UID_OFFSET = 20;
    public static final long STATX_GID_OFFSET = 24;
    public static final long STATX_MODE_OFFSET = 28;
    public static final long STATX_INO_OFFSET = 32;
    public static final long STATX_SIZE_OFFSET = 40;
    public static final long STATX_DEV_MAJOR_OFFSET = 136;
    public static final long STATX_DEV_MINOR_OFFSET = 140;
    public static final int STATX_BASIC_STATS = 0x7ff;
    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_EMPTY_PATH = 0x1000;

    // st_mode file types
    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 060000;
    public static final int S_IFDIR = 040000;
    public static final int S_IFCHR = 020000;
    public static final int S_IFIFO = 010000;

    // open(2) flags: O_DIRECTORY and O_NOFOLLOW are the ones that differ on aarch64.
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_DIRECTORY = ARCH == Arch.AARCH64 ? 040000 : 0200000;
    public static final int O_NOFOLLOW = ARCH == Arch.AARCH64 ? 0100000 : 0400000;
    public static final int O_PATH = 010000000;

    // posix_spawnattr_setflags
    public static final short POSIX_SPAWN_RESETIDS = 0x01;
    public static final short POSIX_SPAWN_SETPGROUP = 0x02;
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    public static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    public static final short POSIX_SPAWN_SETSID = 0x80;

    // waitpid / waitid options and idtypes
    public static final int WNOHANG = 1;
    public static final int WUNTRACED = 2;
    public static final int WSTOPPED = 2;
    public static final int WEXITED = 4;
    public static final int WCONTINUED = 8;
    public static final int WNOWAIT = 0x01000000;
    public static final int P_ALL = 0;
    public static final int P_PID = 1;
    public static final int P_PIDFD = 3;

    // si_code values for SIGCHLD
    public static final int CLD_EXITED = 1;
    public static final int CLD_KILLED = 2;
    public static final int CLD_DUMPED = 3;
    public static final int CLD_TRAPPED = 4;
    public static final int CLD_STOPPED = 5;
    public static final int CLD_CONTINUED = 6;

    // prctl options
    public static final int PR_SET_PDEATHSIG = 1;
    public static final int PR_GET_PDEATHSIG = 2;
    public static final int PR_SET_DUMPABLE = 4;
    public static final int PR_SET_NAME = 15;
    public static final int PR_GET_NAME = 16;
    public static final int PR_SET_CHILD_SUBREAPER = 36;
    public static final int PR_GET_CHILD_SUBREAPER = 37;

    // getrlimit resources
    public static final int RLIMIT_CORE = 4;
    public static final int RLIMIT_NPROC = 6;
    public static final int RLIMIT_NOFILE = 7;

    // sigprocmask how
    public static final int SIG_BLOCK = 0;
    public static final int SIG_UNBLOCK = 1;
    public static final int SIG_SETMASK = 2;

    // flock(2)
    public static final int LOCK_SH = 1;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;

    // fcntl(2)
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final int FD_CLOEXEC = 1;

    // clone(2) flags used by the fork-and-exit paths
    public static final int SIGCHLD = 17;
    public static final int CLONE_VM = 0x00000100;
    public static final int CLONE_VFORK = 0x00004000;
    public static final int CLONE_FS = 0x00000200;
    public static final int CLONE_FILES = 0x00000400;

    // Syscall numbers: pidfd_* use the unified numbering, the same on every architecture.
    public static final long SYS_PIDFD_SEND_SIGNAL = 424;
    public static final long SYS_PIDFD_OPEN = 434;

    // signalfd(2): its flags and struct signalfd_siginfo.
    public static final int SFD_CLOEXEC = 02000000;
    public static final long SIGNALFD_SIGINFO_SIZE = 128;
    public static final long SSI_SIGNO_OFFSET = 0;
    public static final long SSI_PID_OFFSET = 12;

    // wait4 and waitid as /proc/PID/task/TID/syscall names them: numbers that differ per architecture.
    public static final int SYS_WAIT4 = ARCH == Arch.AARCH64 ? 260 : 61;
    public static final int SYS_WAITID = ARCH == Arch.AARCH64 ? 95 : 247;

    /** sigaction's SA_RESTORER: glibc sets it on every call (x86_64), so readers hide it. */
    public static final int SA_RESTORER = 0x04000000;

    /** sigaction's SIG_DFL and SIG_IGN handler values. */
    public static final long SIG_DFL = 0;
    public static final long SIG_IGN = 1;
}
