/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cached cgroup views, with a hand-moved clock.
 * On a copy of the v1 fixture tree: a changed limit shows only after the
 * TTL; a removed cgroup is not served after the TTL; two cgroups never
 * share an entry; siblings share their parent's limit for one TTL;
 * disabled, every read is fresh.
 * As root on this machine's v1 memory hierarchy: the pid -> cgroup cache
 * follows a process moved to another cgroup after its TTL, and forgets a
 * process that exited. */

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lxcfs/cgroup_cache.h"
#include "lxcfs/fileio.h"
#include "tap.h"
#include "test-cgroup-util.h"

#define MS NSEC_PER_MSEC

static uint64_t fake_now = 5000 * MS;
static uint64_t fake_clock(void) { return fake_now; }

/* What the filesystem holds (render_caches.cg); each test switches on the
 * ones it needs, a NULL member reads fresh. */
static struct cg_caches caches;
static char tree[PATH_MAX];   /* copy of tests/fixtures/cgroup/v1 */

static int write_text(const char *rel, const char *text)
{
        char path[PATH_MAX * 2];
        _cleanup_close_ int fd = -1;

        snprintf(path, sizeof(path), "%s/sys/fs/cgroup/%s", tree, rel);
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
                return -errno;
        return 0;
}

static char tmp_root[] = "/tmp/lxcfs-cgcache.XXXXXX";

static int copy_fixtures(void)
{
        char cmd[PATH_MAX * 3];

        if (!mkdtemp(tmp_root))
                return -errno;
        snprintf(tree, sizeof(tree), "%s/v1", tmp_root);
        snprintf(cmd, sizeof(cmd), "cp -r '%s/cgroup/v1' '%s'", FIXTURES_DIR, tree);
        return system(cmd) == 0 ? 0 : -EIO;
}

static void remove_fixtures(void)
{
        char cmd[PATH_MAX * 2];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
        (void) system(cmd);
}

/* Stands in for rmdir of a cgroup (and mkdir of it again). */
static int rename_fixture_dir(const char *from, const char *to)
{
        char a[PATH_MAX * 2], b[PATH_MAX * 2];

        snprintf(a, sizeof(a), "%s/sys/fs/cgroup/%s", tree, from);
        snprintf(b, sizeof(b), "%s/sys/fs/cgroup/%s", tree, to);
        return rename(a, b) < 0 ? -errno : 0;
}

static void reader_in(const struct cg_hierarchies *h, const char *leaf, struct cg_reader *r)
{
        char text[512];

        snprintf(text, sizeof(text), "4:memory:/lxcfsfix/%1$s\n3:cpuset:/lxcfsfix/%1$s\n"
                 "2:cpuacct:/lxcfsfix/%1$s\n1:cpu:/lxcfsfix/%1$s\n", leaf);
        tap_ok(cg_reader_parse(h, text, r) == 0, "reader in /lxcfsfix/%s", leaf);
}

static uint64_t cached_limit(const struct cg_reader *r)
{
        _cleanup_ttl_value_ struct ttl_value *m = NULL;

        return cg_memory_read_cached(&caches, r, &m) < 0 ? 0 : cg_memory_of(m)->limit;
}

static void test_memory(const struct cg_hierarchies *h)
{
        _cleanup_ttl_value_ struct ttl_value *v = NULL;
        struct cg_reader limited, inherit;
        struct cg_memory m;

        reader_in(h, "limited", &limited);
        reader_in(h, "inherit", &inherit);
        tap_ok(cached_limit(&limited) == 268435456, "limited: 256M");
        tap_ok(cached_limit(&inherit) == 536870912, "inherit: 512M from its parent, its own entry");

        tap_ok(write_text("memory/lxcfsfix/limited/memory.limit_in_bytes", "134217728\n") == 0, "set 128M");
        tap_ok(cg_memory_read(&limited, &m) == 0 && m.limit == 134217728, "the file says 128M");
        fake_now += CG_VIEW_TTL_NS - 1;
        tap_ok(cached_limit(&limited) == 268435456, "within the TTL: still 256M");
        fake_now += 1;
        tap_ok(cached_limit(&limited) == 134217728, "after the TTL: 128M");

        tap_ok(rename_fixture_dir("memory/lxcfsfix/limited", "memory/lxcfsfix/limited.gone") == 0,
               "remove the cgroup");
        tap_ok(cached_limit(&limited) == 134217728, "within the TTL the last view is served");
        fake_now += CG_VIEW_TTL_NS;
        tap_ok(cg_memory_read_cached(&caches, &limited, &v) == -ENOENT, "after the TTL: -ENOENT");
        tap_ok(cg_memory_read_cached(&caches, &limited, &v) == -ENOENT, "... and the error is not cached away");
        tap_ok(rename_fixture_dir("memory/lxcfsfix/limited.gone", "memory/lxcfsfix/limited") == 0,
               "the cgroup is back");
        tap_ok(cached_limit(&limited) == 134217728, "served again at once");
        cg_reader_done(&limited);
        cg_reader_done(&inherit);
}

static bool limits_are(const struct cg_reader *r, uint64_t quota, unsigned cpu)
{
        _cleanup_ttl_value_ struct ttl_value *v = NULL;

        return cg_cpu_limits_read_cached(&caches, r, &v) == 0 && cg_cpu_limits_of(v)->quota_us == quota &&
               cpuset_has(&cg_cpu_limits_of(v)->cpuset, cpu);
}

static void test_cpu(const struct cg_hierarchies *h)
{
        _cleanup_ttl_value_ struct ttl_value *first = NULL, *second = NULL, *third = NULL;
        const struct cg_cpu_usage *u;
        struct cg_reader r;

        reader_in(h, "limited", &r);
        tap_ok(limits_are(&r, 50000, 1), "limits: quota 50000, cpuset 1");
        tap_ok(cg_cpu_usage_read_cached(&caches, &r, &first) == 0, "usage");
        u = first ? cg_cpu_usage_of(first) : NULL;
        tap_ok(u && u->n_percpu == 2 && u->percpu_user_ns[1] == 555901625 &&
               u->percpu_system_ns[1] == 135900862, "usage: per-CPU split in the value");

        tap_ok(write_text("cpu/lxcfsfix/limited/cpu.cfs_quota_us", "150000\n") == 0 &&
               write_text("cpuset/lxcfsfix/limited/cpuset.effective_cpus", "0\n") == 0 &&
               write_text("cpuacct/lxcfsfix/limited/cpuacct.usage_all",
                          "cpu user system\n0 7 8\n1 9 10\n2 11 12\n") == 0, "change quota, cpuset, usage");
        tap_ok(limits_are(&r, 50000, 1), "within the TTL: old limits");
        tap_ok(cg_cpu_usage_read_cached(&caches, &r, &second) == 0 && second == first,
               "within the TTL: the same usage value, shared");
        fake_now += CG_VIEW_TTL_NS;
        tap_ok(limits_are(&r, 150000, 0) && !limits_are(&r, 150000, 1), "after the TTL: new limits");
        tap_ok(cg_cpu_usage_read_cached(&caches, &r, &third) == 0, "after the TTL: usage");
        u = third ? cg_cpu_usage_of(third) : NULL;
        tap_ok(u && u->n_percpu == 3 && u->user_ns == 27 && u->system_ns == 30 && u->percpu_system_ns[2] == 12,
               "after the TTL: new usage");
        u = cg_cpu_usage_of(first);
        tap_ok(u->n_percpu == 2 && u->percpu_user_ns[1] == 555901625, "the old value held is unchanged");
        cg_reader_done(&r);
}

/* Siblings share their parent's limit files for one TTL; their own are
 * read for their own view. */
static void test_level(const struct cg_hierarchies *h)
{
        char cmd[PATH_MAX * 3];
        struct cg_reader first, second;

        snprintf(cmd, sizeof(cmd), "cp -r '%1$s/sys/fs/cgroup/memory/lxcfsfix/inherit' "
                 "'%1$s/sys/fs/cgroup/memory/lxcfsfix/inherit2'", tree);
        tap_ok(system(cmd) == 0, "a second child without a limit of its own");
        tap_ok(ttl_cache_new(64, fake_clock, &caches.level) == 0, "enable the level cache");
        fake_now += CG_VIEW_TTL_NS;
        reader_in(h, "inherit", &first);
        reader_in(h, "inherit2", &second);
        tap_ok(write_text("memory/lxcfsfix/memory.limit_in_bytes", "536870912\n") == 0, "parent: 512M");
        tap_ok(cached_limit(&first) == 536870912, "first child: 512M from its parent");
        tap_ok(write_text("memory/lxcfsfix/memory.limit_in_bytes", "1073741824\n") == 0, "parent: 1G");
        tap_ok(cached_limit(&second) == 536870912, "second child, within the TTL: the parent's file as read for the first");
        tap_ok(write_text("memory/lxcfsfix/inherit2/memory.limit_in_bytes", "268435456\n") == 0 &&
               write_text("memory/lxcfsfix/memory.limit_in_bytes", "2147483648\n") == 0,
               "second child: 256M of its own; parent: 2G");
        fake_now += CG_VIEW_TTL_NS;
        tap_ok(cached_limit(&second) == 268435456, "after the TTL: the child's own file is read");
        tap_ok(cached_limit(&first) == 2147483648, "... and the parent's again");
        ttl_cache_free(steal_pointer(&caches.level));
        tap_ok(write_text("memory/lxcfsfix/memory.limit_in_bytes", "536870912\n") == 0, "parent: 512M");
        fake_now += CG_VIEW_TTL_NS;
        tap_ok(cached_limit(&first) == 536870912, "level cache off: read fresh");
        cg_reader_done(&first);
        cg_reader_done(&second);
}

static void test_disabled(const struct cg_hierarchies *h)
{
        struct cg_reader r;

        ttl_cache_free(steal_pointer(&caches.view));
        reader_in(h, "limited", &r);
        tap_ok(write_text("memory/lxcfsfix/limited/memory.limit_in_bytes", "67108864\n") == 0, "set 64M");
        tap_ok(cached_limit(&r) == 67108864, "disabled: read fresh at once");
        cg_reader_done(&r);
}

/* ---- pid -> cgroup, on the live v1 memory hierarchy ---- */

static void test_reader_live(void)
{
        struct cg_hierarchies h;
        struct ttl_value *v = NULL;
        const struct cg_reader *r;
        const void *key;
        size_t key_len;
        char name[64], procs[96], pid_text[16];
        pid_t child;
        int fd, status;

        if (geteuid() != 0 || cg_hierarchies_open_live(&h) < 0) {
                tap_skip("needs root and cgroups", "live reader cache");
                return;
        }
        if (h.v1_fd[CG_MEMORY] < 0) {
                tap_skip("no v1 memory hierarchy", "live reader cache");
                cg_hierarchies_close(&h);
                return;
        }
        snprintf(name, sizeof(name), "lxcfs-test-cgcache-%d", (int) getpid());
        tap_ok(mkdirat(h.v1_fd[CG_MEMORY], name, 0755) == 0, "create memory cgroup %s", name);
        tap_ok(ttl_cache_new(64, fake_clock, &caches.reader) == 0, "enable the reader cache");

        child = fork();
        if (child == 0) {
                pause();
                _exit(0);
        }
        tap_ok(cg_reader_load_cached(&caches, &h, child, &v) == 0, "load the child");
        r = v ? cg_reader_of(v) : &(struct cg_reader) { .h = &h };
        tap_ok(r->path[CG_MEMORY] && !strstr(r->path[CG_MEMORY], name), "child not in the test cgroup yet");
        tap_ok(r->keys && cg_key_of(r, CG_KEY_MEMORY, NULL, 0, &key, &key_len) == 0 && key_len > 0,
               "the record carries its keys");
        ttl_value_unref(steal_pointer(&v));

        snprintf(procs, sizeof(procs), "%s/cgroup.procs", name);
        snprintf(pid_text, sizeof(pid_text), "%d", (int) child);
        fd = openat(h.v1_fd[CG_MEMORY], procs, O_WRONLY | O_CLOEXEC);
        tap_ok(fd >= 0 && write(fd, pid_text, strlen(pid_text)) > 0, "move the child");
        if (fd >= 0)
                close(fd);
        tap_ok(cg_reader_load_cached(&caches, &h, child, &v) == 0 && !strstr(cg_reader_of(v)->path[CG_MEMORY], name),
               "within the TTL: the old cgroup");
        ttl_value_unref(steal_pointer(&v));
        fake_now += CG_READER_TTL_NS;
        r = cg_reader_load_cached(&caches, &h, child, &v) == 0 ? cg_reader_of(v) : &(struct cg_reader) { .h = &h };
        tap_ok(r->path[CG_MEMORY] && strstr(r->path[CG_MEMORY], name), "after the TTL: the new one (%s)",
               r->path[CG_MEMORY] ? r->path[CG_MEMORY] : "-");
        ttl_value_unref(steal_pointer(&v));

        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        fake_now += CG_READER_TTL_NS;
        tap_ok(cg_reader_load_cached(&caches, &h, child, &v) == -ESRCH, "an exited reader is -ESRCH after the TTL");

        ttl_cache_free(steal_pointer(&caches.reader));
        tap_ok(unlinkat(h.v1_fd[CG_MEMORY], name, AT_REMOVEDIR) == 0, "remove the test cgroup");
        cg_hierarchies_close(&h);
}

int main(void)
{
        _cleanup_free_ char *mountinfo = tap_fixture("cgroup/v1/mountinfo");
        struct cg_hierarchies h;

        tap_ok(copy_fixtures() == 0, "copy the v1 fixture tree");
        tap_ok(cg_hierarchies_open(&h, mountinfo, tree) == 0, "open the copy");
        tap_ok(ttl_cache_new(64, fake_clock, &caches.view) == 0, "enable the view cache");
        test_memory(&h);
        test_cpu(&h);
        test_level(&h);
        test_disabled(&h);
        cg_hierarchies_close(&h);
        remove_fixtures();

        test_reader_live();
        return tap_done();
}
