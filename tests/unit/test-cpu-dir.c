/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sys/devices/system/cpu: the entry filter on the listing of a real host,
 * and the mirror of a host directory (tests/fixtures/host/sys-devices-
 * system-cpu): inode numbers from the path, found again by a new process,
 * no symlink of the host tree followed, nothing writable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/mirror.h"
#include "lxcfs/vtree.h"
#include "tap.h"

#define FIXTURES FIXTURES_DIR "/host"

static struct vmirror_view view_of(const char *cpus)
{
        struct vmirror_view v = { .all = false };

        if (cpuset_parse(cpus, &v.shown) < 0)
                abort();
        return v;
}

/* The names of the fixture listing shown with view v, space separated. */
static char *shown(const struct vmirror_view *v)
{
        FILE *f = fopen(FIXTURES "/sys-devices-system-cpu.ls", "re");
        char line[256], *out = calloc(1, 4096);

        if (!f || !out)
                abort();
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (cpu_dir_entry_visible(line, v)) {
                        strcat(out, line);
                        strcat(out, " ");
                }
        }
        fclose(f);
        return out;
}

static void test_filter(void)
{
        struct vmirror_view one = view_of("1"), all = { .all = true }, none = view_of("");
        char *s;

        s = shown(&one);
        tap_ok(streq(s, "cpu1 cpufreq cpuidle enabled hotplug isolated kernel_max modalias offline "
                        "online possible power present smt uevent vulnerabilities "),
               "cpuset 1: cpu1 and every other entry (%s)", s);
        free(s);
        s = shown(&all);
        tap_ok(startswith(s, "cpu0 cpu1 cpufreq "), "a reader with the host's view: everything (%s)", s);
        free(s);
        s = shown(&none);
        tap_ok(startswith(s, "cpufreq cpuidle "), "no CPU: no cpuN (%s)", s);
        free(s);

        one = view_of("2,4-5");
        tap_ok(cpu_dir_entry_visible("cpu4", &one) && cpu_dir_entry_visible("cpu5", &one) &&
               !cpu_dir_entry_visible("cpu3", &one) && !cpu_dir_entry_visible("cpu45", &one),
               "ranges: cpu4, cpu5 shown; cpu3, cpu45 hidden");
        tap_ok(cpu_dir_entry_visible("cpu", &one) && cpu_dir_entry_visible("cpu01", &one) &&
               cpu_dir_entry_visible("cpu2x", &one) && cpu_dir_entry_visible("cpufreq", &one),
               "names that are not cpuN are never hidden");
        tap_ok(!cpu_dir_entry_visible("cpu4096", &one) && !cpu_dir_entry_visible("cpu99999999999999999999", &one),
               "ids beyond any cpuset are hidden");
}

static const struct vmirror row = {
        .path = "sys/devices/system/cpu",
        .host_dir = FIXTURES "/sys-devices-system-cpu",
};

static uint64_t lookup(struct mirror *m, uint64_t parent, const char *name, mode_t *mode)
{
        struct stat st;
        int r = mirror_lookup(m, parent, name, &st, NULL);

        if (r < 0)
                return 0;
        if (mode)
                *mode = st.st_mode;
        return st.st_ino;
}

static void test_mirror(void)
{
        struct mirror m;
        struct content *c = NULL;
        struct mirror_dirent *list = NULL;
        char *rel = NULL, *target = NULL;
        uint64_t cpu0, topo, core;
        mode_t mode = 0;
        size_t n = 0;
        int r;

        tap_ok(mirror_init(&m, &row, 42) == 0, "mirror of the fixture directory");
        cpu0 = lookup(&m, 42, "cpu0", &mode);
        tap_ok(cpu0 && S_ISDIR(mode) && (mode & 0777) == 0555, "cpu0: a directory, read-only (%o)", mode);
        topo = lookup(&m, cpu0, "topology", NULL);
        core = lookup(&m, topo, "core_id", &mode);
        tap_ok(core && S_ISREG(mode) && !(mode & 0222), "cpu0/topology/core_id: a file without write bits");
        tap_ok(core == mirror_ino(&m, "cpu0/topology/core_id") && (core & MIRROR_INO_BIT),
               "its inode is the hash of its path, bit 63 set");
        /* Pinned: a change renumbers the host entries across an upgrade. */
        tap_ok(core == UINT64_C(0x82b85d7048155b60), "inode of cpu0/topology/core_id is pinned (%#llx)",
               (unsigned long long) core);
        r = mirror_read(&m, "cpu0/topology/core_id", &c);
        tap_ok(r == 0 && c->len == 2 && memcmp(c->data, "0\n", 2) == 0, "read: the host's bytes");
        if (c)
                content_unref(c);

        mirror_forget_all(&m);   /* as a new daemon process after a handover */
        r = mirror_resolve(&m, core, &rel);
        tap_ok(r == 0 && streq(rel, "cpu0/topology/core_id"),
               "a new process finds the path of an inode it never gave out (%s)", rel ?: "-");
        free(rel);
        rel = NULL;
        tap_ok(mirror_resolve(&m, MIRROR_INO_BIT | 12345, &rel) == -ESTALE, "an unknown inode: ESTALE");

        /* cpu0/cpufreq is a symlink: shown as one, never followed here (the
         * reader's kernel follows it to ../cpufreq/policy0 in the mount). */
        tap_ok(lookup(&m, cpu0, "cpufreq", &mode) && S_ISLNK(mode), "cpu0/cpufreq is a symlink");
        tap_ok(mirror_readlink(&m, "cpu0/cpufreq", &target) == 0 && streq(target, "../cpufreq/policy0"),
               "readlink gives the host's target");
        free(target);
        r = mirror_read(&m, "cpu0/cpufreq/scaling_cur_freq", &c);
        tap_ok(r == -ELOOP || r == -ENOTDIR, "a path through the symlink is not followed (%d)", r);
        r = mirror_read(&m, "cpufreq/policy0/scaling_cur_freq", &c);
        tap_ok(r == 0, "the same file by its real path is read");
        if (r == 0)
                content_unref(c);
        tap_ok(lookup(&m, cpu0, "..", NULL) == 0 && lookup(&m, 42, "a/b", NULL) == 0 &&
               mirror_read(&m, "../sys-devices-system-cpu.ls", &c) == -EINVAL,
               "no way out: '..' and '/' are refused");
        tap_ok(lookup(&m, 42, "nope", NULL) == 0, "a missing entry is not found");

        r = mirror_list(&m, "", &list, &n);
        tap_ok(r == 0 && n == 7, "the root lists the host's 7 entries (%zu)", n);
        mirror_dirents_free(list, n);
        r = mirror_list(&m, "cpu1", &list, &n);
        tap_ok(r == 0 && n == 3, "cpu1 lists topology, subsystem, cpufreq (%zu)", n);
        for (size_t i = 0; r == 0 && i < n; i++)
                if (streq(list[i].name, "subsystem"))
                        tap_ok(list[i].type == S_IFLNK && list[i].ino == mirror_ino(&m, "cpu1/subsystem"),
                               "subsystem listed as a symlink with its inode");
        mirror_dirents_free(list, n);
        tap_ok(mirror_list(&m, "cpu1/subsystem", &list, &n) < 0, "a symlink is not listed as a directory");
        mirror_done(&m);
}

static int no_generate(struct render_ctx *ctx, struct strbuf *out) { return 0; }

/* The mirror's directory joins the tree even when no row lives under it
 * (--disable-file sys/devices/system/cpu/online). */
static void test_tree_dir(void)
{
        static const struct vfile files[] = {
                { .path = "proc/meminfo", .mode = 0444, .generate = no_generate },
                { .path = "sys/devices/system/cpu/online", .mode = 0444, .generate = no_generate },
        };
        const struct vnode *cpu;
        struct vtree t;
        int r;

        tap_ok(vtree_build(files, 1, &t) == 0 && vtree_add_dir(&t, "sys/devices/system/cpu") == 0,
               "a tree without the cpu row gets the directory");
        cpu = vtree_by_ino(&t, vtree_path_ino("sys/devices/system/cpu"));
        tap_ok(cpu && !cpu->file && cpu->parent_ino == vtree_path_ino("sys/devices/system") &&
               vtree_lookup(&t, VTREE_ROOT_INO, "sys"), "with its parents, by the path's inode");
        tap_ok(t.n == 1 + 2 + 4, "root, proc, meminfo, sys/devices/system/cpu (%zu nodes)", t.n);
        vtree_free(&t);
        r = vtree_build(files, 2, &t);
        if (r == 0)
                r = vtree_add_dir(&t, "sys/devices/system/cpu");
        tap_ok(r == 0 && t.n == 1 + 2 + 5, "a tree that has it already is unchanged (%zu nodes)", t.n);
        vtree_free(&t);
}

int main(void)
{
        test_filter();
        test_mirror();
        test_tree_dir();
        return tap_done();
}
