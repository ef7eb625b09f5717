/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Is an entry's FUSE connection really dead? A different device only says
 * "not the live mount": another lxcfs (one inside a container, a second
 * instance) serves entries of its own. Only a connection that answers
 * ENOTCONN (daemon gone) or ECONNABORTED (connection aborted) is stale.
 *
 * The question is asked with a statx() that makes FUSE ask the server, from
 * a child process: a hung server would block it for good, and only a
 * process can be killed out of a FUSE wait. One superblock is one
 * connection, so the answer is kept per device: after a crash, one probe
 * answers for every container.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "remount-internal.h"

struct answer {
        int stage;              /* what failed: the path (PROBE_UNREACHABLE) or the server */
        int err;                /* 0 or -errno */
};

/* In the child: can the entry be reached through its path, and does its
 * server answer? */
static struct answer probe_in_child(int proc_fd, int root_fd, const char *target, int mount_id)
{
        _cleanup_close_ int fd = remount_open_target(root_fd, target);
        struct statx stx;
        int id, r;

        if (fd < 0)
                return (struct answer) { REMOUNT_PROBE_UNREACHABLE, fd };
        /* The path must still lead to the entry, not to what replaced it. */
        r = remount_fd_mount_id(proc_fd, fd, &id);
        if (r < 0)
                return (struct answer) { REMOUNT_PROBE_UNREACHABLE, r };
        if (id != mount_id)
                return (struct answer) { REMOUNT_PROBE_UNREACHABLE, -ESTALE };
        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_FORCE_SYNC,
                  STATX_TYPE, &stx) < 0)
                r = -errno;
        if (r == -ENOTCONN || r == -ECONNABORTED)
                return (struct answer) { REMOUNT_PROBE_DEAD, r };
        return (struct answer) { r == 0 ? REMOUNT_PROBE_ALIVE : REMOUNT_PROBE_ERROR, r };
}

enum remount_probe remount_probe_entry(int proc_fd, int root_fd, const struct remount_entry *e,
                                       unsigned timeout_ms, int *ret_err)
{
        struct answer a = { REMOUNT_PROBE_ERROR, -EIO };
        int pipefd[2], r;
        struct pollfd pfd;
        pid_t pid;
        ssize_t n;

        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                *ret_err = -errno;
                return REMOUNT_PROBE_ERROR;
        }
        pid = fork();
        if (pid < 0) {
                *ret_err = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return REMOUNT_PROBE_ERROR;
        }
        if (pid == 0) {
                close(pipefd[0]);
                a = probe_in_child(proc_fd, root_fd, e->target, e->mount_id);
                (void) !write(pipefd[1], &a, sizeof(a));
                _exit(EXIT_SUCCESS);
        }
        close(pipefd[1]);
        pfd = (struct pollfd) { .fd = pipefd[0], .events = POLLIN };
        do
                r = poll(&pfd, 1, (int) timeout_ms);
        while (r < 0 && errno == EINTR);
        n = r > 0 ? read(pipefd[0], &a, sizeof(a)) : -1;
        close(pipefd[0]);
        if (n != sizeof(a)) {
                /* Stuck in a FUSE request: SIGKILL ends the wait there. */
                kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                *ret_err = r == 0 ? -ETIMEDOUT : -EIO;
                return r == 0 ? REMOUNT_PROBE_NO_ANSWER : REMOUNT_PROBE_ERROR;
        }
        (void) waitpid(pid, NULL, 0);
        *ret_err = a.err;
        return (enum remount_probe) a.stage;
}

static const struct remount_probe_answer *cache_find(const struct remount_probe_cache *c, dev_t dev)
{
        for (size_t i = 0; i < c->n; i++)
                if (c->answers[i].dev == dev)
                        return &c->answers[i];
        return NULL;
}

static void cache_add(struct remount_probe_cache *c, const struct remount_probe_answer *a)
{
        struct remount_probe_answer *p = realloc(c->answers, (c->n + 1) * sizeof(*p));

        if (!p)
                return;         /* not kept: only costs a probe later */
        c->answers = p;
        c->answers[c->n++] = *a;
}

void remount_probe_cache_done(struct remount_probe_cache *c)
{
        free(c->answers);
        c->answers = NULL;
        c->n = 0;
}

/* The state an answer gives an entry that is not on the live device. An
 * entry that cannot be reached through its path cannot be asked, nor healed
 * (the heal resolves the same path with the same checks): it stays stale,
 * with the reason as its result, and is not handed to a worker. */
static enum remount_state state_of(enum remount_probe p)
{
        switch (p) {
        case REMOUNT_PROBE_DEAD:        return REMOUNT_STALE;
        case REMOUNT_PROBE_ALIVE:       return REMOUNT_FOREIGN;
        case REMOUNT_PROBE_UNREACHABLE: return REMOUNT_STALE;
        default:                        return REMOUNT_UNKNOWN;
        }
}

void remount_ns_probe(int proc_fd, struct remount_ns *ns, struct remount_probe_cache *cache)
{
        for (size_t i = 0; i < ns->n_entries; i++) {
                struct remount_entry *e = &ns->entries[i];
                const struct remount_probe_answer *known;
                struct remount_probe_answer a = { .dev = e->dev };

                if (e->state != REMOUNT_STALE)
                        continue;
                known = cache_find(cache, e->dev);
                if (known)
                        a = *known;
                else {
                        a.probe = remount_probe_entry(proc_fd, ns->root_fd, e, cache->timeout_ms, &a.err);
                        /* One connection per device: its answer holds for every entry. */
                        if (a.probe != REMOUNT_PROBE_UNREACHABLE)
                                cache_add(cache, &a);
                }
                e->probe = a.probe;
                e->probe_err = a.err;
                e->state = state_of(a.probe);
        }
}
