/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The load average sampler: a table of the cgroups that were read recently
 * and a thread that folds their R + D count into the 1/5/15 minute averages
 * every LOADAVG_INTERVAL_SEC, like the kernel does for the whole host.
 *
 * Locking: one mutex guards the table. The thread copies the list of
 * entries under it, counts tasks without it (that is all the I/O), then
 * takes it again to store the results. Only the thread removes entries, so
 * the entries it copied stay valid while it counts. */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadavg-internal.h"
#include "lxcfs/log.h"
#include "lxcfs/macro.h"

#define USEC_PER_SEC 1000000ULL
#define TABLE_MIN_BUCKETS 64

/* ---- the table ---- */

struct entry {
        struct entry *next;    /* bucket chain */
        char *key;
        uint64_t hash;
        int dirfd;             /* owned; reopening by path would race with a new
                                * cgroup of the same name */
        bool v1;
        uint64_t last_read_usec;
        struct loadavg_value value;
};

struct loadavg_sampler {
        struct loadavg_sampler_ops ops;
        const struct cg_hierarchies *cg;

        pthread_mutex_t lock;
        pthread_cond_t wake;   /* signalled to stop the thread */
        struct entry **buckets;
        size_t n_buckets, n_entries;
        uint64_t ticks;
        bool stop;

        bool running;
        pthread_t thread;
};

static uint64_t hash_key(const char *key)
{
        uint64_t h = 14695981039346656037ULL; /* FNV-1a */

        for (; *key; key++)
                h = (h ^ (unsigned char) *key) * 1099511628211ULL;
        return h;
}

static struct entry **bucket_of(struct loadavg_sampler *s, uint64_t hash)
{
        return &s->buckets[hash & (s->n_buckets - 1)];
}

static struct entry *table_find(struct loadavg_sampler *s, const char *key, uint64_t hash)
{
        for (struct entry *e = *bucket_of(s, hash); e; e = e->next)
                if (e->hash == hash && streq(e->key, key))
                        return e;
        return NULL;
}

/* Keep chains short as containers come and go: double when the load
 * factor passes 1. On allocation failure the table just stays slower. */
static void table_grow(struct loadavg_sampler *s)
{
        size_t n = s->n_buckets * 2;
        struct entry **b;

        if (s->n_entries < s->n_buckets)
                return;
        b = calloc(n, sizeof(*b));
        if (!b)
                return;
        for (size_t i = 0; i < s->n_buckets; i++) {
                struct entry *e = s->buckets[i];

                while (e) {
                        struct entry *next = e->next;

                        e->next = b[e->hash & (n - 1)];
                        b[e->hash & (n - 1)] = e;
                        e = next;
                }
        }
        free(s->buckets);
        s->buckets = b;
        s->n_buckets = n;
}

static void table_insert(struct loadavg_sampler *s, struct entry *e)
{
        table_grow(s);
        e->next = *bucket_of(s, e->hash);
        *bucket_of(s, e->hash) = e;
        s->n_entries++;
}

static void entry_free(struct entry *e)
{
        if (e->dirfd >= 0)
                close(e->dirfd);
        free(e->key);
        free(e);
}

static void table_remove(struct loadavg_sampler *s, struct entry *e)
{
        for (struct entry **p = bucket_of(s, e->hash); *p; p = &(*p)->next)
                if (*p == e) {
                        *p = e->next;
                        s->n_entries--;
                        entry_free(e);
                        return;
                }
}

/* ---- defaults ---- */

static uint64_t timespec_usec(const struct timespec *ts)
{
        return (uint64_t) ts->tv_sec * USEC_PER_SEC + (uint64_t) ts->tv_nsec / 1000;
}

static struct timespec usec_timespec(uint64_t usec)
{
        return (struct timespec) { .tv_sec = (time_t) (usec / USEC_PER_SEC),
                                   .tv_nsec = (long) (usec % USEC_PER_SEC) * 1000 };
}

static uint64_t monotonic_usec(void *userdata)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return timespec_usec(&ts);
}

static int count_tasks(int dirfd, bool v1, struct task_counts *ret, void *userdata)
{
        return task_counts_read(dirfd, v1, ret);
}

const struct loadavg_sampler_ops loadavg_sampler_default_ops = {
        .count = count_tasks,
        .now_usec = monotonic_usec,
        .interval_usec = LOADAVG_INTERVAL_SEC * USEC_PER_SEC,
        .idle_usec = LOADAVG_IDLE_DROP_SEC * USEC_PER_SEC,
};

/* ---- lifecycle ---- */

int loadavg_sampler_new_with(const struct loadavg_sampler_ops *ops, struct loadavg_sampler **ret)
{
        _cleanup_free_ struct loadavg_sampler *s = NULL;
        pthread_condattr_t attr;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->ops = *ops;
        s->n_buckets = TABLE_MIN_BUCKETS;
        s->buckets = calloc(s->n_buckets, sizeof(*s->buckets));
        if (!s->buckets)
                return -ENOMEM;

        r = pthread_mutex_init(&s->lock, NULL);
        if (r == 0) {
                /* The wait must not stretch when the wall clock is set back. */
                pthread_condattr_init(&attr);
                pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
                r = pthread_cond_init(&s->wake, &attr);
                pthread_condattr_destroy(&attr);
                if (r != 0)
                        pthread_mutex_destroy(&s->lock);
        }
        if (r != 0) {
                free(s->buckets);
                return -r;
        }
        *ret = steal_pointer(&s);
        return 0;
}

int loadavg_sampler_new(const struct cg_hierarchies *cg, struct loadavg_sampler **ret)
{
        struct loadavg_sampler *s;
        int r;

        r = loadavg_sampler_new_with(&loadavg_sampler_default_ops, &s);
        if (r < 0)
                return r;
        s->cg = cg;
        *ret = s;
        return 0;
}

static void stop_thread(struct loadavg_sampler *s)
{
        if (!s->running)
                return;
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        s->running = false;
}

void loadavg_sampler_free(struct loadavg_sampler *s)
{
        if (!s)
                return;
        stop_thread(s);
        for (size_t i = 0; i < s->n_buckets; i++)
                while (s->buckets[i]) {
                        struct entry *e = s->buckets[i];

                        s->buckets[i] = e->next;
                        entry_free(e);
                }
        free(s->buckets);
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        free(s);
}

size_t loadavg_sampler_size(struct loadavg_sampler *s)
{
        size_t n;

        pthread_mutex_lock(&s->lock);
        n = s->n_entries;
        pthread_mutex_unlock(&s->lock);
        return n;
}

uint64_t loadavg_sampler_ticks(struct loadavg_sampler *s)
{
        uint64_t n;

        pthread_mutex_lock(&s->lock);
        n = s->ticks;
        pthread_mutex_unlock(&s->lock);
        return n;
}

/* ---- sampling ---- */

struct sample {
        struct entry *e;
        int dirfd;
        bool v1;
        int r;
        struct task_counts counts;
};

static bool is_idle(const struct loadavg_sampler *s, const struct entry *e, uint64_t now)
{
        return now > e->last_read_usec + s->ops.idle_usec;
}

/* Under the lock: drop idle entries, list the others. */
static size_t collect(struct loadavg_sampler *s, struct sample *batch, uint64_t now)
{
        size_t n = 0;

        for (size_t i = 0; i < s->n_buckets; i++) {
                struct entry *e = s->buckets[i];

                while (e) {
                        struct entry *next = e->next;

                        if (is_idle(s, e, now))
                                table_remove(s, e);
                        else
                                batch[n++] = (struct sample) { .e = e, .dirfd = e->dirfd, .v1 = e->v1 };
                        e = next;
                }
        }
        return n;
}

static void store(struct loadavg_sampler *s, const struct sample *sm)
{
        struct loadavg_value *v = &sm->e->value;

        if (sm->r == -ENOENT || sm->r == -ENODEV) {
                /* The cgroup was removed: forget it; a new cgroup of the same
                 * name starts afresh on its first read. */
                table_remove(s, sm->e);
                return;
        }
        if (sm->r < 0) {
                /* Keep the averages; a transient failure should not reset them. */
                log_debug_errno(sm->r, "Failed to count tasks of cgroup %s: %m", sm->e->key);
                return;
        }
        loadavg_step(v->avg, sm->counts.running + sm->counts.uninterruptible);
        v->running = sm->counts.running;
        v->total = sm->counts.total;
        v->last_pid = sm->counts.last_pid;
}

void loadavg_sampler_tick(struct loadavg_sampler *s)
{
        _cleanup_free_ struct sample *batch = NULL;
        size_t n;

        pthread_mutex_lock(&s->lock);
        batch = calloc(MAX(s->n_entries, (size_t) 1), sizeof(*batch));
        n = batch ? collect(s, batch, s->ops.now_usec(s->ops.userdata)) : 0;
        pthread_mutex_unlock(&s->lock);

        for (size_t i = 0; i < n; i++)
                batch[i].r = s->ops.count(batch[i].dirfd, batch[i].v1, &batch[i].counts, s->ops.userdata);

        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < n; i++)
                store(s, &batch[i]);
        s->ticks++;
        pthread_mutex_unlock(&s->lock);
}

/* Passes keep a fixed period, like the kernel's, unless one overran it. */
static uint64_t next_deadline(uint64_t previous, uint64_t interval)
{
        struct timespec now;
        uint64_t next = previous + interval;

        clock_gettime(CLOCK_MONOTONIC, &now);
        if (next <= timespec_usec(&now))
                next = timespec_usec(&now) + interval;
        return next;
}

static void *sampler_thread(void *userdata)
{
        struct loadavg_sampler *s = userdata;
        uint64_t deadline = next_deadline(0, s->ops.interval_usec);

        pthread_mutex_lock(&s->lock);
        for (;;) {
                struct timespec ts = usec_timespec(deadline);

                while (!s->stop)
                        if (pthread_cond_timedwait(&s->wake, &s->lock, &ts) == ETIMEDOUT)
                                break;
                if (s->stop)
                        break;
                pthread_mutex_unlock(&s->lock);
                loadavg_sampler_tick(s);
                deadline = next_deadline(deadline, s->ops.interval_usec);
                pthread_mutex_lock(&s->lock);
        }
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

int loadavg_sampler_start(struct loadavg_sampler *s)
{
        sigset_t all, saved;
        int r;

        if (s->running)
                return -EBUSY;
        /* Signals are for the FUSE session threads, never this one. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &saved);
        r = pthread_create(&s->thread, NULL, sampler_thread, s);
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        if (r != 0)
                return -r;
        pthread_setname_np(s->thread, "lxcfs-loadavg");
        s->running = true;
        return 0;
}

/* ---- lookup ---- */

static bool lookup(struct loadavg_sampler *s, const char *key, uint64_t hash, struct loadavg_value *ret)
{
        struct entry *e = table_find(s, key, hash);

        if (!e)
                return false;
        e->last_read_usec = s->ops.now_usec(s->ops.userdata);
        *ret = e->value;
        return true;
}

/* Count a cgroup seen for the first time. Its averages start at the
 * current R + D count rather than at 0: a container read right after the
 * daemon (re)started would otherwise report a load that climbs from zero
 * for a quarter of an hour. */
static int entry_new(struct loadavg_sampler *s, const char *key, uint64_t hash, bool v1,
                     loadavg_open_fn open_dir, void *open_data, struct entry **ret)
{
        _cleanup_close_ int fd = -1;
        struct task_counts c;
        struct entry *e;
        int r;

        fd = open_dir(open_data);
        if (fd < 0)
                return fd;
        r = s->ops.count(fd, v1, &c, s->ops.userdata);
        if (r < 0)
                return r;

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->key = strdup(key);
        if (!e->key) {
                free(e);
                return -ENOMEM;
        }
        e->hash = hash;
        e->dirfd = steal_fd(&fd);
        e->v1 = v1;
        loadavg_seed(e->value.avg, c.running + c.uninterruptible);
        e->value.running = c.running;
        e->value.total = c.total;
        e->value.last_pid = c.last_pid;
        *ret = e;
        return 0;
}

int loadavg_sampler_get_key(struct loadavg_sampler *s, const char *key, bool v1,
                            loadavg_open_fn open_dir, void *open_data,
                            struct loadavg_value *ret)
{
        uint64_t hash = hash_key(key);
        struct entry *e;
        bool found;
        int r;

        pthread_mutex_lock(&s->lock);
        found = lookup(s, key, hash, ret);
        pthread_mutex_unlock(&s->lock);
        if (found)
                return 0;

        /* Open and count without the lock: this is I/O. */
        r = entry_new(s, key, hash, v1, open_dir, open_data, &e);
        if (r < 0)
                return r;

        pthread_mutex_lock(&s->lock);
        found = lookup(s, key, hash, ret); /* another reader registered it meanwhile */
        if (!found) {
                e->last_read_usec = s->ops.now_usec(s->ops.userdata);
                *ret = e->value;
                table_insert(s, e);
                e = NULL;
        }
        pthread_mutex_unlock(&s->lock);
        if (e)
                entry_free(e);
        return 0;
}
