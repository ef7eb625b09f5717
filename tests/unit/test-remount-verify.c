/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The check after a heal (remount_verify()): a namespace surveyed with live
 * and stale entries, read again in the states mount propagation can leave
 * it in. And the probe of an entry on a plain filesystem: it answers, a
 * symlink on its path or another mount there makes it unreachable. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "tap.h"

#define LIVE_DEV makedev(0, 55)

/* Surveyed: meminfo, cpuinfo, uptime, swaps stale (0:40, its connection
 * dead), stat live, loadavg on a device whose server did not answer. */
static const char survey_text[] =
        "641 640 0:71 / /proc rw - proc proc rw\n"
        "644 641 0:40 /proc/meminfo /proc/meminfo ro - fuse.lxcfs lxcfs rw\n"
        "645 641 0:40 /proc/cpuinfo /proc/cpuinfo rw - fuse.lxcfs lxcfs rw\n"
        "646 641 0:55 /proc/stat /proc/stat rw - fuse.lxcfs lxcfs rw\n"
        "647 641 0:40 /proc/uptime /proc/uptime rw - fuse.lxcfs lxcfs rw\n"
        "648 641 0:61 /proc/loadavg /proc/loadavg rw - fuse.lxcfs lxcfs rw\n"
        "649 641 0:40 /proc/swaps /proc/swaps rw - fuse.lxcfs lxcfs rw\n";

/* After the heal: meminfo live; cpuinfo gone (unmounted by propagation,
 * nothing came); stat gone too; uptime: the dead mount again on top (a
 * propagated copy); loadavg untouched; swaps covered by a tmpfs since, and
 * a new device nobody asked about at /proc/diskstats (not surveyed). */
static const char after_text[] =
        "641 640 0:71 / /proc rw - proc proc rw\n"
        "700 641 0:55 /proc/meminfo /proc/meminfo ro - fuse.lxcfs lxcfs rw\n"
        "701 641 0:40 /proc/uptime /proc/uptime rw - fuse.lxcfs lxcfs rw\n"
        "648 641 0:61 /proc/loadavg /proc/loadavg rw - fuse.lxcfs lxcfs rw\n"
        "702 641 0:55 /proc/swaps /proc/swaps rw - fuse.lxcfs lxcfs rw\n"
        "703 702 0:90 / /proc/swaps rw - tmpfs tmpfs rw\n"
        "704 641 0:62 /proc/diskstats /proc/diskstats rw - fuse.lxcfs lxcfs rw\n";

static void survey(struct remount_entry **ret, size_t *ret_n)
{
        struct remount_entry *e = NULL;
        size_t n = 0;

        tap_ok(remount_parse_mountinfo(survey_text, LIVE_DEV, NULL, 0, &e, &n) == 0 && n == 6,
               "parse the surveyed namespace (%zu entries)", n);
        /* What remount_ns_probe() would have found. */
        for (size_t i = 0; i < n; i++) {
                if (e[i].state != REMOUNT_STALE)
                        continue;
                if (e[i].dev == makedev(0, 40)) {
                        e[i].probe = REMOUNT_PROBE_DEAD;
                        e[i].probe_err = -ENOTCONN;
                } else {
                        e[i].state = REMOUNT_UNKNOWN;
                        e[i].probe = REMOUNT_PROBE_NO_ANSWER;
                        e[i].probe_err = -ETIMEDOUT;
                }
        }
        *ret = e;
        *ret_n = n;
}

static void check_verify(void)
{
        static const struct { const char *target; enum remount_state now; int id; } want[] = {
                { "/proc/meminfo", REMOUNT_LIVE,    700 },
                { "/proc/cpuinfo", REMOUNT_MISSING, 0 },
                { "/proc/stat",    REMOUNT_MISSING, 0 },
                { "/proc/uptime",  REMOUNT_STALE,   701 },
                { "/proc/loadavg", REMOUNT_UNKNOWN, 648 },
                { "/proc/swaps",   REMOUNT_HIDDEN,  702 },
        };
        enum remount_state now[6];
        int now_id[6];
        struct remount_entry *e = NULL;
        size_t n = 0;

        survey(&e, &n);
        if (n != ELEMENTSOF(want)) {
                remount_entries_free(e, n);
                return;
        }
        tap_ok(remount_verify(e, n, after_text, LIVE_DEV, NULL, 0, now, now_id) == 0, "verify");
        for (size_t i = 0; i < n; i++) {
                tap_ok(streq(e[i].target, want[i].target) && now[i] == want[i].now,
                       "%s is %s now (got %s)", want[i].target, remount_state_to_string(want[i].now),
                       remount_state_to_string(now[i]));
                tap_ok(now_id[i] == want[i].id, "%s: mount %d at its target (got %d)",
                       want[i].target, want[i].id, now_id[i]);
        }

        /* What the next pass hands to a worker. */
        e[1].state = now[1];
        tap_ok(remount_entry_needs_heal(&e[1]), "a missing entry is healed (restored)");
        tap_ok(remount_entry_needs_heal(&e[3]), "a stale entry whose connection is dead is healed");
        tap_ok(!remount_entry_needs_heal(&e[4]), "an entry whose server did not answer is not");
        e[3].probe = REMOUNT_PROBE_UNREACHABLE;
        tap_ok(!remount_entry_needs_heal(&e[3]), "nor one that its path does not lead to");
        e[3].probe = REMOUNT_PROBE_ALIVE;
        e[3].state = REMOUNT_FOREIGN;
        tap_ok(!remount_entry_needs_heal(&e[3]), "nor another instance's");

        /* Everything healed: every entry that was ours is live. */
        static const char healed[] =
                "641 640 0:71 / /proc rw - proc proc rw\n"
                "700 641 0:55 /proc/meminfo /proc/meminfo ro - fuse.lxcfs lxcfs rw\n"
                "705 641 0:55 /proc/cpuinfo /proc/cpuinfo rw - fuse.lxcfs lxcfs rw\n"
                "646 641 0:55 /proc/stat /proc/stat rw - fuse.lxcfs lxcfs rw\n"
                "706 641 0:40 /proc/uptime /proc/uptime rw - fuse.lxcfs lxcfs rw\n"
                "707 706 0:55 /proc/uptime /proc/uptime rw - fuse.lxcfs lxcfs rw\n"
                "708 641 0:55 /proc/swaps /proc/swaps rw - fuse.lxcfs lxcfs rw\n";
        e[1].state = REMOUNT_STALE;
        e[3].state = REMOUNT_STALE;
        e[3].probe = REMOUNT_PROBE_DEAD;
        tap_ok(remount_verify(e, n, healed, LIVE_DEV, NULL, 0, now, now_id) == 0, "verify healed");
        for (size_t i = 0; i < n; i++)
                if (i != 4)
                        tap_ok(now[i] == REMOUNT_LIVE, "%s is live (got %s)", e[i].target,
                               remount_state_to_string(now[i]));
        tap_ok(now_id[3] == 707, "uptime: the live mount on top of the dead one counts (got %d)", now_id[3]);
        remount_entries_free(e, n);
}

static int mount_id_of(const char *path)
{
        struct statx stx;

        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 ||
            !(stx.stx_mask & STATX_MNT_ID))
                return -1;
        return (int) stx.stx_mnt_id;
}

static void check_probe(void)
{
        char dir[] = "/tmp/test-remount-probe.XXXXXX", file[64], link[64], via[80];
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct remount_entry e = {};
        enum remount_probe p;
        int err = 1;

        if (!mkdtemp(dir) || root < 0 || proc < 0) {
                tap_ok(0, "scratch directory");
                return;
        }
        snprintf(file, sizeof(file), "%s/file", dir);
        snprintf(link, sizeof(link), "%s/link", dir);
        snprintf(via, sizeof(via), "%s/link/file", dir);
        close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        tap_ok(symlink(dir, link) == 0, "symlink");

        e.target = file;
        e.mount_id = mount_id_of(file);
        p = remount_probe_entry(proc, root, &e, 2000, &err);
        tap_ok(p == REMOUNT_PROBE_ALIVE && err == 0, "a file whose filesystem answers is alive (got %d, %d)",
               p, err);

        e.mount_id = mount_id_of(file) + 100000;
        p = remount_probe_entry(proc, root, &e, 2000, &err);
        tap_ok(p == REMOUNT_PROBE_UNREACHABLE && err == -ESTALE,
               "another mount at the path: unreachable, ESTALE (got %d, %d)", p, err);

        e.target = via;
        e.mount_id = mount_id_of(file);
        p = remount_probe_entry(proc, root, &e, 2000, &err);
        tap_ok(p == REMOUNT_PROBE_UNREACHABLE && err == -ELOOP,
               "a symlink on the path: unreachable, ELOOP (got %d, %d)", p, err);

        /* remount_ns_probe(): the first reachable entry of a device answers
         * for the others (one connection per device); an unreachable one
         * on a device nobody answered for stays stale, not to be healed. */
        struct remount_entry es[3] = {
                { .target = via, .mount_id = mount_id_of(file), .dev = makedev(0, 77),
                  .state = REMOUNT_STALE },
                { .target = file, .mount_id = mount_id_of(file), .dev = makedev(0, 77),
                  .state = REMOUNT_STALE },
                { .target = via, .mount_id = mount_id_of(file), .dev = makedev(0, 78),
                  .state = REMOUNT_STALE },
        };
        struct remount_ns ns = { .root_fd = root, .entries = es, .n_entries = 3 };
        struct remount_probe_cache cache = { .timeout_ms = 2000 };

        remount_ns_probe(proc, &ns, &cache);
        tap_ok(es[0].state == REMOUNT_STALE && es[0].probe == REMOUNT_PROBE_UNREACHABLE &&
               es[0].probe_err == -ELOOP, "unreachable first entry: stale, ELOOP, not healed");
        tap_ok(!remount_entry_needs_heal(&es[0]), "... and not handed to a worker");
        tap_ok(es[1].state == REMOUNT_FOREIGN, "an entry whose server answers is another instance's");
        tap_ok(cache.n == 1 && cache.answers[0].dev == makedev(0, 77) &&
               cache.answers[0].probe == REMOUNT_PROBE_ALIVE, "the answer is kept for its device");
        es[0].state = REMOUNT_STALE;
        es[0].probe = REMOUNT_PROBE_NONE;
        remount_ns_probe(proc, &ns, &cache);
        tap_ok(es[0].state == REMOUNT_FOREIGN, "then an unreachable entry of that device is too");
        tap_ok(es[2].state == REMOUNT_STALE && es[2].probe == REMOUNT_PROBE_UNREACHABLE,
               "but not one of another device");
        remount_probe_cache_done(&cache);

        unlink(link);
        unlink(file);
        rmdir(dir);
}

int main(void)
{
        check_verify();
        check_probe();
        tap_streq(remount_state_to_string(REMOUNT_MISSING), "missing", "state name");
        tap_streq(remount_method_to_string(REMOUNT_METHOD_RESTORE), "restored", "method name");
        return tap_done();
}
