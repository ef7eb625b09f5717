/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Worker processes that heal namespaces. At 1,000 namespaces a fork per
 * namespace cost more than the healing itself, so a few workers are forked
 * once and fed jobs over a SOCK_SEQPACKET socket: the stale entries of one
 * namespace, with the namespace and its root passed as fds (SCM_RIGHTS).
 * For each job a worker enters our own namespace (open_tree() only clones
 * mounts of the caller's namespace), clones the live files, then enters the
 * job's namespace and attaches them: the work of a namespace is done in one
 * place, and the walk goes on meanwhile.
 *
 * Each job has a deadline. A worker that misses it is killed (it may be
 * stuck in a hung filesystem, so it is not waited for) and replaced when the
 * next job needs one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "remount-internal.h"

/* One job message: a namespace with more entries (or longer paths) is sent
 * in several. Well within the default socket buffer (208 KiB). */
#define JOB_MAX_ENTRIES 64
#define JOB_MAX_BYTES (64 * 1024)
#define JOB_FDS 2               /* the namespace, then its root */

struct job_head {
        uint32_t n_entries;
        uint32_t no_beneath;
        uint32_t fail_attach;
        uint32_t unused;        /* keeps the entries after the head 8-byte aligned */
};

/* n_entries of these follow the head, then for each its root in the lxcfs
 * tree and its target, each NUL-terminated. */
struct job_entry {
        uint64_t attr;
        int32_t index;
        int32_t mount_id;
        uint32_t restore;       /* the entry is gone: attach, replace nothing */
        uint32_t root_size;
        uint32_t target_size;
};

_Static_assert(sizeof(struct job_head) % _Alignof(struct job_entry) == 0,
               "job entries follow the head, aligned");

struct job_result {
        int32_t index;
        int32_t result;
        int32_t method;
};

union job_control {
        char buf[CMSG_SPACE(sizeof(int) * JOB_FDS)];
        struct cmsghdr align;
};

/* A namespace being healed: handed back once no chunk of it is with a worker. */
struct pool_ns {
        struct remount_ns ns;
        size_t n_holds;         /* chunks with workers, plus one while submitting */
};

struct worker {
        pid_t pid;              /* -1: free slot */
        int fd;                 /* our end of its socket */
        struct pool_ns *job;    /* NULL: idle */
        int32_t sent[JOB_MAX_ENTRIES];
        size_t n_sent;
        long long deadline_ms;
};

struct remount_pool {
        const struct remount_live *live;
        int host_ns_fd;         /* our mount namespace, for the workers to come back to */
        int lock_fd;            /* memfd whose flock serialises the mount changes */
        struct remount_heal_opts opts;
        remount_healed_cb cb;
        void *userdata;
        struct worker *workers;
        struct pollfd *pfds;
        size_t n_workers;
        char *strings;          /* scratch for one message's paths */
        bool stalled;           /* opts.stall_first_worker done */
};

/* ---------------------------------------------------------------- worker */

/* This worker's own open file description of the pool's lock file: flock()
 * excludes between descriptions, and the kernel drops the lock when a
 * worker dies, so a killed worker cannot leave it held. */
static int worker_lock_fd = -1;

/* Workers take jobs in parallel (receiving, reporting), but clone and
 * change mounts one namespace at a time: clones and changes made at the same
 * moment for two namespaces whose stale binds share a peer group (a
 * runtime's bind of a shared mount) were seen to unmount each other's
 * entries. The kernel serialises most of this work anyway (namespace_lock,
 * the RCU grace period of each unmount). */
static void mount_changes_begin(void)
{
        if (worker_lock_fd >= 0)
                while (flock(worker_lock_fd, LOCK_EX) < 0 && errno == EINTR)
                        ;
}

static void mount_changes_end(void)
{
        if (worker_lock_fd >= 0)
                (void) flock(worker_lock_fd, LOCK_UN);
}

static void close_fds(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
}

/* The next NUL-terminated string of a message, or NULL when it overruns it. */
static const char *next_string(const char **p, const char *end, size_t size)
{
        const char *s = *p;

        if (size == 0 || size > (size_t) (end - s) || s[size - 1] != '\0')
                return NULL;
        *p += size;
        return s;
}

/* Heal what the message asks for; results in res (as many as entries). */
static size_t run_job(const struct remount_pool *pool, const char *msg, size_t len,
                      const int *fds, size_t n_fds, struct job_result *res)
{
        const struct job_head *head = (const void *) msg;
        const struct job_entry *ent = (const void *) (msg + sizeof(*head));
        const char *targets[JOB_MAX_ENTRIES];
        int clones[JOB_MAX_ENTRIES];
        const char *p, *end = msg + len;
        size_t n;
        int r = 0;

        if (len < sizeof(*head) || head->n_entries > JOB_MAX_ENTRIES)
                return 0;
        n = head->n_entries;
        if (len < sizeof(*head) + n * sizeof(*ent))
                return 0;
        if (n_fds != JOB_FDS)
                r = -EBADMSG;

        /* Clone in our own namespace... */
        mount_changes_begin();
        if (r == 0 && setns(pool->host_ns_fd, CLONE_NEWNS) < 0)
                r = -errno;
        p = msg + sizeof(*head) + n * sizeof(*ent);
        for (size_t i = 0; i < n; i++) {
                const char *root = next_string(&p, end, ent[i].root_size);
                struct remount_entry e = { .root = (char *) root, .attr = ent[i].attr };

                targets[i] = root ? next_string(&p, end, ent[i].target_size) : NULL;
                if (!targets[i]) {
                        close_fds(clones, i);
                        mount_changes_end();
                        return 0;       /* malformed: all reported lost */
                }
                clones[i] = r < 0 ? r : remount_clone_entry(pool->live, &e);
        }

        /* ...attach in the job's, resolving paths from its root. umount goes
         * through our own /proc (see remount_heal_entry()). */
        if (r == 0 && setns(fds[0], CLONE_NEWNS) < 0)
                r = -errno;
        if (r == 0 && fchdir(pool->live->proc_fd) < 0)
                r = -errno;
        for (size_t i = 0; i < n; i++) {
                enum remount_method method = REMOUNT_METHOD_NONE;
                struct remount_heal_flags flags = {
                        .no_beneath = head->no_beneath, .fail_attach = head->fail_attach,
                        .restore = ent[i].restore,
                };
                int rr = r < 0 ? r : clones[i];

                if (rr >= 0)
                        rr = remount_heal_entry(pool->live->proc_fd, fds[1], targets[i], ent[i].mount_id,
                                                clones[i], &flags, &method);
                res[i] = (struct job_result) { .index = ent[i].index, .result = rr, .method = method };
        }
        mount_changes_end();
        close_fds(clones, n);
        return n;
}

static size_t received_fds(struct msghdr *mh, int *fds, size_t max)
{
        size_t n = 0;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                size_t k;

                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int fd;

                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (n < max)
                                fds[n++] = fd;
                        else
                                close(fd);
                }
        }
        return n;
}

static _Noreturn void worker_main(const struct remount_pool *pool, int sock)
{
        static char msg[JOB_MAX_BYTES];
        struct job_result res[JOB_MAX_ENTRIES];

        for (;;) {
                int fds[JOB_FDS];
                union job_control control;
                struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) };
                struct msghdr mh = {
                        .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
                };
                ssize_t len = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
                size_t n_fds, n;

                if (len == 0)
                        _exit(EXIT_SUCCESS);    /* the pool is done */
                if (len < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(EXIT_FAILURE);
                }
                n_fds = received_fds(&mh, fds, ELEMENTSOF(fds));
                n = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ? 0 :
                        run_job(pool, msg, (size_t) len, fds, n_fds, res);
                close_fds(fds, n_fds);
                if (send(sock, res, n * sizeof(res[0]), MSG_NOSIGNAL) < 0)
                        _exit(EXIT_FAILURE);
        }
}

static int cmp_int(const void *a, const void *b)
{
        return *(const int *) a - *(const int *) b;
}

/* Keep only stdio and keep[]: other workers' sockets and fds of other
 * namespaces are none of a worker's business. */
static void close_other_fds(int *keep, size_t n)
{
        unsigned from = 3;
        bool ok = true;

        qsort(keep, n, sizeof(int), cmp_int);
        for (size_t i = 0; i < n && ok; i++) {
                if (keep[i] < (int) from)
                        continue;
                if (keep[i] > (int) from)
                        ok = close_range(from, keep[i] - 1, 0) == 0;
                from = keep[i] + 1;
        }
        if (ok && close_range(from, ~0U, 0) == 0)
                return;
        /* Before Linux 5.9: the pool never holds many fds. */
        for (int fd = 3; fd < 4096; fd++)
                if (!bsearch(&fd, keep, n, sizeof(int), cmp_int))
                        close(fd);
}

/* ---------------------------------------------------------------- pool */

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void pool_ns_free(struct pool_ns *p)
{
        if (!p)
                return;
        remount_entries_free(p->ns.entries, p->ns.n_entries);
        closep(&p->ns.ns_fd);
        closep(&p->ns.root_fd);
        closep(&p->ns.pid_dir_fd);
        free(p);
}

static void pool_ns_release(struct remount_pool *pool, struct pool_ns *p)
{
        if (--p->n_holds > 0)
                return;
        pool->cb(&p->ns, pool->userdata);
        pool_ns_free(p);
}

static int spawn(struct remount_pool *pool, struct worker *w)
{
        pid_t parent = getpid();
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        w->pid = fork();
        if (w->pid < 0) {
                int r = -errno;
                close(sv[0]);
                close(sv[1]);
                return r;
        }
        if (w->pid == 0) {
                /* A worker outliving us would keep mount namespaces busy. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);
                int keep[] = { sv[1], pool->host_ns_fd, pool->live->fd, pool->live->proc_fd,
                               pool->lock_fd };
                char lock_path[64];

                close_other_fds(keep, ELEMENTSOF(keep));
                if (pool->lock_fd >= 0) {
                        snprintf(lock_path, sizeof(lock_path), "self/fd/%d", pool->lock_fd);
                        worker_lock_fd = openat(pool->live->proc_fd, lock_path, O_RDWR | O_CLOEXEC);
                        closep(&pool->lock_fd);
                }
                if (pool->opts.stall_first_worker && !pool->stalled)
                        raise(SIGSTOP);
                worker_main(pool, sv[1]);
        }
        close(sv[1]);
        w->fd = sv[0];
        w->job = NULL;
        pool->stalled = pool->stalled || pool->opts.stall_first_worker;
        return 0;
}

/* The worker's job is over: fail what it did not answer with r. */
static void worker_release(struct remount_pool *pool, struct worker *w, int r)
{
        struct pool_ns *p = w->job;

        for (size_t i = 0; i < w->n_sent; i++)
                if (p->ns.entries[w->sent[i]].result == -ECHILD)
                        p->ns.entries[w->sent[i]].result = r;
        w->job = NULL;
        w->n_sent = 0;
        pool_ns_release(pool, p);
}

static void worker_kill(struct worker *w, bool stuck)
{
        kill(w->pid, SIGKILL);
        /* One stuck in the kernel (hung filesystem) is not waited for. */
        (void) waitpid(w->pid, NULL, stuck ? WNOHANG : 0);
        w->pid = -1;
        closep(&w->fd);
        w->fd = -1;
}

static bool was_sent(const struct worker *w, int32_t index)
{
        for (size_t i = 0; i < w->n_sent; i++)
                if (w->sent[i] == index)
                        return true;
        return false;
}

static void collect(struct remount_pool *pool, struct worker *w)
{
        struct job_result res[JOB_MAX_ENTRIES];
        ssize_t n = recv(w->fd, res, sizeof(res), MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                /* It died: its results are lost. */
                worker_kill(w, false);
                worker_release(pool, w, -ECHILD);
                return;
        }
        for (size_t i = 0; i < (size_t) n / sizeof(res[0]); i++) {
                struct remount_entry *e;

                if (!was_sent(w, res[i].index))
                        continue;
                e = &w->job->ns.entries[res[i].index];
                e->result = res[i].result;
                e->method = res[i].method;
        }
        worker_release(pool, w, -ECHILD);
}

/* Wait until at least one busy worker is done or past its deadline. */
static void wait_any(struct remount_pool *pool)
{
        long long now = now_ms(), first = -1;
        size_t n = 0;
        int r;

        for (size_t i = 0; i < pool->n_workers; i++) {
                struct worker *w = &pool->workers[i];

                if (!w->job)
                        continue;
                pool->pfds[n++] = (struct pollfd) { .fd = w->fd, .events = POLLIN };
                if (first < 0 || w->deadline_ms < first)
                        first = w->deadline_ms;
        }
        if (n == 0)
                return;
        r = poll(pool->pfds, n, (int) MAX(first - now, 0LL));
        if (r < 0 && errno != EINTR)
                r = 0;
        now = now_ms();

        n = 0;
        for (size_t i = 0; i < pool->n_workers; i++) {
                struct worker *w = &pool->workers[i];

                if (!w->job)
                        continue;
                if (r > 0 && pool->pfds[n++].revents)
                        collect(pool, w);
                else if (now >= w->deadline_ms) {
                        worker_kill(w, true);
                        worker_release(pool, w, -ETIMEDOUT);
                }
        }
}

static int idle_worker(struct remount_pool *pool, struct worker **ret)
{
        for (;;) {
                struct worker *free_slot = NULL;
                bool busy = false;

                for (size_t i = 0; i < pool->n_workers; i++) {
                        struct worker *w = &pool->workers[i];

                        if (w->pid < 0) {
                                free_slot = free_slot ?: w;
                                continue;
                        }
                        if (!w->job) {
                                *ret = w;
                                return 0;
                        }
                        busy = true;
                }
                if (free_slot) {
                        int r = spawn(pool, free_slot);
                        if (r == 0) {
                                *ret = free_slot;
                                return 0;
                        }
                        if (!busy)
                                return r;
                }
                wait_any(pool);
        }
}

static bool to_send(const struct remount_entry *e)
{
        return remount_entry_needs_heal(e) && e->result == -ECHILD;
}

/* Send w the next stale entries of p from *pos on, as many as fit in one
 * message. An entry too long to send gets its error right away. */
static void send_chunk(struct remount_pool *pool, struct worker *w, struct pool_ns *p, size_t *pos)
{
        struct job_head head = {
                .no_beneath = pool->opts.no_beneath, .fail_attach = pool->opts.fail_attach,
        };
        struct job_entry ent[JOB_MAX_ENTRIES];
        size_t used = 0, budget = JOB_MAX_BYTES - sizeof(head) - sizeof(ent);
        union job_control control = {};
        struct iovec iov[3];
        struct msghdr mh = {
                .msg_iov = iov, .msg_iovlen = 3,
                .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
        };
        int fds[JOB_FDS] = { p->ns.ns_fd, p->ns.root_fd };
        struct cmsghdr *c;

        for (; *pos < p->ns.n_entries && head.n_entries < JOB_MAX_ENTRIES; (*pos)++) {
                struct remount_entry *e = &p->ns.entries[*pos];
                size_t root_size = strlen(e->root) + 1, target_size = strlen(e->target) + 1;

                if (!to_send(e))
                        continue;
                if (root_size + target_size > budget) {
                        if (head.n_entries > 0)
                                break;          /* next message */
                        e->result = -ENAMETOOLONG;
                        continue;
                }
                memcpy(pool->strings + used, e->root, root_size);
                memcpy(pool->strings + used + root_size, e->target, target_size);
                used += root_size + target_size;
                budget -= root_size + target_size;
                ent[head.n_entries] = (struct job_entry) {
                        .attr = e->attr, .index = (int32_t) *pos, .mount_id = e->mount_id,
                        .restore = e->state == REMOUNT_MISSING,
                        .root_size = (uint32_t) root_size, .target_size = (uint32_t) target_size,
                };
                w->sent[head.n_entries++] = (int32_t) *pos;
        }
        if (head.n_entries == 0)
                return;

        iov[0] = (struct iovec) { &head, sizeof(head) };
        iov[1] = (struct iovec) { ent, head.n_entries * sizeof(ent[0]) };
        iov[2] = (struct iovec) { pool->strings, used };
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(fds));
        memcpy(CMSG_DATA(c), fds, sizeof(fds));

        w->job = p;
        w->n_sent = head.n_entries;
        w->deadline_ms = now_ms() + (pool->opts.timeout_ms ?: 5000);
        p->n_holds++;
        if (sendmsg(w->fd, &mh, MSG_NOSIGNAL) < 0) {
                int r = -errno;
                worker_kill(w, false);
                worker_release(pool, w, r);
        }
}

static bool any_to_send(const struct pool_ns *p, size_t pos)
{
        for (; pos < p->ns.n_entries; pos++)
                if (to_send(&p->ns.entries[pos]))
                        return true;
        return false;
}

int remount_pool_submit(struct remount_pool *pool, struct remount_ns *ns)
{
        struct pool_ns *p = calloc(1, sizeof(*p));
        size_t pos = 0;
        if (!p)
                return -ENOMEM;
        p->ns = *ns;
        *ns = (struct remount_ns) { .ino = ns->ino, .pid = ns->pid, .ns_fd = -1, .root_fd = -1,
                                    .pid_dir_fd = -1, .index = ns->index };
        p->n_holds = 1;
        for (size_t i = 0; i < p->ns.n_entries; i++) {
                struct remount_entry *e = &p->ns.entries[i];

                e->method = REMOUNT_METHOD_NONE;
                /* -ECHILD until a worker says otherwise; a stale entry that
                 * is not handed over keeps what its probe got. */
                e->result = remount_entry_needs_heal(e) ? -ECHILD :
                            e->state == REMOUNT_STALE ? (e->probe_err ?: -ESTALE) : 0;
        }
        while (any_to_send(p, pos)) {
                struct worker *w = NULL;

                int r = idle_worker(pool, &w);

                if (r < 0) {
                        for (size_t i = pos; i < p->ns.n_entries; i++)
                                if (p->ns.entries[i].result == -ECHILD)
                                        p->ns.entries[i].result = r;
                        break;
                }
                send_chunk(pool, w, p, &pos);
        }
        pool_ns_release(pool, p);
        return 0;
}

void remount_pool_set_fail_attach(struct remount_pool *pool, bool fail)
{
        pool->opts.fail_attach = fail;
}

void remount_pool_drain(struct remount_pool *pool)
{
        for (;;) {
                bool busy = false;

                for (size_t i = 0; i < pool->n_workers; i++)
                        busy = busy || pool->workers[i].job;
                if (!busy)
                        return;
                wait_any(pool);
        }
}

int remount_pool_new(const struct remount_live *live, const struct remount_heal_opts *opts,
                     unsigned n_workers, remount_healed_cb cb, void *userdata,
                     struct remount_pool **ret)
{
        struct remount_pool *pool = calloc(1, sizeof(*pool));

        n_workers = MAX(n_workers, 1u);
        if (!pool)
                return -ENOMEM;
        *pool = (struct remount_pool) {
                .live = live, .opts = *opts, .cb = cb, .userdata = userdata, .n_workers = n_workers,
                .workers = calloc(n_workers, sizeof(struct worker)),
                .pfds = calloc(n_workers, sizeof(struct pollfd)),
                .strings = malloc(JOB_MAX_BYTES),
                .host_ns_fd = openat(live->proc_fd, "self/ns/mnt", O_RDONLY | O_CLOEXEC),
                .lock_fd = memfd_create("lxcfs-remount-lock", MFD_CLOEXEC),
        };
        if (pool->host_ns_fd < 0) {
                int r = -errno;
                remount_pool_free(pool);
                return r;
        }
        if (!pool->workers || !pool->pfds || !pool->strings) {
                remount_pool_free(pool);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_workers; i++)
                pool->workers[i] = (struct worker) { .pid = -1, .fd = -1 };
        *ret = pool;
        return 0;
}

void remount_pool_free(struct remount_pool *pool)
{
        if (!pool)
                return;
        for (size_t i = 0; pool->workers && i < pool->n_workers; i++) {
                struct worker *w = &pool->workers[i];

                if (w->pid < 0)
                        continue;
                if (w->job) {
                        worker_kill(w, true);
                        worker_release(pool, w, -ECANCELED);
                        continue;
                }
                /* Idle: the end of its socket is its signal to exit. */
                closep(&w->fd);
                (void) waitpid(w->pid, NULL, 0);
        }
        closep(&pool->host_ns_fd);
        closep(&pool->lock_fd);
        free(pool->workers);
        free(pool->pfds);
        free(pool->strings);
        free(pool);
}
