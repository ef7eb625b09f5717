/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Classification of fuse.lxcfs entries in mountinfo text captured from a
 * runc container, edited to hold every case: stale, live (with optional
 * fields), hidden under a live one, another instance's, a bad root. */
#include <sys/sysmacros.h>

#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "tap.h"

#define MOUNT_ATTR_RDONLY 0x1
#define MOUNT_ATTR_NOSUID 0x2
#define MOUNT_ATTR_NODEV  0x4
#define MOUNT_ATTR_NOEXEC 0x8

struct want {
        int id;
        const char *target, *root;
        enum remount_state state;
        uint64_t attr;
};

static const struct want wants[] = {
        { 644, "/proc/meminfo", "/proc/meminfo", REMOUNT_STALE,
          MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV },
        { 645, "/proc/cpuinfo", "/proc/cpuinfo", REMOUNT_STALE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV },
        { 646, "/proc/stat", "/proc/stat", REMOUNT_LIVE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV },
        { 647, "/proc/uptime", "/proc/uptime", REMOUNT_HIDDEN,
          MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC },
        { 648, "/proc/uptime", "/proc/uptime", REMOUNT_LIVE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV },
        { 649, "/proc/loadavg", "/proc/loadavg", REMOUNT_FOREIGN, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV },
        { 650, "/var/lib/lxcfs copy", "/", REMOUNT_STALE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV },
        { 651, "/proc/swaps", "/../etc/passwd", REMOUNT_INVALID, 0 },
        { 653, "/sys/devices/system/cpu/online", "/sys/devices/system/cpu/online", REMOUNT_STALE,
          MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV },
};

static void check_container(void)
{
        _cleanup_free_ char *text = tap_fixture("remount/container.mountinfo");
        const dev_t others[] = { makedev(0, 60) };
        struct remount_entry *e = NULL;
        size_t n = 0;
        int r;

        r = remount_parse_mountinfo(text, makedev(0, 55), others, ELEMENTSOF(others), &e, &n);
        tap_ok(r == 0, "parse the container's mountinfo");
        tap_ok(n == ELEMENTSOF(wants), "%zu fuse.lxcfs entries (want %zu), sshfs left out", n,
               ELEMENTSOF(wants));
        for (size_t i = 0; i < n && i < ELEMENTSOF(wants); i++) {
                const struct want *w = &wants[i];

                tap_ok(e[i].mount_id == w->id, "entry %zu is mount %d", i, w->id);
                tap_streq(e[i].target, w->target, "target");
                tap_streq(e[i].root, w->root, "root");
                tap_ok(e[i].state == w->state, "mount %d is %s (got %s)", w->id,
                       remount_state_to_string(w->state), remount_state_to_string(e[i].state));
                tap_ok(e[i].attr == w->attr, "mount %d keeps flags 0x%llx (got 0x%llx)", w->id,
                       (unsigned long long) w->attr, (unsigned long long) e[i].attr);
        }
        tap_ok(n > 0 && e[0].dev == makedev(0, 40), "device of the stale entry");
        remount_entries_free(e, n);
}

static void check_all_live_when_device_matches(void)
{
        _cleanup_free_ char *text = tap_fixture("remount/container.mountinfo");
        struct remount_entry *e = NULL;
        size_t n = 0, stale = 0;

        /* The old device is the live one: what was stale is live now. */
        tap_ok(remount_parse_mountinfo(text, makedev(0, 40), NULL, 0, &e, &n) == 0, "parse again");
        for (size_t i = 0; i < n; i++)
                stale += e[i].state == REMOUNT_STALE;
        /* 646, 648 (0:55) and 649 (0:60, no longer known as another instance) */
        tap_ok(stale == 3, "3 stale entries against another live device (got %zu)", stale);
        remount_entries_free(e, n);
}

static void check_empty(void)
{
        _cleanup_free_ char *text = tap_fixture("remount/no-lxcfs.mountinfo");
        struct remount_entry *e = NULL;
        size_t n = 1;

        tap_ok(remount_parse_mountinfo(text, makedev(0, 55), NULL, 0, &e, &n) == 0 && n == 0,
               "no entries in a namespace without lxcfs");
        remount_entries_free(e, n);
        tap_ok(remount_parse_mountinfo("", makedev(0, 55), NULL, 0, &e, &n) == 0 && n == 0,
               "empty text");
        remount_entries_free(e, n);
}

/* Only the fuse.lxcfs lines and those at the same mount points reach
 * libmount: a mount of another type over an entry must still hide it, and
 * one elsewhere (or one whose source merely says fuse.lxcfs) must not. */
static void check_hidden_by_other_type(void)
{
        static const char text[] =
                "700 600 254:0 / / rw - ext4 /dev/vda rw\n"
                "701 700 0:71 / /proc rw,nosuid - proc proc rw\n"
                "702 701 0:40 /proc/meminfo /proc/meminfo rw - fuse.lxcfs lxcfs rw\n"
                "703 702 0:80 / /proc/meminfo rw - tmpfs tmpfs rw\n"
                "704 701 0:40 /proc/stat /proc/stat rw - fuse.lxcfs lxcfs rw\n"
                "705 701 0:81 / /proc/stat/x rw - tmpfs fuse.lxcfs rw\n"
                "706 701 0:82 / /proc/uptime rw - tmpfs tmpfs rw\n"
                "707 706 0:40 /proc/uptime /proc/uptime rw - fuse.lxcfs lxcfs rw";
        struct remount_entry *e = NULL;
        size_t n = 0;

        tap_ok(remount_parse_mountinfo(text, makedev(0, 55), NULL, 0, &e, &n) == 0 && n == 3,
               "three fuse.lxcfs entries among other types (got %zu)", n);
        tap_ok(n > 0 && e[0].mount_id == 702 && e[0].state == REMOUNT_HIDDEN,
               "an entry under a tmpfs at the same place is hidden");
        tap_ok(n > 1 && e[1].mount_id == 704 && e[1].state == REMOUNT_STALE,
               "a mount below the entry's path does not hide it");
        tap_ok(n > 2 && e[2].mount_id == 707 && e[2].state == REMOUNT_STALE,
               "an entry over a tmpfs, on the last line without a newline, is stale");
        remount_entries_free(e, n);
}

/* Found by tests/fuzz (fuzz-mountinfo): when every line is kept and the
 * last has no newline, the filtered copy is one byte longer than the input
 * (the newline it adds), plus its terminator. Under ASan the old buffer
 * size overflowed here. */
static void check_only_lxcfs_no_newline(void)
{
        static const char text[] = "1 2 0:40 /proc/meminfo /proc/meminfo rw - fuse.lxcfs lxcfs rw";
        struct remount_entry *e = NULL;
        size_t n = 0;

        tap_ok(remount_parse_mountinfo(text, makedev(0, 40), NULL, 0, &e, &n) == 0 && n == 1 &&
               e[0].state == REMOUNT_LIVE, "a lone fuse.lxcfs line without a newline");
        remount_entries_free(e, n);
}

int main(void)
{
        check_container();
        check_only_lxcfs_no_newline();
        check_hidden_by_other_type();
        check_all_live_when_device_matches();
        check_empty();
        tap_streq(remount_method_to_string(REMOUNT_METHOD_BENEATH), "beneath", "method name");
        return tap_done();
}
