/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lxcfs/log.h"
#include "lxcfs/macro.h"
#include "lxcfs/workers.h"

#define DRAIN_KICK_NSEC  (2 * 1000 * 1000L)
#define DRAIN_MAX_KICKS  2500            /* 5 s */

static void on_wake(int sig) { }

static bool stopping(struct workers *w)
{
        return __atomic_load_n(&w->stopping, __ATOMIC_ACQUIRE);
}

static void worker_ends(struct workers *w, int err)
{
        uint64_t one = 1;

        if (err)
                __atomic_store_n(&w->exit_errno, err, __ATOMIC_RELEASE);
        __atomic_sub_fetch(&w->alive, 1, __ATOMIC_ACQ_REL);
        if (err)
                (void) write(w->wake_fd, &one, sizeof(one));
}

static void *worker_main(void *p)
{
        struct worker_slot *a = p;
        struct workers *w = a->w;
        struct conn *c = w->conn;
        uint8_t *slot = handover_slot(&c->state, a->index);
        size_t size = c->state.hdr->slot_size;
        ssize_t n;

        while (!stopping(w)) {
                /* Empty before reading: a slot that is not empty after a
                 * crash holds a request that was read and not finished. */
                handover_slot_clear(&c->state, a->index);
                n = read(c->fd, slot, size);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
                                continue;   /* ENOENT: the request was interrupted */
                        if (errno != ENODEV)
                                log_error_errno(errno, "Reading /dev/fuse failed: %m");
                        worker_ends(w, errno);
                        return NULL;
                }
                conn_process(c, slot, (size_t) n);
        }
        handover_slot_clear(&c->state, a->index);
        worker_ends(w, 0);
        return NULL;
}

unsigned workers_default_count(void)
{
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);

        /* Requests are short and CPU-bound: two workers per CPU keep every
         * CPU busy while one waits on a slow cgroup file; more only spread
         * requests over more stacks and caches. */
        long n = MAX(2 * cpus, 4L);

        return (unsigned) MIN(n, (long) HANDOVER_SLOTS);
}

int workers_start(struct workers *w, struct conn *conn, unsigned n)
{
        struct sigaction sa = { .sa_handler = on_wake };   /* no SA_RESTART */
        sigset_t mask, saved;
        int r = 0;

        n = MAX(n, 1u);
        *w = (struct workers) { .conn = conn, .n = MIN(n, HANDOVER_SLOTS) };
        w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->wake_fd < 0)
                return -errno;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGUSR2, &sa, NULL) < 0)
                return -errno;

        sigfillset(&mask);
        sigdelset(&mask, SIGUSR2);
        sigdelset(&mask, SIGSEGV);
        sigdelset(&mask, SIGBUS);
        sigdelset(&mask, SIGABRT);
        pthread_sigmask(SIG_SETMASK, &mask, &saved);
        for (unsigned i = 0; i < w->n; i++) {
                w->slot[i] = (struct worker_slot) { .w = w, .index = i };
                __atomic_add_fetch(&w->alive, 1, __ATOMIC_ACQ_REL);
                r = -pthread_create(&w->threads[i], NULL, worker_main, &w->slot[i]);
                if (r < 0) {
                        __atomic_sub_fetch(&w->alive, 1, __ATOMIC_ACQ_REL);
                        break;
                }
                w->started[i] = true;
        }
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (r < 0 && w->started[0])
                log_warning_errno(r, "Started only some of %u workers: %m", w->n);
        return w->started[0] ? 0 : r;
}

/* A worker may check `stopping` just before it enters read(): one signal
 * can come too early, so keep kicking until every worker is out. */
void workers_drain(struct workers *w)
{
        struct timespec kick = { .tv_nsec = DRAIN_KICK_NSEC };
        int kicks;

        __atomic_store_n(&w->stopping, 1, __ATOMIC_RELEASE);
        for (kicks = 0; __atomic_load_n(&w->alive, __ATOMIC_ACQUIRE) > 0 && kicks < DRAIN_MAX_KICKS;
             kicks++) {
                for (unsigned i = 0; i < w->n; i++)
                        if (w->started[i])
                                pthread_kill(w->threads[i], SIGUSR2);
                nanosleep(&kick, NULL);
        }
        if (__atomic_load_n(&w->alive, __ATOMIC_ACQUIRE) > 0) {
                log_warning("%u workers still busy after 5 s; leaving their requests to the "
                            "next process.", w->alive);
                return;
        }
        for (unsigned i = 0; i < w->n; i++)
                if (w->started[i])
                        pthread_join(w->threads[i], NULL);
        close(w->wake_fd);
}
