/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers of the test-cgroup-* programs: open fixture trees, and print the
 * cgroup view structs as one line of text so that a whole struct is compared
 * at once and a mismatch shows every field. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lxcfs/cgroup.h"
#include "lxcfs/strbuf.h"
#include "tap.h"

/* Open fixture tree `tree` (under tests/fixtures) with its mountinfo file. */
static inline int open_tree(struct cg_hierarchies *h, const char *tree, const char *mountinfo_name)
{
        char rel[PATH_MAX], prefix[PATH_MAX];
        _cleanup_free_ char *mountinfo = NULL;

        snprintf(rel, sizeof(rel), "%s/%s", tree, mountinfo_name);
        snprintf(prefix, sizeof(prefix), "%s/%s", FIXTURES_DIR, tree);
        mountinfo = tap_fixture(rel);
        return cg_hierarchies_open(h, mountinfo, prefix);
}

static inline void load_reader(const struct cg_hierarchies *h, const char *fixture, struct cg_reader *r)
{
        _cleanup_free_ char *text = tap_fixture(fixture);

        tap_ok(cg_reader_parse(h, text, r) == 0, "parse %s", fixture);
}

/* Remove every line that contains needle (to make "controller missing"). */
static inline void drop_lines_with(char *text, const char *needle)
{
        char *hit;

        while ((hit = strstr(text, needle))) {
                char *start = hit, *end = strchr(hit, '\n');

                while (start > text && start[-1] != '\n')
                        start--;
                end = end ? end + 1 : hit + strlen(hit);
                memmove(start, end, strlen(end) + 1);
        }
}

static const char *const memstat_names[_MEMSTAT_MAX] = {
        "anon", "file", "shmem", "mapped", "dirty", "writeback", "active_anon", "inactive_anon",
        "active_file", "inactive_file", "unevictable", "slab", "slab_reclaimable",
        "slab_unreclaimable", "kernel_stack", "pagetables", "swapcached",
};

static inline void format_memory(const struct cg_memory *m, struct strbuf *sb)
{
        if (m->limited)
                strbuf_printf(sb, "limit=%llu", (unsigned long long) m->limit);
        else
                strbuf_puts(sb, "limit=none");
        strbuf_printf(sb, " usage=%llu", (unsigned long long) m->usage);
        if (m->swap_limited)
                strbuf_printf(sb, " swap_limit=%llu", (unsigned long long) m->swap_limit);
        else
                strbuf_puts(sb, " swap_limit=none");
        if (m->swap_usage_known)
                strbuf_printf(sb, " swap_usage=%llu", (unsigned long long) m->swap_usage);
        else
                strbuf_puts(sb, " swap_usage=?");
        for (int f = 0; f < _MEMSTAT_MAX; f++) {
                if (cg_memstat_has(m, f))
                        strbuf_printf(sb, " %s=%llu", memstat_names[f], (unsigned long long) m->stat[f]);
                else
                        strbuf_printf(sb, " %s=-", memstat_names[f]);
        }
}

static inline void format_cpu_limits(const struct cg_cpu_limits *l, struct strbuf *sb)
{
        strbuf_puts(sb, "cpuset=");
        if (l->has_cpuset)
                cpuset_format(&l->cpuset, sb);
        else
                strbuf_puts(sb, "none");
        if (l->has_quota)
                strbuf_printf(sb, " quota=%llu/%llu", (unsigned long long) l->quota_us,
                              (unsigned long long) l->period_us);
        else
                strbuf_puts(sb, " quota=none");
        strbuf_printf(sb, " cpus=%u", cg_quota_cpus(l));
}

static inline void format_cpu_usage(const struct cg_cpu_usage *u, struct strbuf *sb)
{
        strbuf_printf(sb, "user=%llu system=%llu percpu=[", (unsigned long long) u->user_ns,
                      (unsigned long long) u->system_ns);
        for (unsigned i = 0; i < u->n_percpu; i++)
                strbuf_printf(sb, "%s%u:%llu/%llu", i ? " " : "", i,
                              (unsigned long long) u->percpu_user_ns[i],
                              (unsigned long long) u->percpu_system_ns[i]);
        strbuf_puts(sb, "]");
}

static inline void format_io(const struct cg_io_stats *s, struct strbuf *sb)
{
        for (size_t i = 0; i < s->n; i++) {
                const struct cg_io_device *d = &s->dev[i];

                strbuf_printf(sb, "%s%u:%u rbytes=%llu wbytes=%llu rios=%llu wios=%llu dbytes=%llu dios=%llu"
                              " rtime=%llu wtime=%llu", i ? "; " : "", d->major, d->minor,
                              (unsigned long long) d->rbytes, (unsigned long long) d->wbytes,
                              (unsigned long long) d->rios, (unsigned long long) d->wios,
                              (unsigned long long) d->dbytes, (unsigned long long) d->dios,
                              (unsigned long long) d->rtime_ns, (unsigned long long) d->wtime_ns);
        }
}

/* Compare a read's return value, and when it succeeded the whole struct. */
static inline void check_result(int r, int want_r, struct strbuf *sb, const char *want, const char *name)
{
        if (r != want_r) {
                tap_ok(0, "%s", name);
                printf("# returned %d (%s), want %d\n", r, strerror(-r), want_r);
                return;
        }
        if (r < 0) {
                tap_ok(1, "%s", name);
                return;
        }
        tap_streq(sb->data ? sb->data : "", want, name);
}

static inline void check_memory(const struct cg_reader *r, int want_r, const char *want, const char *name)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        struct cg_memory m;
        int k = cg_memory_read(r, &m);

        if (k >= 0)
                format_memory(&m, &sb);
        check_result(k, want_r, &sb, want, name);
}

static inline void check_cpu_limits(const struct cg_reader *r, int want_r, const char *want, const char *name)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        struct cg_cpu_limits l;
        int k = cg_cpu_limits_read(r, &l);

        if (k >= 0)
                format_cpu_limits(&l, &sb);
        check_result(k, want_r, &sb, want, name);
}

static inline void check_cpu_usage(const struct cg_reader *r, int want_r, const char *want, const char *name)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        struct cg_cpu_usage u;
        int k = cg_cpu_usage_read(r, &u);

        if (k >= 0) {
                format_cpu_usage(&u, &sb);
                cg_cpu_usage_done(&u);
        }
        check_result(k, want_r, &sb, want, name);
}

static inline void check_io(const struct cg_reader *r, int want_r, const char *want, const char *name)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        struct cg_io_stats s;
        int k = cg_io_stats_read(r, &s);

        if (k >= 0) {
                format_io(&s, &sb);
                cg_io_stats_done(&s);
        }
        check_result(k, want_r, &sb, want, name);
}
