/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rebinding stale entries. The clones are taken here, in our own namespace
 * (open_tree() only clones mounts of the caller's namespace); a forked child,
 * single-threaded as setns(CLONE_NEWNS) requires, enters the container's
 * namespace and attaches them. Nothing of the container is executed: the
 * child only resolves paths and calls mount syscalls.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "mount-api.h"
#include "remount-internal.h"

struct heal_result {
        int index;
        int result;
        int method;
};

static int clone_entry(const struct remount_live *live, const struct remount_entry *e)
{
        const char *rel = e->root + strspn(e->root, "/");
        _cleanup_close_ int fd = -1;

        fd = sys_open_tree(live->fd, rel, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW |
                                          (*rel ? 0 : AT_EMPTY_PATH));
        if (fd < 0)
                return fd;
        /* The clone has the live mount's flags; add what the old bind had. */
        if (e->attr & ~live->attr) {
                struct remount_mount_attr attr = { .attr_set = e->attr & ~live->attr };
                int r = sys_mount_setattr(fd, "", AT_EMPTY_PATH, &attr);
                if (r < 0)
                        return r;
        }
        return steal_fd(&fd);
}

/* Fallback for kernels without openat2() (< 5.6): one component at a time,
 * never following a symlink. */
static int open_walk_nofollow(int root_fd, const char *path)
{
        _cleanup_close_ int dir = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        if (dir < 0)
                return -errno;
        if (!copy)
                return -ENOMEM;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                struct statx stx;
                int next;

                if (streq(c, "..") || streq(c, "."))
                        return -EINVAL;
                next = openat(dir, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                closep(&dir);
                dir = next;
                if (statx(dir, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
                          STATX_TYPE, &stx) < 0)
                        return -errno;
                if (S_ISLNK(stx.stx_mode))
                        return -ELOOP;
        }
        return steal_fd(&dir);
}

/* Resolve a mountinfo path inside the namespace's root; a symlink anywhere on
 * the way is refused (-ELOOP), so a container cannot redirect the mount. */
static int open_target(int root_fd, const char *path)
{
        struct remount_open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = sys_openat2(root_fd, path, &how);

        if (fd == -ENOSYS)
                fd = open_walk_nofollow(root_fd, path);
        return fd;
}

static int fd_mount_id_fdinfo(int proc_fd, int fd, int *ret)
{
        char path[64], buf[1024];
        _cleanup_close_ int info = -1;
        ssize_t n;
        const char *p;

        snprintf(path, sizeof(path), "self/fdinfo/%d", fd);
        info = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (info < 0)
                return -errno;
        n = read(info, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        p = strstr(buf, "mnt_id:");
        if (!p || sscanf(p, "mnt_id: %d", ret) != 1)
                return -EINVAL;
        return 0;
}

static int fd_mount_id(int proc_fd, int fd, int *ret)
{
        struct statx stx;

        /* DONT_SYNC: the stale mount's daemon is gone, asking it would fail. */
        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
                  STATX_MNT_ID, &stx) == 0 && (stx.stx_mask & STATX_MNT_ID)) {
                *ret = (int) stx.stx_mnt_id;
                return 0;
        }
        return fd_mount_id_fdinfo(proc_fd, fd, ret);
}

/* Detach exactly the mount fd refers to, through our own /proc/self/fd magic
 * link: no path inside the container is looked up again. */
static int detach_fd(int proc_fd, int fd)
{
        char path[64];

        snprintf(path, sizeof(path), "self/fd/%d", fd);
        if (fchdir(proc_fd) < 0)
                return -errno;
        return umount2(path, MNT_DETACH) < 0 ? -errno : 0;
}

static int attach(int clone_fd, int target_fd, unsigned extra)
{
        return sys_move_mount(clone_fd, "", target_fd, "",
                              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH | extra);
}

static int heal_entry(const struct remount_live *live, const struct remount_ns *ns,
                      const struct remount_entry *e, int clone_fd, bool no_beneath,
                      enum remount_method *ret_method)
{
        _cleanup_close_ int target = -1;
        int id, r;

        target = open_target(ns->root_fd, e->target);
        if (target < 0)
                return target;
        r = fd_mount_id(live->proc_fd, target, &id);
        if (r < 0)
                return r;
        if (id != e->mount_id)
                return -ESTALE;

        /* Fresh mount beneath, then drop the stale one: readers go from the
         * dead file straight to the live one, never to what lies under. */
        if (!no_beneath) {
                r = attach(clone_fd, target, MOVE_MOUNT_BENEATH);
                if (r == 0) {
                        *ret_method = REMOUNT_METHOD_BENEATH;
                        return detach_fd(live->proc_fd, target);
                }
                /* EINVAL: kernel < 6.5, a locked top mount, or a parent that is
                 * the namespace root; the fallbacks below sort these out. */
                if (r != -EINVAL)
                        return r;
        }

        r = detach_fd(live->proc_fd, target);
        if (r == 0) {
                closep(&target);
                target = open_target(ns->root_fd, e->target);
                if (target < 0)
                        return target;
                *ret_method = REMOUNT_METHOD_REPLACE;
                return attach(clone_fd, target, 0);
        }
        /* MNT_LOCKED (copied into a user namespace): it cannot go, cover it. */
        if (r != -EINVAL)
                return r;
        *ret_method = REMOUNT_METHOD_ON_TOP;
        return attach(clone_fd, target, 0);
}

static void write_result(int fd, int index, int result, enum remount_method method)
{
        struct heal_result res = { .index = index, .result = result, .method = method };

        /* Small writes to a pipe are atomic; a failed write shows as a lost result. */
        if (write(fd, &res, sizeof(res)) < 0)
                _exit(EXIT_FAILURE);
}

static _Noreturn void child_main(const struct remount_live *live, const struct remount_ns *ns,
                                 const int *clone_fds, bool no_beneath, int out_fd)
{
        int setns_r = setns(ns->ns_fd, CLONE_NEWNS) < 0 ? -errno : 0;

        for (size_t i = 0; i < ns->n_entries; i++) {
                enum remount_method method = REMOUNT_METHOD_NONE;
                int r = setns_r;

                if (clone_fds[i] < 0)
                        continue;
                if (r == 0)
                        r = heal_entry(live, ns, &ns->entries[i], clone_fds[i], no_beneath, &method);
                write_result(out_fd, (int) i, r, method);
        }
        _exit(EXIT_SUCCESS);
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Read the child's results until it is done or the deadline passes.
 * Returns true when it finished in time. */
static bool collect_results(int in_fd, struct remount_ns *ns, long long deadline)
{
        for (;;) {
                struct pollfd p = { .fd = in_fd, .events = POLLIN };
                long long left = deadline - now_ms();
                struct heal_result res;
                ssize_t n;

                if (left <= 0)
                        return false;
                n = poll(&p, 1, (int) left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0;   /* poll error: treat as finished, results lost */
                n = read(in_fd, &res, sizeof(res));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n != (ssize_t) sizeof(res))
                        return true;    /* EOF: the child is done */
                if (res.index >= 0 && (size_t) res.index < ns->n_entries) {
                        ns->entries[res.index].result = res.result;
                        ns->entries[res.index].method = res.method;
                }
        }
}

static void close_all(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                closep(&fds[i]);
}

struct remount_job {
        struct remount_ns ns;
        pid_t pid;
        int fd;                 /* read end of the child's result pipe */
        long long deadline_ms;
};

struct remount_ns *remount_job_ns(struct remount_job *job) { return &job->ns; }

void remount_job_free(struct remount_job *job)
{
        if (!job)
                return;
        remount_entries_free(job->ns.entries, job->ns.n_entries);
        closep(&job->ns.ns_fd);
        closep(&job->ns.root_fd);
        closep(&job->ns.pid_dir_fd);
        closep(&job->fd);
        free(job);
}

/* Take over ns (the caller's copy is left empty) so that it outlives the walk. */
static struct remount_job *job_new(struct remount_ns *ns)
{
        struct remount_job *job = calloc(1, sizeof(*job));

        if (!job)
                return NULL;
        job->ns = *ns;
        job->pid = -1;
        job->fd = -1;
        *ns = (struct remount_ns) { .ino = ns->ino, .pid = ns->pid, .ns_fd = -1, .root_fd = -1, .pid_dir_fd = -1 };
        return job;
}

/* Clone the stale entries; -ENOSYS stops everything, other errors are per entry. */
static int clone_stale(const struct remount_live *live, struct remount_ns *ns, int *clone_fds, size_t *ret_todo)
{
        size_t n_todo = 0;

        for (size_t i = 0; i < ns->n_entries; i++) {
                struct remount_entry *e = &ns->entries[i];
                int r;

                clone_fds[i] = -1;
                e->method = REMOUNT_METHOD_NONE;
                e->result = 0;
                if (e->state != REMOUNT_STALE)
                        continue;
                r = clone_entry(live, e);
                if (r == -ENOSYS) {
                        close_all(clone_fds, i);
                        return -ENOSYS;
                }
                if (r < 0) {
                        e->result = r;
                        continue;
                }
                clone_fds[i] = r;
                e->result = -ECHILD;    /* until the child says otherwise */
                n_todo++;
        }
        *ret_todo = n_todo;
        return 0;
}

static void fail_pending(struct remount_ns *ns, int r)
{
        for (size_t i = 0; i < ns->n_entries; i++)
                if (ns->entries[i].result == -ECHILD)
                        ns->entries[i].result = r;
}

int remount_heal_start(const struct remount_live *live, struct remount_ns *ns,
                       const struct remount_heal_opts *opts, struct remount_job **ret)
{
        _cleanup_free_ int *clone_fds = calloc(ns->n_entries ?: 1, sizeof(int));
        struct remount_job *job;
        size_t n_todo;
        int pipefd[2], r;

        if (!clone_fds)
                return -ENOMEM;
        job = job_new(ns);
        if (!job)
                return -ENOMEM;
        *ret = job;
        ns = &job->ns;

        r = clone_stale(live, ns, clone_fds, &n_todo);
        if (r < 0) {
                *ret = NULL;
                remount_job_free(job);
                return r;
        }
        if (n_todo == 0)
                return 0;

        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                fail_pending(ns, -errno);
                close_all(clone_fds, ns->n_entries);
                return 0;
        }
        job->pid = fork();
        if (job->pid < 0) {
                fail_pending(ns, -errno);
                close(pipefd[0]);
                close(pipefd[1]);
                close_all(clone_fds, ns->n_entries);
                return 0;
        }
        if (job->pid == 0) {
                close(pipefd[0]);
                child_main(live, ns, clone_fds, opts->no_beneath, pipefd[1]);
        }
        close(pipefd[1]);
        close_all(clone_fds, ns->n_entries);
        job->fd = pipefd[0];
        job->deadline_ms = now_ms() + (opts->timeout_ms ?: 5000);
        return 0;
}

void remount_heal_finish(struct remount_job *job)
{
        bool in_time;

        if (job->pid <= 0)
                return;
        in_time = collect_results(job->fd, &job->ns, job->deadline_ms);
        if (!in_time) {
                kill(job->pid, SIGKILL);
                fail_pending(&job->ns, -ETIMEDOUT);
        }
        /* A child stuck in the kernel (hung filesystem) is not waited for. */
        (void) waitpid(job->pid, NULL, in_time ? 0 : WNOHANG);
        job->pid = -1;
        closep(&job->fd);
        job->fd = -1;
}

int remount_heal_ns(const struct remount_live *live, struct remount_ns *ns,
                    const struct remount_heal_opts *opts)
{
        struct remount_job *job = NULL;
        int r;

        r = remount_heal_start(live, ns, opts, &job);
        if (r < 0)
                return r;
        remount_heal_finish(job);
        /* Hand the entries, now with results, back to the caller. */
        remount_entries_free(ns->entries, ns->n_entries);
        ns->entries = steal_pointer(&job->ns.entries);
        ns->n_entries = job->ns.n_entries;
        job->ns.n_entries = 0;
        ns->ns_fd = steal_fd(&job->ns.ns_fd);
        ns->root_fd = steal_fd(&job->ns.root_fd);
        ns->pid_dir_fd = steal_fd(&job->ns.pid_dir_fd);
        remount_job_free(job);
        return 0;
}
