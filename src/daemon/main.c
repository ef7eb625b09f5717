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

#include <poll.h>
#include <sys/signalfd.h>

#include "fdstore.h"
#include "lxcfs/cgroup.h"
#include "lxcfs/conn.h"
#include "lxcfs/fs.h"
#include "lxcfs/loadavg.h"
#include "lxcfs/log.h"
#include "lxcfs/workers.h"
#include "cdi.h"
#include "mountpoint.h"
#include "notify.h"
#include "options.h"
#include "pidfile.h"
#include "unit-job.h"

/* How a serving process ends. */
enum ending {
        ENDING_STOP,             /* unmount: nobody will serve after us */
        ENDING_HANDOVER,         /* leave the connection to the next process */
        ENDING_UNMOUNTED,        /* someone unmounted us: nothing to keep */
        ENDING_ERROR,
};

static int block_signals(sigset_t *mask)
{
        int fd;

        sigemptyset(mask);
        sigaddset(mask, SIGTERM);
        sigaddset(mask, SIGINT);
        sigaddset(mask, SIGHUP);
        if (pthread_sigmask(SIG_BLOCK, mask, NULL) != 0)
                return -EINVAL;
        fd = signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return fd < 0 ? -errno : fd;
}

/* The previous process left the connection in the fd store: take it. On
 * any doubt, abort it and detach its mount (conn_adopt did), then mount
 * afresh: containers are healed by lxcfs-remount. */
static int adopt_or_mount(struct conn *c, const struct daemon_options *o, struct lxcfs_fs *fs)
{
        struct stored_fds stored;
        _cleanup_close_ int under_fd = -1;
        int r;

        fdstore_take(&stored);
        if (stored.fuse >= 0 && stored.state >= 0) {
                r = conn_adopt(c, stored.fuse, stored.state, o->mountpoint, &lxcfs_fs_ops, fs);
                if (r == 0)
                        return 0;
                conn_close(c);
                log_warning("Could not resume the previous connection; aborted it and mounting "
                            "afresh.");
                fdstore_forget("fuse");
                fdstore_forget("state");
        } else if (stored.fuse >= 0 || stored.state >= 0) {
                log_warning("The service manager passed only part of the saved connection; "
                            "aborting it and mounting afresh.");
                conn_discard(o->mountpoint, stored.fuse, stored.state);
                fdstore_forget("fuse");
                fdstore_forget("state");
        }

        r = mountpoint_prepare(o->mountpoint);
        if (r < 0)
                return r;
        under_fd = mountpoint_open_under(o->mountpoint);
        r = conn_mount(c, o->mountpoint, &(struct conn_mount_options) {
                                .flags = o->mount.flags, .data = o->mount.data,
                                .passthrough = o->passthrough },
                       &lxcfs_fs_ops, fs);
        if (r < 0)
                return r;
        if (under_fd >= 0)
                mountpoint_warn_shadowed(o->mountpoint, under_fd);
        /* Stored right away: a crash from now on keeps the mount alive. */
        if (fdstore_keep(c->fd, "fuse") == 0 && fdstore_keep(c->state.fd, "state") < 0)
                fdstore_forget("fuse");
        return 0;
}

/* "12 files" or "10 files, off: proc/slabinfo, proc/pressure/io": the
 * table's rows as served, so that a file turned off is explained. */
static void describe_files(const struct daemon_options *o, size_t n_files, char *buf, size_t size)
{
        size_t len;

        snprintf(buf, size, "%zu files", n_files);
        for (size_t i = 0; i < o->fs.n_disabled_files; i++) {
                len = strlen(buf);
                snprintf(buf + len, size - len, "%s%s", i ? ", " : ", off: ", o->fs.disabled_files[i]);
        }
}

/* Backing files registered on the connection outlive us: the ones a
 * previous process left are honoured even when we register none. */
static void start_passthrough(struct lxcfs_fs *fs, struct conn *c, const struct daemon_options *o)
{
        bool want = c->passthrough && o->passthrough;

        passthrough_start(&fs->pt, c->fd, &c->state, want,
                          !c->passthrough ? c->passthrough_off : "off: --passthrough turns it on");
}

static void announce(const struct conn *c, const struct daemon_options *o,
                     const struct cg_hierarchies *cg, const struct lxcfs_fs *fs, unsigned workers,
                     size_t n_files)
{
        char cgroups[256], files[256], status[768], reads[200];

        notify_describe_cgroups(cg, cgroups, sizeof(cgroups));
        passthrough_describe(&fs->pt, reads, sizeof(reads));
        describe_files(o, n_files, files, sizeof(files));
        if (c->origin == CONN_ADOPTED) {
                log_info("Resumed %s from pid %d; %u request%s %s.", o->mountpoint,
                         (int) c->previous_pid, c->carried_over,
                         c->carried_over == 1 ? "" : "s", c->carry_method);
                snprintf(status, sizeof(status), "Serving %s (%s; resumed from pid %d, %u request%s %s; "
                         "%s; reads: %s)", o->mountpoint, files, (int) c->previous_pid, c->carried_over,
                         c->carried_over == 1 ? "" : "s", c->carry_method, cgroups, reads);
        } else {
                log_info("Mounted lxcfs at %s afresh (fuse.lxcfs, %s).", o->mountpoint, cgroups);
                snprintf(status, sizeof(status), "Serving %s (%s; mounted afresh; %s; reads: %s)",
                         o->mountpoint, files, cgroups, reads);
        }
        log_info("%u workers; in-flight requests at a crash: %s; reads: %s.", workers,
                 c->kernel_resend ? "resent by the kernel" : "replayed from the journal", reads);
        notify_ready(status);
}

static enum ending wait_for_ending(int sig_fd, struct workers *w, struct conn *c)
{
        uint64_t interval = notify_watchdog_interval_usec(), completed = 0;
        struct pollfd p[2] = { { .fd = sig_fd, .events = POLLIN }, { .fd = w->wake_fd, .events = POLLIN } };
        struct signalfd_siginfo si;
        int timeout = interval ? (int) MAX(interval / 1000, 1ULL) : -1;
        bool wedged_logged = false;

        for (;;) {
                int n = poll(p, 2, timeout);

                if (n < 0 && errno != EINTR)
                        return log_error_errno(errno, "poll() failed: %m"), ENDING_ERROR;
                if (p[1].revents & POLLIN) {
                        if (__atomic_load_n(&w->exit_errno, __ATOMIC_ACQUIRE) == ENODEV)
                                return ENDING_UNMOUNTED;
                        return ENDING_ERROR;
                }
                if (p[0].revents & POLLIN && read(sig_fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                        log_info("Received %s.", strsignal((int) si.ssi_signo));
                        return unit_job_is_restart() ? ENDING_HANDOVER : ENDING_STOP;
                }
                if (n == 0 && interval) {
                        /* Ping only while requests get answered. */
                        if (!conn_wedged(c, &completed)) {
                                notify_watchdog();
                                wedged_logged = false;
                        } else if (!wedged_logged) {
                                log_error("Requests wait on /dev/fuse and none was answered for "
                                          "%llu ms; not pinging the watchdog.",
                                          (unsigned long long) interval / 1000);
                                wedged_logged = true;
                        }
                }
        }
}

/* Exit now, the connection and its state stay in the fd store. Nothing
 * else of ours needs cleaning: the next process starts from the kernel's
 * files and the saved state. */
static _Noreturn void hand_over(struct conn *c, struct workers *w, const char *mountpoint)
{
        notify_stopping("Handing the connection over to the next process");
        workers_drain(w);
        conn_mark_drained(c);
        log_info("Handed %s over: every request read was answered; the next process resumes "
                 "the connection.", mountpoint);
        _exit(EXIT_SUCCESS);
}

static int serve(const struct daemon_options *o, const struct cg_hierarchies *cg,
                 struct loadavg_sampler *sampler)
{
        _cleanup_close_ int sig_fd = -1;
        struct conn c = { .fd = -1, .state.fd = -1 };
        struct workers w;
        struct lxcfs_fs fs;
        sigset_t mask;
        enum ending ending;
        int r;

        sig_fd = block_signals(&mask);
        if (sig_fd < 0)
                return log_error_errno(sig_fd, "Failed to set up signal handling: %m");
        r = lxcfs_fs_init(&fs, &o->fs, cg, sampler);
        if (r < 0)
                return r;
        r = adopt_or_mount(&c, o, &fs);
        if (r < 0)
                goto out;
        start_passthrough(&fs, &c, o);
        /* Before the workers start, so that the spec exists once the mount
         * answers; requests wait in the kernel meanwhile. A handover leaves
         * the spec in place for the next process. */
        cdi_publish(o->mountpoint, DEFAULT_MOUNTPOINT, fs.rows, fs.n_rows);
        r = workers_start(&w, &c, o->single_thread ? 1 : workers_default_count());
        if (r < 0) {
                cdi_withdraw(o->mountpoint, DEFAULT_MOUNTPOINT);
                log_error_errno(r, "Failed to start the request workers: %m");
                goto out;
        }
        announce(&c, o, cg, &fs, w.n, fs.n_rows);

        ending = wait_for_ending(sig_fd, &w, &c);
        if (ending == ENDING_HANDOVER)
                hand_over(&c, &w, o->mountpoint);
        if (ending == ENDING_ERROR && getenv("NOTIFY_SOCKET")) {
                /* The service manager restarts us (Restart=on-failure) and
                 * the next process resumes: better than breaking every
                 * container's mount by unmounting. */
                workers_drain(&w);
                conn_mark_drained(&c);
                log_error("The request loop failed; exiting and leaving the connection to the "
                          "next process.");
                _exit(EXIT_FAILURE);
        }

        notify_stopping(ending == ENDING_UNMOUNTED ? "The mount was removed; exiting"
                                                   : "Stopping: unmounting");
        /* The mount goes away: no new container may ask for it. */
        cdi_withdraw(o->mountpoint, DEFAULT_MOUNTPOINT);
        workers_drain(&w);
        if (ending == ENDING_UNMOUNTED)
                log_notice("%s was unmounted by someone else; exiting.", o->mountpoint);
        else if (conn_unmount(&c) < 0)
                log_warning_errno(errno, "Failed to unmount %s: %m", o->mountpoint);
        else
                log_info("Unmounted %s; exiting.", o->mountpoint);
        /* A stop ends the connection: nothing to resume next time. */
        fdstore_forget("fuse");
        fdstore_forget("state");
        r = ending == ENDING_ERROR ? -EIO : 0;
out:
        conn_close(&c);
        lxcfs_fs_done(&fs);
        return r;
}

/* Helper threads never take the signals meant for the main thread. */
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

/* A task count walk holds an fd per level of the cgroup tree it is in:
 * keep away from the default soft limit of 1024 on a busy node. */
static void raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_debug_errno(errno, "Failed to raise the open file limit: %m");
        }
}

static int run(const struct daemon_options *o)
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

        /* The sampler also serves stat's procs_running/procs_blocked, so it
         * runs even with --disable-loadavg; it samples only what is read. */
        r = loadavg_sampler_new(&cg, &sampler);
        if (r >= 0)
                r = start_with_signals_blocked(sampler);
        if (r < 0) {
                log_warning_errno(r, "Failed to start the loadavg sampler: %m; serving the host's "
                                  "loadavg and counting stat's tasks on each open instead.");
                loadavg_sampler_free(sampler);
                sampler = NULL;
        }

        r = serve(o, &cg, sampler);

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

        r = run(&o);
        options_done(&o);
        /* 3: another lxcfs serves the mountpoint; restarting cannot help. */
        return r == -EBUSY ? 3 : r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
