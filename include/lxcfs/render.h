/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The renderers of the virtual files. Each file has a pure function,
 * <name>_render(): parsed host text and the reader's cgroup view in, text
 * out; no I/O, no globals, no clock. Its <name>_generate() (the vfile table
 * entry) gathers those inputs for one reader and calls it. Inputs set to
 * NULL mean "no per-container view": the host text is passed through. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lxcfs/cgroup.h"
#include "lxcfs/cpuset.h"
#include "lxcfs/loadavg.h"
#include "lxcfs/strbuf.h"
#include "lxcfs/vfile.h"

/* ---- /proc/meminfo, /proc/swaps ---- */

struct meminfo_input {
        const char *host;             /* host /proc/meminfo */
        const struct cg_memory *mem;  /* NULL or not limited: host text */
        bool use_swap;
};

int meminfo_render(const struct meminfo_input *in, struct strbuf *out);

/* The swap a container sees, in kB (shared by meminfo and swaps). */
void meminfo_swap_kb(const char *host, const struct cg_memory *mem, bool use_swap,
                     uint64_t *ret_total, uint64_t *ret_used);

struct swaps_input {
        const char *host;             /* host /proc/swaps, used when !container */
        bool container;
        uint64_t total_kb, used_kb;
};

int swaps_render(const struct swaps_input *in, struct strbuf *out);

/* ---- /proc/cpuinfo, sys/devices/system/cpu/online ---- */

struct cpuinfo_input {
        const char *host;
        const struct cpuset *visible;
};

int cpuinfo_render(const struct cpuinfo_input *in, struct strbuf *out);

struct cpu_online_input {
        const struct cpuset *visible;
};

int cpu_online_render(const struct cpu_online_input *in, struct strbuf *out);

/* ---- /proc/stat, /proc/uptime ---- */

/* One visible CPU as the container sees it, in clock ticks (USER_HZ). */
struct cpu_times {
        unsigned cpu;
        uint64_t user, system, idle;
};

/* Split the container's CPU time over the visible CPUs and derive their
 * idle time from the container's age. `ret` holds cpuset_count(visible)
 * entries. usage may be NULL (counted as no CPU time used). */
void stat_cpu_times(const struct cg_cpu_usage *usage, const struct cpuset *visible,
                    uint64_t elapsed_ticks, unsigned hz, struct cpu_times *ret);

struct stat_input {
        const char *host;                  /* host /proc/stat */
        const struct cpuset *visible;
        const struct cg_cpu_usage *usage;  /* NULL: host text */
        uint64_t elapsed_ticks;            /* container age */
        unsigned hz;                       /* USER_HZ */
        const struct task_counts *tasks;   /* NULL: host procs_running/blocked */
};

int stat_render(const struct stat_input *in, struct strbuf *out);

struct uptime_input {
        const char *host;        /* host /proc/uptime, used when !container */
        bool container;
        uint64_t uptime_ticks;   /* container age */
        uint64_t idle_ticks;     /* sum over the visible CPUs */
        unsigned hz;
};

int uptime_render(const struct uptime_input *in, struct strbuf *out);

/* ---- /proc/loadavg ---- */

struct loadavg_input {
        const char *host;
        const struct loadavg_value *value; /* NULL: host text */
};

int loadavg_render(const struct loadavg_input *in, struct strbuf *out);

/* ---- /proc/diskstats ---- */

struct diskstats_input {
        const char *host;               /* host /proc/diskstats */
        const struct cg_io_stats *io;   /* NULL: host text */
        /* names[i] names io->dev[i]; NULL (array or entry): the name on the
         * host line with the same major:minor. */
        const char *const *names;
};

int diskstats_render(const struct diskstats_input *in, struct strbuf *out);

/* ---- /proc/slabinfo, /proc/pressure/{cpu,memory,io} ---- */

/* A file the kernel keeps per cgroup in the host file's format: the
 * reader's cgroup file (ctx->file->cgroup_file) as it is, else the host's
 * (ctx->file->host). */
struct cgroup_copy {
        enum cg_controller controller; /* the hierarchy the cgroup file is in */
        bool unified;                  /* ... on cgroup v2 (see cg_reader_file()) */
        bool empty_is_host;            /* an empty cgroup file: the host's text */
        bool (*valid)(const char *text); /* false: -EINVAL, not the host's text */
};

/* cgroup NULL: the host text. -EINVAL when spec->valid refuses cgroup. */
int cgroup_copy_render(const struct cgroup_copy *spec, const char *host, const char *cgroup,
                       struct strbuf *out);
/* Reads the reader's cgroup file, and the host's only when it is the answer. */
int cgroup_copy_generate(struct render_ctx *ctx, const struct cgroup_copy *spec, struct strbuf *out);

struct slabinfo_input {
        const char *host;    /* host /proc/slabinfo */
        const char *cgroup;  /* v1 memory.kmem.slabinfo; NULL or empty: host */
};

/* -EINVAL when the cgroup text is not in slabinfo's format. */
int slabinfo_render(const struct slabinfo_input *in, struct strbuf *out);

struct pressure_input {
        const char *host;    /* host /proc/pressure/X */
        const char *cgroup;  /* the reader's X.pressure (v2); NULL: host */
};

/* -EINVAL when the cgroup text has a line other than "some"/"full". */
int pressure_render(const struct pressure_input *in, struct strbuf *out);

/* ---- process clock helpers (src/render/procfs.c) ---- */

/* Field 22 (starttime, clock ticks since boot) of /proc/PID/stat text. */
int proc_stat_parse_starttime(const char *text, uint64_t *ret);
/* Field 4 (ppid) of /proc/PID/stat text. */
int proc_stat_parse_ppid(const char *text, pid_t *ret);
/* The "NSpid:" line of /proc/PID/status: namespace depth (1 = ours) and
 * the pid as seen inside the process's own namespace. */
int proc_status_parse_nspid(const char *text, unsigned *ret_depth, pid_t *ret_inner);
/* First number of /proc/uptime text, in hundredths of a second. */
int proc_uptime_parse_centisec(const char *text, uint64_t *ret);

/* 1 when pid is in our own pid namespace, 0 when not, or -errno. */
int pid_in_host_pidns(pid_t pid);
/* The process that is pid 1 of pid's namespace (also when pid joined the
 * namespace with setns() and its parent is outside). -ESRCH when pid or the
 * namespace's init is gone. */
int pidns_init_pid(pid_t pid, pid_t *ret);
/* Inode of pid's pid namespace (/proc/PID/ns/pid); -ESRCH when pid is gone. */
int pidns_inode(pid_t pid, uint64_t *ret);
/* Clock ticks since the init of pid's namespace started. */
int pidns_age_ticks(pid_t pid, unsigned hz, uint64_t *ret);
/* USER_HZ. */
unsigned clock_ticks_per_sec(void);

/* ---- table entries ---- */

int cpuinfo_generate(struct render_ctx *ctx, struct strbuf *out);
int diskstats_generate(struct render_ctx *ctx, struct strbuf *out);
int loadavg_generate(struct render_ctx *ctx, struct strbuf *out);
int meminfo_generate(struct render_ctx *ctx, struct strbuf *out);
int stat_generate(struct render_ctx *ctx, struct strbuf *out);
int swaps_generate(struct render_ctx *ctx, struct strbuf *out);
int uptime_generate(struct render_ctx *ctx, struct strbuf *out);
int cpu_online_generate(struct render_ctx *ctx, struct strbuf *out);
int slabinfo_generate(struct render_ctx *ctx, struct strbuf *out);
int pressure_generate(struct render_ctx *ctx, struct strbuf *out);
