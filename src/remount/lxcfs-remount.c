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
#include <sys/resource.h>
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

/* LXCFS_REMOUNT_TEST_FAIL_ATTACH: "first" (the first pass only) or any
 * other value (every pass). */
enum fail_attach { FAIL_ATTACH_NEVER, FAIL_ATTACH_FIRST, FAIL_ATTACH_ALWAYS };

struct cli {
        const char *mountpoint;
        enum mode mode;
        bool verbose;
        enum fail_attach fail_attach;
        struct remount_heal_opts heal;
};

struct totals {
        size_t rebound, failed, stale, ns_touched, ns_lxcfs;
        size_t unknown;        /* entries left alone: their server did not say */
};

/* Exit statuses (man page, EXIT STATUS). */
enum {
        EXIT_HEALED = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
        EXIT_LEFT_UNKNOWN = 3,  /* all healed, but entries of a server that did not answer were left alone */
};

/* Worker processes healing namespaces while the walk goes on. Each mostly
 * waits for RCU grace periods in umount: a few more than the CPUs keep
 * them busy, more only add contention on those grace periods. */
#define N_WORKERS 8

/* Heal passes: the first, then at most two more for entries that the
 * check after a pass finds gone or stale again (mount propagation). */
#define MAX_PASSES 3

struct walk_ctx {
        const struct cli *cli;
        const struct remount_live *live;
        struct totals t;
        struct remount_pool *pool;
        struct remount_probe_cache probes;
        struct remount_survey survey;
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
               "(or no live lxcfs, or a kernel without open_tree()), 2 usage error,\n"
               "3 nothing left stale but entries whose server did not answer were left alone.\n",
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
        const char *fail = getenv("LXCFS_REMOUNT_TEST_FAIL_ATTACH");
        if (fail && *fail)
                cli->fail_attach = streq(fail, "first") ? FAIL_ATTACH_FIRST : FAIL_ATTACH_ALWAYS;
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

static const char *entries(size_t n) { return n == 1 ? "entry" : "entries"; }
static const char *namespaces(size_t n) { return n == 1 ? "namespace" : "namespaces"; }

static const char *failure_reason(int r)
{
        switch (r) {
        case -ELOOP:     return "a symlink is on its path, refusing to mount through it";
        case -ESTALE:    return "the path no longer leads to the mount listed in mountinfo";
        case -ETIMEDOUT: return "the namespace did not answer in time";
        default:         return NULL;
        }
}

static void report_failure(const struct remount_ns *ns, const struct remount_entry *e,
                           enum remount_state now)
{
        const char *why = failure_reason(e->result);

        if (now == REMOUNT_MISSING && e->result == 0)
                log_warning("Lost the lxcfs entry at %s in mnt:[%" PRIu64 "] (pid %d) during the "
                            "heal and could not restore it: readers there see the host's file",
                            e->target, ns->ino, (int) ns->pid);
        else if (now == REMOUNT_MISSING)
                log_warning_errno(e->result, "Lost the lxcfs entry at %s in mnt:[%" PRIu64 "] (pid %d) "
                                  "during the heal and could not restore it (%m): readers there "
                                  "see the host's file", e->target, ns->ino, (int) ns->pid);
        else if (why)
                log_warning("Could not rebind %s in mnt:[%" PRIu64 "] (pid %d): %s",
                            e->target, ns->ino, (int) ns->pid, why);
        else if (e->result < 0)
                log_warning_errno(e->result, "Could not rebind %s in mnt:[%" PRIu64 "] (pid %d): %m",
                                  e->target, ns->ino, (int) ns->pid);
        else
                log_warning("Could not rebind %s in mnt:[%" PRIu64 "] (pid %d): it is stale again",
                            e->target, ns->ino, (int) ns->pid);
}

/* Entries whose server could not say whether it is alive are left alone:
 * one warning per namespace. */
static void warn_unknown(const struct walk_ctx *ctx, const struct remount_ns *ns)
{
        const struct remount_entry *first = NULL;
        size_t n = 0;

        for (size_t i = 0; i < ns->n_entries; i++)
                if (ns->entries[i].state == REMOUNT_UNKNOWN) {
                        first = first ?: &ns->entries[i];
                        n++;
                }
        if (!first)
                return;
        if (first->probe == REMOUNT_PROBE_NO_ANSWER)
                log_warning("Left %zu lxcfs %s in mnt:[%" PRIu64 "] (pid %d) alone (%s first): their "
                            "server did not answer in %u ms", n, entries(n), ns->ino, (int) ns->pid,
                            first->target, ctx->cli->heal.timeout_ms);
        else
                log_warning_errno(first->probe_err, "Left %zu lxcfs %s in mnt:[%" PRIu64 "] (pid %d) "
                                  "alone (%s first): asking their server failed: %m", n, entries(n),
                                  ns->ino, (int) ns->pid, first->target);
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

/* The outcome of one surveyed namespace, once the passes are over. */
static void account(struct walk_ctx *ctx, const struct remount_survey_ns *sn)
{
        const struct remount_ns *ns = &sn->ns;
        size_t ok = 0;

        if (sn->gone)
                return;
        for (size_t i = 0; i < ns->n_entries; i++) {
                const struct remount_entry *e = &ns->entries[i];
                enum remount_state now = sn->now[i];
                bool was_stale = e->state == REMOUNT_STALE;

                if (!was_stale && e->state != REMOUNT_LIVE)
                        continue;
                if (now == REMOUNT_LIVE) {
                        ok += was_stale || sn->attempted[i];
                        continue;
                }
                if (now != REMOUNT_STALE && now != REMOUNT_MISSING)
                        continue;       /* covered, or another instance's since */
                /* Stale and not healed: its path did not lead to it, or its
                 * last try failed; gone with its container: no failure. */
                if (now == REMOUNT_STALE && e->result < 0 && entry_vanished(ns, e)) {
                        log_debug("mnt:[%" PRIu64 "] (pid %d) went away during the walk; skipped %s",
                                  ns->ino, (int) ns->pid, e->target);
                        continue;
                }
                report_failure(ns, e, now);
                ctx->t.failed++;
        }
        ctx->t.rebound += ok;
        ctx->t.ns_touched += ok > 0;
}

static void on_healed(struct remount_ns *job, void *userdata)
{
        struct walk_ctx *ctx = userdata;

        for (size_t i = 0; i < job->n_entries; i++) {
                const struct remount_entry *e = &job->entries[i];

                if (remount_entry_needs_heal(e) && e->result == 0)
                        log_debug("Rebound %s in mnt:[%" PRIu64 "] (pid %d) to %s%s (%s)", e->target,
                                  job->ino, (int) job->pid, ctx->live->mountpoint, e->root,
                                  remount_method_to_string(e->method));
        }
        remount_survey_take_results(&ctx->survey, job);
}

static int on_namespace(struct remount_ns *ns, void *userdata)
{
        struct walk_ctx *ctx = userdata;
        size_t stale = 0;

        remount_ns_probe(ctx->live->proc_fd, ns, &ctx->probes);
        for (size_t i = 0; i < ns->n_entries; i++)
                stale += remount_entry_needs_heal(&ns->entries[i]);
        ctx->t.ns_lxcfs++;
        ctx->t.stale += stale;
        switch (ctx->cli->mode) {
        case MODE_LIST:
                list_ns(ns);
                return 0;
        case MODE_DRY_RUN:
                warn_unknown(ctx, ns);
                for (size_t i = 0; i < ns->n_entries; i++)
                        if (remount_entry_needs_heal(&ns->entries[i]))
                                log_info("Would rebind %s in mnt:[%" PRIu64 "] (pid %d) to %s%s",
                                         ns->entries[i].target, ns->ino, (int) ns->pid,
                                         ctx->live->mountpoint, ns->entries[i].root);
                ctx->t.ns_touched += stale > 0;
                return 0;
        case MODE_HEAL:
                warn_unknown(ctx, ns);
                ctx->t.unknown += remount_ns_count(ns, REMOUNT_UNKNOWN);
                /* Nothing changes until every namespace is recorded. */
                return remount_survey_add(&ctx->survey, ns);
        }
        return 0;
}

/* Heal what the survey found, check every namespace again, heal again what
 * propagation undid. */
static int heal_all(struct walk_ctx *ctx)
{
        size_t todo = 0, sent;
        int r;

        for (int pass = 0; pass < MAX_PASSES; pass++) {
                enum fail_attach f = ctx->cli->fail_attach;

                remount_pool_set_fail_attach(ctx->pool, f == FAIL_ATTACH_ALWAYS ||
                                                        (f == FAIL_ATTACH_FIRST && pass == 0));
                r = remount_survey_submit(&ctx->survey, ctx->pool, &sent);
                remount_pool_drain(ctx->pool);
                if (r < 0)
                        return r;
                if (sent == 0)
                        break;
                r = remount_survey_verify(&ctx->survey, ctx->live, &todo);
                if (r < 0)
                        return r;
                if (todo == 0)
                        break;
                log_debug("%zu mount namespaces need another pass", todo);
        }
        for (size_t i = 0; i < ctx->survey.n; i++)
                account(ctx, &ctx->survey.v[i]);
        return 0;
}

/* The survey keeps /proc/PID of every namespace with lxcfs entries open
 * until the check after the heal: 1,000 containers pass systemd's default
 * soft limit of 1,024. */
static void raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
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
                return EXIT_USAGE;
        }
        log_open(log_target_auto(), "lxcfs-remount");
        if (cli.verbose)
                log_set_max_level(LOG_DEBUG);
        remount_test_no_open_tree = getenv("LXCFS_REMOUNT_TEST_NO_OPEN_TREE") != NULL;

        if (cli.mode == MODE_HEAL && remount_check_kernel() == -ENOSYS) {
                log_error("This kernel has no open_tree()/move_mount() (Linux 5.2 or newer is "
                          "needed): cannot rebind lxcfs entries; restart the containers instead");
                return EXIT_FAILED;
        }
        if (open_live(cli.mountpoint, &live) < 0)
                return EXIT_FAILED;
        raise_fd_limit();

        ctx = (struct walk_ctx) {
                .cli = &cli, .live = &live, .probes.timeout_ms = cli.heal.timeout_ms,
        };
        r = remount_walk(live.proc_fd, &live, on_namespace, &ctx, &ws);
        if (r == 0 && cli.mode == MODE_HEAL) {
                const char *nw = getenv("LXCFS_REMOUNT_TEST_WORKERS");

                r = remount_pool_new(&live, &cli.heal, nw ? (unsigned) atoi(nw) : N_WORKERS,
                                     on_healed, &ctx, &ctx.pool);
                if (r < 0) {
                        log_error_errno(r, "Failed to set up the workers: %m");
                        return EXIT_FAILED;
                }
                r = heal_all(&ctx);
                remount_pool_free(ctx.pool);
        }
        remount_probe_cache_done(&ctx.probes);
        remount_survey_done(&ctx.survey);
        if (r == -ENOSYS) {
                log_error("This kernel has no open_tree(): Linux 5.2 or newer is needed");
                return EXIT_FAILED;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to heal the mount namespaces: %m");
                return EXIT_FAILED;
        }

        summarize(&cli, &ctx.t, &ws, elapsed_ms(&start));
        fflush(stdout);
        if (ctx.t.failed > 0)
                return EXIT_FAILED;
        return ctx.t.unknown > 0 ? EXIT_LEFT_UNKNOWN : EXIT_HEALED;
}
