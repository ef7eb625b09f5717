/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lxcfs-remount [OPTIONS] [MOUNTPOINT]
 *
 * After lxcfs restarts, bind mounts of its files in containers still point
 * at the dead FUSE connection. Rebind every such stale entry, in every mount
 * namespace, to the same path of the live mount.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lxcfs/fileio.h"
#include "lxcfs/parse.h"
#include "lxcfs/log.h"
#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "mount-api.h"

#define DEFAULT_MOUNTPOINT "/var/lib/lxcfs"
#define DEFAULT_TIMEOUT_S 5

enum mode { MODE_HEAL, MODE_DRY_RUN, MODE_LIST };

struct cli {
        const char *mountpoint;
        enum mode mode;
        bool verbose;
        struct remount_heal_opts heal;
};

struct totals {
        size_t rebound, failed, stale, ns_touched, ns_lxcfs;
};

/* Worker processes healing namespaces while the walk goes on. Each mostly
 * waits for RCU grace periods in umount: a few more than the CPUs keep
 * them busy, more only add contention on those grace periods. */
#define N_WORKERS 8

struct walk_ctx {
        const struct cli *cli;
        const struct remount_live *live;
        struct totals t;
        struct remount_pool *pool;
};

static void help(void)
{
        printf("Usage: lxcfs-remount [OPTIONS] [MOUNTPOINT]\n\n"
               "Rebind stale lxcfs bind mounts in every mount namespace to the live\n"
               "lxcfs mount at MOUNTPOINT (default " DEFAULT_MOUNTPOINT ").\n\n"
               "  -n, --dry-run        say what would be rebound, change nothing\n"
               "  -l, --list           list every namespace using lxcfs and its entries\n"
               "  -t, --timeout SECS   give up on one namespace after SECS (default %d)\n"
               "  -v, --verbose        report each entry\n"
               "  -h, --help           show this help\n"
               "  -V, --version        show the version\n\n"
               "Exit status: 0 nothing left stale, 1 some entries could not be healed\n"
               "(or no live lxcfs, or a kernel without open_tree()), 2 usage error.\n",
               DEFAULT_TIMEOUT_S);
}

static int parse_args(int argc, char **argv, struct cli *cli)
{
        static const struct option opts[] = {
                { "dry-run", no_argument,       NULL, 'n' },
                { "list",    no_argument,       NULL, 'l' },
                { "timeout", required_argument, NULL, 't' },
                { "verbose", no_argument,       NULL, 'v' },
                { "help",    no_argument,       NULL, 'h' },
                { "version", no_argument,       NULL, 'V' },
                {}
        };
        int c;

        *cli = (struct cli) {
                .mountpoint = DEFAULT_MOUNTPOINT,
                .heal.timeout_ms = DEFAULT_TIMEOUT_S * 1000,
                .heal.no_beneath = getenv("LXCFS_REMOUNT_TEST_NO_BENEATH") != NULL,
                .heal.stall_first_worker = getenv("LXCFS_REMOUNT_TEST_STALL_WORKER") != NULL,
        };
        while ((c = getopt_long(argc, argv, "nlt:vhV", opts, NULL)) >= 0) {
                char *end;
                unsigned long v;

                switch (c) {
                case 'n': cli->mode = MODE_DRY_RUN; break;
                case 'l': cli->mode = MODE_LIST; break;
                case 'v': cli->verbose = true; break;
                case 't':
                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno || *end || v == 0 || v > 3600) {
                                fprintf(stderr, "lxcfs-remount: invalid timeout '%s'\n", optarg);
                                return -EINVAL;
                        }
                        cli->heal.timeout_ms = (unsigned) v * 1000;
                        break;
                case 'h': help(); exit(EXIT_SUCCESS);
                case 'V': printf("lxcfs-remount %s\n", LXCFS_VERSION); exit(EXIT_SUCCESS);
                default: return -EINVAL;
                }
        }
        if (optind < argc)
                cli->mountpoint = argv[optind++];
        if (optind < argc) {
                fprintf(stderr, "lxcfs-remount: too many arguments\n");
                return -EINVAL;
        }
        return 0;
}

/* The cgroup path of pid, as a hint of which container it is. */
static char *cgroup_hint(int pid_dir_fd)
{
        _cleanup_free_ char *text = NULL;
        const char *best = NULL;
        size_t best_len = 0;

        if (read_file_at(pid_dir_fd, "cgroup", &text, NULL) < 0)
                return strdup("?");
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *ctrls = strchr(line, ':'), *path = ctrls ? strchr(ctrls + 1, ':') : NULL;
                bool memory, unified;

                if (!path)
                        continue;
                *path++ = '\0';
                ctrls++;
                /* v1 memory hierarchy first (the limit lxcfs shows), else v2. */
                memory = strstr(ctrls, "memory") != NULL;
                unified = *ctrls == '\0';
                if (memory || (unified && !best) || !best) {
                        best = path;
                        best_len = strlen(path);
                }
                if (memory)
                        break;
        }
        return best ? strndup(best, best_len) : strdup("?");
}

static void list_ns(const struct remount_ns *ns)
{
        _cleanup_free_ char *cg = cgroup_hint(ns->pid_dir_fd);

        printf("mnt:[%" PRIu64 "] pid %d cgroup %s\n", ns->ino, (int) ns->pid, cg ?: "?");
        for (size_t i = 0; i < ns->n_entries; i++) {
                const struct remount_entry *e = &ns->entries[i];

                printf("  %-7s %s (lxcfs %s, mount %d%s)\n", remount_state_to_string(e->state),
                       e->target, e->root, e->mount_id, e->attr & MOUNT_ATTR_RDONLY ? ", ro" : "");
        }
}

static void report_failure(const struct remount_ns *ns, const struct remount_entry *e)
{
        const char *why;

        switch (e->result) {
        case -ELOOP:     why = "a symlink is on its path, refusing to mount through it"; break;
        case -ESTALE:    why = "the path no longer leads to the mount listed in mountinfo"; break;
        case -ETIMEDOUT: why = "the namespace did not answer in time"; break;
        default:         why = NULL;
        }
        if (why)
                log_warning("Could not rebind %s in mnt:[%" PRIu64 "] (pid %d): %s",
                            e->target, ns->ino, (int) ns->pid, why);
        else
                log_warning_errno(e->result, "Could not rebind %s in mnt:[%" PRIu64 "] (pid %d): %m",
                                  e->target, ns->ino, (int) ns->pid);
}

/* A container that exits during the walk takes its mounts with it; what
 * failed there is not a failure to report. True when the process of ns is
 * gone or its mountinfo no longer lists the entry's mount. */
static bool entry_vanished(const struct remount_ns *ns, const struct remount_entry *e)
{
        _cleanup_free_ char *text = NULL;
        char id[32];
        size_t pos = 0, len;
        const char *line;

        if (read_file_at(ns->pid_dir_fd, "mountinfo", &text, NULL) < 0)
                return true;
        snprintf(id, sizeof(id), "%d ", e->mount_id);
        while ((line = next_line(text, &pos, &len)))
                if (len > strlen(id) && strncmp(line, id, strlen(id)) == 0)
                        return false;
        return true;
}

static void account(struct walk_ctx *ctx, const struct remount_ns *ns)
{
        size_t ok = 0;

        for (size_t i = 0; i < ns->n_entries; i++) {
                const struct remount_entry *e = &ns->entries[i];

                if (e->state != REMOUNT_STALE)
                        continue;
                if (e->result < 0 && entry_vanished(ns, e)) {
                        log_debug("mnt:[%" PRIu64 "] (pid %d) went away during the walk; skipped %s",
                                  ns->ino, (int) ns->pid, e->target);
                        continue;
                }
                if (e->result < 0) {
                        report_failure(ns, e);
                        ctx->t.failed++;
                        continue;
                }
                log_debug("Rebound %s in mnt:[%" PRIu64 "] (pid %d) to %s%s (%s)", e->target,
                          ns->ino, (int) ns->pid, ctx->live->mountpoint, e->root,
                          remount_method_to_string(e->method));
                ok++;
        }
        ctx->t.rebound += ok;
        ctx->t.ns_touched += ok > 0;
}

static void on_healed(struct remount_ns *ns, void *userdata)
{
        account(userdata, ns);
}

static int on_namespace(struct remount_ns *ns, void *userdata)
{
        struct walk_ctx *ctx = userdata;
        size_t stale = remount_ns_count(ns, REMOUNT_STALE);

        ctx->t.ns_lxcfs++;
        ctx->t.stale += stale;
        switch (ctx->cli->mode) {
        case MODE_LIST:
                list_ns(ns);
                return 0;
        case MODE_DRY_RUN:
                for (size_t i = 0; i < ns->n_entries; i++)
                        if (ns->entries[i].state == REMOUNT_STALE)
                                log_info("Would rebind %s in mnt:[%" PRIu64 "] (pid %d) to %s%s",
                                         ns->entries[i].target, ns->ino, (int) ns->pid,
                                         ctx->live->mountpoint, ns->entries[i].root);
                ctx->t.ns_touched += stale > 0;
                return 0;
        case MODE_HEAL:
                return stale > 0 ? remount_pool_submit(ctx->pool, ns) : 0;
        }
        return 0;
}

static long long elapsed_ms(const struct timespec *start)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - start->tv_sec) * 1000LL + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static int open_live(const char *mountpoint, struct remount_live *live)
{
        int r = remount_live_open(mountpoint, live);

        switch (r) {
        case 0:
                return 0;
        case -ENOENT:
                return log_error_errno(r, "No lxcfs is mounted at %s", mountpoint);
        case -EMEDIUMTYPE:
                return log_error_errno(r, "%s is not an lxcfs mount (%s)", mountpoint, LXCFS_FSTYPE);
        case -ENOTCONN:
                return log_error_errno(r, "The lxcfs daemon of %s is not running: %m", mountpoint);
        default:
                return log_error_errno(r, "Failed to find the live lxcfs mount at %s: %m", mountpoint);
        }
}

static const char *entries(size_t n) { return n == 1 ? "entry" : "entries"; }
static const char *namespaces(size_t n) { return n == 1 ? "namespace" : "namespaces"; }

static void summarize(const struct cli *cli, const struct totals *t,
                      const struct remount_walk_stats *ws, long long ms)
{
        if (cli->mode == MODE_DRY_RUN)
                log_info("Would rebind %zu stale lxcfs %s in %zu mount %s (dry run)",
                         t->stale, entries(t->stale), t->ns_touched, namespaces(t->ns_touched));
        else if (cli->mode == MODE_HEAL)
                log_info("Rebound %zu stale lxcfs %s in %zu mount %s in %lld ms; %zu failed",
                         t->rebound, entries(t->rebound), t->ns_touched, namespaces(t->ns_touched),
                         ms, t->failed);
        log_debug("Checked %zu mount namespaces, %zu using lxcfs, %zu processes exited meanwhile",
                  ws->n_namespaces, t->ns_lxcfs, ws->n_vanished);
}

int main(int argc, char **argv)
{
        _cleanup_(remount_live_done) struct remount_live live = REMOUNT_LIVE_INIT;
        struct remount_walk_stats ws = {};
        struct walk_ctx ctx = {};
        struct timespec start;
        struct cli cli;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &start);
        if (parse_args(argc, argv, &cli) < 0) {
                fprintf(stderr, "Try 'lxcfs-remount --help'.\n");
                return 2;
        }
        log_open(log_target_auto(), "lxcfs-remount");
        if (cli.verbose)
                log_set_max_level(LOG_DEBUG);
        remount_test_no_open_tree = getenv("LXCFS_REMOUNT_TEST_NO_OPEN_TREE") != NULL;

        if (cli.mode == MODE_HEAL && remount_check_kernel() == -ENOSYS) {
                log_error("This kernel has no open_tree()/move_mount() (Linux 5.2 or newer is "
                          "needed): cannot rebind lxcfs entries; restart the containers instead");
                return 1;
        }
        if (open_live(cli.mountpoint, &live) < 0)
                return 1;

        ctx = (struct walk_ctx) { .cli = &cli, .live = &live };
        if (cli.mode == MODE_HEAL) {
                const char *nw = getenv("LXCFS_REMOUNT_TEST_WORKERS");

                r = remount_pool_new(&live, &cli.heal, nw ? (unsigned) atoi(nw) : N_WORKERS,
                                     on_healed, &ctx, &ctx.pool);
                if (r < 0) {
                        log_error_errno(r, "Failed to set up the workers: %m");
                        return 1;
                }
        }
        r = remount_walk(live.proc_fd, &live, on_namespace, &ctx, &ws);
        if (ctx.pool) {
                remount_pool_drain(ctx.pool);
                remount_pool_free(ctx.pool);
        }
        if (r == -ENOSYS) {
                log_error("This kernel has no open_tree(): Linux 5.2 or newer is needed");
                return 1;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to walk the mount namespaces: %m");
                return 1;
        }

        summarize(&cli, &ctx.t, &ws, elapsed_ms(&start));
        fflush(stdout);
        return ctx.t.failed > 0 ? 1 : 0;
}
