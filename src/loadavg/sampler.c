/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The load average sampler: a table of the cgroups that were read recently
 * and a thread that folds their R + D count into the 1/5/15 minute averages
 * every LOADAVG_INTERVAL_SEC, like the kernel does for the whole host.
 *
 * The table is bounded: past max_cgroups entries, registering a cgroup
 * forgets the one read least recently (a list kept in read order), so a
 * container that creates cgroups without end costs a fixed amount. No fd is
 * held per entry; a pass opens each cgroup by path and closes it again.
 *
 * Locking: one mutex guards the table. The thread takes a reference on
 * each entry under it, opens and counts without it (that is all the I/O),
 * then takes it again to store the results into the entries that are still
 * in the table. Readers may evict entries meanwhile: the reference keeps
 * them valid until the pass lets go. */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loadavg-internal.h"
#include "lxcfs/log.h"
#include "lxcfs/macro.h"

#define USEC_PER_SEC 1000000ULL
#define TABLE_MIN_BUCKETS 64

/* ---- the table ---- */

/* Which directory an entry was counted in: a cgroup removed and created
 * again under the same name is a new cgroup, and starts afresh. */
struct identity {
        dev_t dev;
        ino_t ino;
};

struct entry {
        struct entry *next;              /* bucket chain */
        struct entry *newer, *older;     /* read order; the newest is s->newest */
        char *key;
        char *rel;
        uint64_t hash;
        int base_fd;                     /* not owned: a hierarchy root */
        bool v1;
        bool in_table;
        unsigned refs;                   /* the table's, plus one per pass holding it */
        struct identity id;
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
        struct entry *newest, *oldest;
        uint64_t ticks, evictions;
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
 * factor passes 1 (the cap bounds the size). On allocation failure the
 * table just stays slower. */
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

static void entry_free(struct entry *e)
{
        free(e->key);
        free(e->rel);
        free(e);
}

/* Under the lock. */
static void entry_unref(struct entry *e)
{
        if (--e->refs == 0)
                entry_free(e);
}

static void order_unlink(struct loadavg_sampler *s, struct entry *e)
{
        if (e->newer)
                e->newer->older = e->older;
        else
                s->newest = e->older;
        if (e->older)
                e->older->newer = e->newer;
        else
                s->oldest = e->newer;
        e->newer = e->older = NULL;
}

static void order_push_newest(struct loadavg_sampler *s, struct entry *e)
{
        e->older = s->newest;
        e->newer = NULL;
        if (s->newest)
                s->newest->newer = e;
        else
                s->oldest = e;
        s->newest = e;
}

static void table_remove(struct loadavg_sampler *s, struct entry *e)
{
        for (struct entry **p = bucket_of(s, e->hash); *p; p = &(*p)->next)
                if (*p == e) {
                        *p = e->next;
                        order_unlink(s, e);
                        e->in_table = false;
                        s->n_entries--;
                        entry_unref(e);
                        return;
                }
}

static size_t max_cgroups(const struct loadavg_sampler *s)
{
        return s->ops.max_cgroups ? s->ops.max_cgroups : LOADAVG_MAX_CGROUPS;
}

/* Make room, then add e as the most recently read entry. */
static void table_insert(struct loadavg_sampler *s, struct entry *e)
{
        while (s->n_entries >= max_cgroups(s) && s->oldest) {
                log_debug("Too many cgroups sampled for loadavg (%zu), forgetting %s.",
                          s->n_entries, s->oldest->key);
                table_remove(s, s->oldest);
                s->evictions++;
        }
        table_grow(s);
        e->next = *bucket_of(s, e->hash);
        *bucket_of(s, e->hash) = e;
        order_push_newest(s, e);
        e->in_table = true;
        e->refs++;
        s->n_entries++;
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

static int open_cgroup(int base_fd, const char *rel, void *userdata)
{
        int fd = openat(base_fd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? -errno : fd;
}

static int count_tasks(int dirfd, bool v1, struct task_counts *ret, void *userdata)
{
        return task_counts_read(dirfd, v1, ret);
}

const struct loadavg_sampler_ops loadavg_sampler_default_ops = {
        .open_dir = open_cgroup,
        .count = count_tasks,
        .now_usec = monotonic_usec,
        .interval_usec = LOADAVG_INTERVAL_SEC * USEC_PER_SEC,
        .idle_usec = LOADAVG_IDLE_DROP_SEC * USEC_PER_SEC,
        .max_cgroups = LOADAVG_MAX_CGROUPS,
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
        while (s->oldest)
                table_remove(s, s->oldest);
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

uint64_t loadavg_sampler_evictions(struct loadavg_sampler *s)
{
        uint64_t n;

        pthread_mutex_lock(&s->lock);
        n = s->evictions;
        pthread_mutex_unlock(&s->lock);
        return n;
}

/* ---- sampling ---- */

/* Open a cgroup by path, note which directory it is, count its tasks. */
static int count_cgroup(struct loadavg_sampler *s, int base_fd, const char *rel, bool v1,
                        struct identity *ret_id, struct task_counts *ret)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        fd = s->ops.open_dir(base_fd, rel, s->ops.userdata);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        *ret_id = (struct identity) { .dev = st.st_dev, .ino = st.st_ino };
        return s->ops.count(fd, v1, ret, s->ops.userdata);
}

static void value_seed(struct loadavg_value *v, const struct task_counts *c)
{
        loadavg_seed(v->avg, c->running + c->uninterruptible);
        v->running = c->running;
        v->uninterruptible = c->uninterruptible;
        v->total = c->total;
        v->last_pid = c->last_pid;
}

static void value_step(struct loadavg_value *v, const struct task_counts *c)
{
        loadavg_step(v->avg, c->running + c->uninterruptible);
        v->running = c->running;
        v->uninterruptible = c->uninterruptible;
        v->total = c->total;
        v->last_pid = c->last_pid;
}

struct sample {
        struct entry *e;       /* referenced for the pass */
        int r;
        struct identity id;
        struct task_counts counts;
};

static bool is_idle(const struct loadavg_sampler *s, const struct entry *e, uint64_t now)
{
        return now > e->last_read_usec + s->ops.idle_usec;
}

/* Under the lock: drop idle entries (the oldest reads come last in read
 * order), reference and list the others. */
static size_t collect(struct loadavg_sampler *s, struct sample *batch, uint64_t now)
{
        size_t n = 0;

        while (s->oldest && is_idle(s, s->oldest, now))
                table_remove(s, s->oldest);
        for (struct entry *e = s->newest; e; e = e->older) {
                e->refs++;
                batch[n++] = (struct sample) { .e = e };
        }
        return n;
}

static bool same_identity(const struct identity *a, const struct identity *b)
{
        return a->dev == b->dev && a->ino == b->ino;
}

static void store(struct loadavg_sampler *s, const struct sample *sm)
{
        struct entry *e = sm->e;

        if (!e->in_table)
                return; /* evicted or dropped while counting */
        if (sm->r == -ENOENT || sm->r == -ENODEV) {
                /* The cgroup was removed: forget it; a new cgroup of the same
                 * name starts afresh on its first read. */
                table_remove(s, e);
                return;
        }
        if (sm->r < 0) {
                /* Keep the averages; a transient failure should not reset them. */
                log_debug_errno(sm->r, "Failed to count tasks of cgroup %s: %m", e->key);
                return;
        }
        if (!same_identity(&e->id, &sm->id)) {
                /* Removed and created again between two passes. */
                e->id = sm->id;
                value_seed(&e->value, &sm->counts);
                return;
        }
        value_step(&e->value, &sm->counts);
}

void loadavg_sampler_tick(struct loadavg_sampler *s)
{
        _cleanup_free_ struct sample *batch = NULL;
        size_t n;

        pthread_mutex_lock(&s->lock);
        batch = calloc(MAX(s->n_entries, (size_t) 1), sizeof(*batch));
        n = batch ? collect(s, batch, s->ops.now_usec(s->ops.userdata)) : 0;
        pthread_mutex_unlock(&s->lock);

        /* Entries are referenced, so key, rel and base_fd stay put. */
        for (size_t i = 0; i < n; i++) {
                struct sample *sm = &batch[i];

                sm->r = count_cgroup(s, sm->e->base_fd, sm->e->rel, sm->e->v1, &sm->id, &sm->counts);
        }

        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < n; i++) {
                store(s, &batch[i]);
                entry_unref(batch[i].e);
        }
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
        order_unlink(s, e);
        order_push_newest(s, e);
        *ret = e->value;
        return true;
}

/* Count a cgroup seen for the first time. Its averages start at the
 * current R + D count rather than at 0: a container read right after the
 * daemon (re)started would otherwise report a load that climbs from zero
 * for a quarter of an hour. */
static int entry_new(struct loadavg_sampler *s, const char *key, uint64_t hash, int base_fd,
                     const char *rel, bool v1, struct entry **ret)
{
        _cleanup_free_ struct entry *e = NULL;
        struct task_counts c;
        int r;

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        r = count_cgroup(s, base_fd, rel, v1, &e->id, &c);
        if (r < 0)
                return r;
        e->key = strdup(key);
        e->rel = strdup(rel);
        if (!e->key || !e->rel) {
                free(e->key);
                free(e->rel);
                return -ENOMEM;
        }
        e->hash = hash;
        e->base_fd = base_fd;
        e->v1 = v1;
        value_seed(&e->value, &c);
        *ret = steal_pointer(&e);
        return 0;
}

int loadavg_sampler_get_key(struct loadavg_sampler *s, const char *key, int base_fd,
                            const char *rel, bool v1, struct loadavg_value *ret)
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
        r = entry_new(s, key, hash, base_fd, rel, v1, &e);
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
