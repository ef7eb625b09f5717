/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lxcfs/cgroup.h"
#include "lxcfs/fs.h"
#include "lxcfs/loadavg.h"
#include "lxcfs/log.h"
#include "cdi.h"
#include "mountpoint.h"
#include "notify.h"
#include "options.h"
#include "pidfile.h"

#define MAX_WORKER_THREADS 64

static void free_fuse_args(struct fuse_args *a) { fuse_opt_free_args(a); }

static int build_fuse_args(const struct daemon_options *o, const char *argv0, struct fuse_args *args)
{
        _cleanup_free_ char *opts = NULL;

        /* subtype gives the kernel fs type "fuse.lxcfs" that runtimes and
         * lxcfs-remount look for; allow_other lets container users read. */
        if (asprintf(&opts, "fsname=lxcfs,subtype=lxcfs,allow_other%s%s",
                     o->fuse_opts ? "," : "", o->fuse_opts ? o->fuse_opts : "") < 0)
                return -ENOMEM;
        if (fuse_opt_add_arg(args, argv0) < 0 || fuse_opt_add_arg(args, "-o") < 0 ||
            fuse_opt_add_arg(args, opts) < 0)
                return -ENOMEM;
        return 0;
}

static int run_loop(struct fuse_session *se, bool single_thread)
{
        struct fuse_loop_config *cfg;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN), workers;
        int r;

        if (single_thread)
                return fuse_session_loop(se);
        cfg = fuse_loop_cfg_create();
        if (!cfg)
                return -ENOMEM;
        /* One /dev/fuse clone per worker avoids contention on one queue. */
        fuse_loop_cfg_set_clone_fd(cfg, 1);
        /* Requests are short and CPU-bound: two workers per CPU keep every
         * CPU busy while one waits on a slow cgroup file. More only cost:
         * idle workers are woken in turn, spreading requests over more
         * stacks and caches (on 2 CPUs, 64 workers served ~25% fewer reads
         * per second than 4). */
        workers = MAX(2 * cpus, 4L);
        fuse_loop_cfg_set_max_threads(cfg, (unsigned) MIN(workers, (long) MAX_WORKER_THREADS));
        r = fuse_session_loop_mt(se, cfg);
        fuse_loop_cfg_destroy(cfg);
        return r;
}

static int serve(const struct daemon_options *o, const char *argv0, const struct cg_hierarchies *cg,
                 struct loadavg_sampler *sampler)
{
        struct fuse_args args __attribute__((cleanup(free_fuse_args))) = FUSE_ARGS_INIT(0, NULL);
        _cleanup_close_ int under_fd = -1;
        struct fuse_session *se;
        struct lxcfs_fs fs;
        int r;

        r = mountpoint_prepare(o->mountpoint);
        if (r < 0)
                return r;
        under_fd = mountpoint_open_under(o->mountpoint);

        r = build_fuse_args(o, argv0, &args);
        if (r < 0)
                return log_error_errno(r, "Failed to build the FUSE options: %m");
        r = lxcfs_fs_init(&fs, &o->fs, cg, sampler);
        if (r < 0)
                return r;

        se = fuse_session_new(&args, &lxcfs_fs_ops, sizeof(lxcfs_fs_ops), &fs);
        if (!se) {
                lxcfs_fs_done(&fs);
                return log_error_errno(EINVAL, "FUSE rejected the mount options '%s'. "
                                       "Check the -o option.", o->fuse_opts ? o->fuse_opts : "");
        }
        if (fuse_set_signal_handlers(se) < 0) {
                r = log_error_errno(errno ? errno : EIO, "Failed to install signal handlers: %m");
                goto out_session;
        }
        if (fuse_session_mount(se, o->mountpoint) < 0) {
                r = log_error_errno(EIO, "Failed to mount FUSE at %s. Is /dev/fuse available "
                                    "(modprobe fuse) and are we root?", o->mountpoint);
                goto out_signals;
        }
        if (under_fd >= 0)
                mountpoint_warn_shadowed(o->mountpoint, under_fd);
        log_info("Mounted lxcfs at %s (fuse.lxcfs, cgroup layout %s).", o->mountpoint,
                 cg_layout_name(cg->layout));

        notify_start(o->mountpoint, cg);
        /* Ready: containers that ask for the CDI device get live files. */
        cdi_publish(o->mountpoint, DEFAULT_MOUNTPOINT);
        r = run_loop(se, o->single_thread);
        notify_stopping();
        /* The mount goes away: no new container may ask for it. */
        cdi_withdraw(o->mountpoint, DEFAULT_MOUNTPOINT);

        /* A signal ends the loop with its (positive) number: a clean stop. */
        if (r < 0)
                log_error_errno(r, "The request loop failed: %m");
        else
                r = 0;
        fuse_session_unmount(se);
        log_info("Unmounted %s; exiting.", o->mountpoint);
out_signals:
        fuse_remove_signal_handlers(se);
out_session:
        fuse_session_destroy(se);
        lxcfs_fs_done(&fs);
        return r;
}

/* SIGTERM must reach a FUSE worker (it interrupts its read of /dev/fuse),
 * never a helper thread: helper threads start with signals blocked. */
static int start_with_signals_blocked(struct loadavg_sampler *sampler)
{
        sigset_t all, saved;
        int r;

        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &saved);
        r = loadavg_sampler_start(sampler);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        return r;
}

/* The loadavg sampler keeps a directory fd per container it tracks and
 * clone_fd adds one per worker: the default soft limit of 1024 is too low
 * for a node with 1,000 containers. */
static void raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_debug_errno(errno, "Failed to raise the open file limit: %m");
        }
}

static int run(const struct daemon_options *o, const char *argv0)
{
        _cleanup_free_ char *pidfile = NULL;
        struct cg_hierarchies cg;
        struct loadavg_sampler *sampler = NULL;
        int pid_fd, r;

        if (o->pidfile)
                pidfile = strdup(o->pidfile);
        else if (asprintf(&pidfile, "%s/lxcfs.pid", o->runtime_dir) < 0)
                pidfile = NULL;
        if (!pidfile)
                return log_error_errno(ENOMEM, "Out of memory.");
        if (!o->pidfile)
                (void) mkdir(o->runtime_dir, 0755);

        raise_fd_limit();
        pid_fd = pidfile_acquire(pidfile);
        if (pid_fd < 0)
                return pid_fd;

        r = cg_hierarchies_open_live(&cg);
        if (r < 0) {
                log_error_errno(r, "Failed to find the cgroup hierarchies in /proc/self/mountinfo: %m. "
                                "Is /sys/fs/cgroup mounted?");
                goto out_pidfile;
        }
        log_add_field("LXCFS_CGROUP_LAYOUT", cg_layout_name(cg.layout));

        if (o->fs.use_loadavg) {
                r = loadavg_sampler_new(&cg, &sampler);
                if (r >= 0)
                        r = start_with_signals_blocked(sampler);
                if (r < 0) {
                        log_warning_errno(r, "Failed to start the loadavg sampler: %m; "
                                          "serving the host's loadavg instead.");
                        loadavg_sampler_free(sampler);
                        sampler = NULL;
                }
        }

        r = serve(o, argv0, &cg, sampler);

        loadavg_sampler_free(sampler);
        cg_hierarchies_close(&cg);
out_pidfile:
        pidfile_release(pidfile, pid_fd);
        return r;
}

int main(int argc, char **argv)
{
        struct daemon_options o;
        int r;

        switch (options_parse(argc, argv, &o)) {
        case PARSE_EXIT_OK:
                return EXIT_SUCCESS;
        case PARSE_EXIT_USAGE:
                return 2;
        case PARSE_RUN:
                break;
        }

        log_open(log_target_auto(), "lxcfs");
        log_set_max_level(o.debug ? LOG_DEBUG : LOG_INFO);
        log_add_field("LXCFS_MOUNTPOINT", o.mountpoint);

        r = run(&o, argv[0]);
        options_done(&o);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
