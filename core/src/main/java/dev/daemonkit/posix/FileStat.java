package dev.daemonkit.posix;

import dev.daemonkit.internal.libc.Abi;

/**
 * What statx(2) says about a file: the fields daemonkit decides on (which file it is, its type,
 * owner, link count and size).
 *
 * @param devMajor major number of the device holding the file (as /proc/locks prints it)
 * @param devMinor minor number of that device
 * @param inode    inode number
 * @param mode     type and permission bits (st_mode)
 * @param links    number of hard links; 0 once the file was unlinked while open
 * @param uid      owner
 * @param gid      group
 * @param size     size in bytes
 */
public record FileStat(long devMajor, long devMinor, long inode, int mode, long links, int uid, int gid, long size) {

    /** The file types of st_mode. */
    public enum Type {
        REGULAR("a regular file"), DIRECTORY("a directory"), SYMLINK("a symbolic link"), FIFO("a FIFO (named pipe)"),
        SOCKET("a socket"), CHARACTER_DEVICE("a character device"), BLOCK_DEVICE("a block device"),
        UNKNOWN("of an unknown type");

        private final String description;

        Type(String description) {
            this.description = description;
        }

        /** "a directory", "a FIFO (named pipe)"... for messages. */
        public String description() {
            return description;
        }
    }

    /** The file's type. */
    public Type type() {
        return switch (mode & Abi.S_IFMT) {
            case Abi.S_IFREG -> Type.REGULAR;
            case Abi.S_IFDIR -> Type.DIRECTORY;
            case Abi.S_IFLNK -> Type.SYMLINK;
            case Abi.S_IFIFO -> Type.FIFO;
            case Abi.S_IFSOCK -> Type.SOCKET;
            case Abi.S_IFCHR -> Type.CHARACTER_DEVICE;
            case Abi.S_IFBLK -> Type.BLOCK_DEVICE;
            default -> Type.UNKNOWN;
        };
    }

    public boolean isRegular() {
        return type() == Type.REGULAR;
    }

    /** The permission bits (07777). */
    public int permissions() {
        return mode & 07777;
    }

    /** Whether both describe the same file (device and inode). */
    public boolean sameFile(FileStat other) {
        return devMajor == other.devMajor && devMinor == other.devMinor && inode == other.inode;
    }

    /** The file's identity as /proc/locks and /proc/PID/fdinfo print it: {@code fe:00:2146545}. */
    public String lockKey() {
        // Not String.format: its %d loads the locale's number symbols (CLDR data), ~4 ms of an
        // interpreted `daemonkit status`.
        return twoHexDigits(devMajor) + ":" + twoHexDigits(devMinor) + ":" + Long.toUnsignedString(inode);
    }

    /** As %02x prints it: at least two lower-case hex digits. */
    private static String twoHexDigits(long v) {
        String h = Long.toHexString(v);
        return h.length() < 2 ? "0" + h : h;
    }
}
