/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The request loop: worker threads that read the one /dev/fuse fd of a
 * connection, each into its own journal slot, and hand requests to
 * libfuse. They run with every signal blocked but SIGUSR2, which only
 * interrupts a read so that a worker notices it must stop. */

#include <pthread.h>
#include <stdbool.h>

#include "lxcfs/conn.h"

struct workers;
struct worker_slot {
        struct workers *w;
        unsigned index;          /* the journal slot it reads into */
};

struct workers {
        struct conn *conn;
        struct worker_slot slot[HANDOVER_SLOTS];
        unsigned n;
        pthread_t threads[HANDOVER_SLOTS];
        bool started[HANDOVER_SLOTS];
        int stopping;            /* atomic */
        unsigned alive;          /* atomic */
        int exit_errno;          /* atomic: why the connection ended (ENODEV: unmounted) */
        int wake_fd;             /* eventfd: written when a worker stops on its own */
};

int workers_start(struct workers *w, struct conn *conn, unsigned n);
/* Stop reading new requests, finish the ones in hand, join. Requests that
 * arrive meanwhile wait in the kernel for the next reader. */
void workers_drain(struct workers *w);
/* A sensible default: two per CPU, at least 4. */
unsigned workers_default_count(void);
