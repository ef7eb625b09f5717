/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sampler's bookkeeping: registration, decay toward the count, dropping
 * of idle and vanished cgroups, a cgroup created again under the same name,
 * the LRU cap, eviction while a pass counts, no fd held per cgroup, and the
 * thread against concurrent readers.
 *
 * The opener, the task counter and the clock are replaced by fakes so that
 * each pass is driven explicitly with loadavg_sampler_tick(); counting real
 * cgroups is covered by test-taskcount. A fake cgroup "fake/N" opens as
 * /dev/null (or /dev/zero once "created again"), and the counter finds N
 * from the fd it is handed. */

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../../src/loadavg/loadavg-internal.h"
#include "tap.h"

#define N_FAKE 5200
#define MAX_FD 8192

struct fake_cgroup {
        unsigned active;
        unsigned blocked;
        int error;      /* returned by the opener when set */
        bool recreated; /* opens as another file: a new directory of that name */
        unsigned opens;
};

struct world {
        uint64_t now;
        struct fake_cgroup cg[N_FAKE];
        int fd_to_cg[MAX_FD];
        unsigned counts;
        /* Called by the counter without the sampler's lock, as a reader
         * running concurrently with a pass would be. */
        void (*during_count)(int idx);
};

static struct world w;
static pthread_mutex_t world_lock = PTHREAD_MUTEX_INITIALIZER;

static int fake_open(int base_fd, const char *rel, void *userdata)
{
        int idx, fd;

        if (sscanf(rel, "fake/%d", &idx) != 1 || idx < 0 || idx >= N_FAKE)
                return -EINVAL;
        pthread_mutex_lock(&world_lock);
        if (w.cg[idx].error) {
                pthread_mutex_unlock(&world_lock);
                return w.cg[idx].error;
        }
        fd = open(w.cg[idx].recreated ? "/dev/zero" : "/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && fd < MAX_FD) {
                w.fd_to_cg[fd] = idx;
                w.cg[idx].opens++;
        }
        pthread_mutex_unlock(&world_lock);
        if (fd >= MAX_FD) {
                close(fd);
                return -EMFILE;
        }
        return fd < 0 ? -errno : fd;
}

static int fake_count(int dirfd, bool v1, struct task_counts *ret, void *userdata)
{
        struct fake_cgroup *c;
        void (*hook)(int);
        int idx;

        pthread_mutex_lock(&world_lock);
        w.counts++;
        idx = w.fd_to_cg[dirfd];
        c = &w.cg[idx];
        *ret = (struct task_counts) { .running = c->active, .uninterruptible = c->blocked,
                                      .total = c->active + c->blocked + 10,
                                      .last_pid = 1000 + (pid_t) c->active };
        hook = w.during_count;
        pthread_mutex_unlock(&world_lock);
        if (hook)
                hook(idx);
        return 0;
}

static uint64_t fake_now(void *userdata)
{
        uint64_t t;

        pthread_mutex_lock(&world_lock);
        t = w.now;
        pthread_mutex_unlock(&world_lock);
        return t;
}

static const struct loadavg_sampler_ops fake_ops = {
        .open_dir = fake_open,
        .count = fake_count,
        .now_usec = fake_now,
        .interval_usec = 1000,
        .idle_usec = 600ULL * 1000000,
};

static struct loadavg_sampler_ops ops_with_cap(size_t cap)
{
        struct loadavg_sampler_ops o = fake_ops;

        o.max_cgroups = cap;
        return o;
}

static int get(struct loadavg_sampler *s, int idx, struct loadavg_value *v)
{
        char key[32], rel[32];

        snprintf(key, sizeof(key), "cpu:/fake/%d", idx);
        snprintf(rel, sizeof(rel), "fake/%d", idx);
        return loadavg_sampler_get_key(s, key, -1, rel, true, v);
}

static unsigned opens_of(int idx)
{
        unsigned n;

        pthread_mutex_lock(&world_lock);
        n = w.cg[idx].opens;
        pthread_mutex_unlock(&world_lock);
        return n;
}

/* Registered now, without registering it: a read would. */
static bool is_registered(struct loadavg_sampler *s, int idx)
{
        unsigned before = opens_of(idx);
        size_t size = loadavg_sampler_size(s);
        struct loadavg_value v;

        if (get(s, idx, &v) < 0)
                return false;
        /* A new registration opened the cgroup; a table hit did not. */
        return opens_of(idx) == before && loadavg_sampler_size(s) == size;
}

/* Entries of a /proc/self directory, "." and ".." left out. */
static int count_entries(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *de;
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

static int count_open_fds(void)
{
        return count_entries("/proc/self/fd") - 1; /* the directory's own fd */
}

static void test_register_and_decay(void)
{
        struct loadavg_sampler *s;
        struct loadavg_value v;
        unsigned long want[3];

        memset(&w, 0, sizeof(w));
        tap_ok(loadavg_sampler_new_with(&fake_ops, &s) == 0, "new");

        w.cg[1].active = 3;
        w.cg[1].blocked = 1;
        tap_ok(get(s, 1, &v) == 0, "first read registers");
        tap_ok(v.avg[0] == 4 * 2048 && v.avg[2] == 4 * 2048, "seeded from the current R + D count");
        tap_ok(v.running == 3 && v.uninterruptible == 1 && v.total == 14 && v.last_pid == 1003,
               "current counts returned (R %u D %u total %u)", v.running, v.uninterruptible, v.total);
        tap_ok(get(s, 1, &v) == 0 && w.cg[1].opens == 1, "second read uses the table");
        tap_ok(loadavg_sampler_size(s) == 1, "one cgroup registered");

        /* Everything stops: the averages fall exactly as loadavg_step says. */
        w.cg[1].active = 0;
        w.cg[1].blocked = 0;
        loadavg_seed(want, 4);
        for (int i = 0; i < 12; i++) {
                loadavg_sampler_tick(s);
                loadavg_step(want, 0);
        }
        get(s, 1, &v);
        tap_ok(v.avg[0] == want[0] && v.avg[1] == want[1] && v.avg[2] == want[2],
               "one minute of decay (%lu %lu %lu)", v.avg[0], v.avg[1], v.avg[2]);
        tap_ok(v.avg[0] < v.avg[1] && v.avg[1] < v.avg[2] && v.avg[2] < 4 * 2048,
               "1 min falls fastest");
        tap_ok(v.running == 0 && v.uninterruptible == 0 && v.total == 10, "counts follow the last pass");
        tap_ok(w.cg[1].opens == 13, "each pass opened the cgroup by path (%u opens)", w.cg[1].opens);

        /* Then 2 tasks for long enough: all three reach 2.00. */
        w.cg[1].active = 2;
        for (int i = 0; i < 3000; i++)
                loadavg_sampler_tick(s);
        get(s, 1, &v);
        tap_ok(v.avg[0] == 2 * 2048 && v.avg[1] == 2 * 2048 && v.avg[2] == 2 * 2048,
               "converges to the count (%lu %lu %lu)", v.avg[0], v.avg[1], v.avg[2]);

        /* A transient failure keeps the averages. */
        w.cg[1].error = -EIO;
        w.cg[1].active = 9;
        loadavg_sampler_tick(s);
        tap_ok(loadavg_sampler_size(s) == 1, "kept after -EIO");
        get(s, 1, &v);
        tap_ok(v.avg[0] == 2 * 2048 && v.running == 2, "averages and counts unchanged after -EIO");

        /* The cgroup is removed: dropped, and a new one of that name restarts. */
        w.cg[1].error = -ENOENT;
        loadavg_sampler_tick(s);
        tap_ok(loadavg_sampler_size(s) == 0, "dropped after -ENOENT");
        w.cg[1].error = 0;
        w.cg[1].active = 7;
        tap_ok(get(s, 1, &v) == 0 && v.avg[0] == 7 * 2048, "re-registered afresh");

        /* A failing first open does not register. */
        w.cg[2].error = -ENOENT;
        tap_ok(get(s, 2, &v) == -ENOENT && loadavg_sampler_size(s) == 1, "failed first read not kept");
        loadavg_sampler_free(s);
}

/* Removed and created again between two passes, under the same path: the
 * pass sees another directory and starts the averages afresh. */
static void test_recreated(void)
{
        struct loadavg_sampler *s;
        struct loadavg_value v;
        unsigned long want[3];

        memset(&w, 0, sizeof(w));
        loadavg_sampler_new_with(&fake_ops, &s);
        w.cg[3].active = 1;
        get(s, 3, &v);
        w.cg[3].active = 5;
        loadavg_sampler_tick(s);
        loadavg_seed(want, 1);
        loadavg_step(want, 5);
        get(s, 3, &v);
        tap_ok(v.avg[0] == want[0] && v.avg[2] == want[2], "same directory: one step toward 5");

        w.cg[3].recreated = true;
        loadavg_sampler_tick(s);
        get(s, 3, &v);
        tap_ok(v.avg[0] == 5 * 2048 && v.avg[1] == 5 * 2048 && v.avg[2] == 5 * 2048,
               "another directory of that name: seeded from its count (%lu %lu %lu)",
               v.avg[0], v.avg[1], v.avg[2]);
        loadavg_sampler_tick(s);
        get(s, 3, &v);
        tap_ok(v.avg[0] == 5 * 2048, "then stepped as usual");
        loadavg_sampler_free(s);
}

static void test_idle_drop(void)
{
        struct loadavg_sampler *s;
        struct loadavg_value v;

        memset(&w, 0, sizeof(w));
        loadavg_sampler_new_with(&fake_ops, &s);
        get(s, 1, &v);
        get(s, 2, &v);

        w.now += 300ULL * 1000000;
        get(s, 2, &v); /* 2 is read again, 1 is not */
        loadavg_sampler_tick(s);
        tap_ok(loadavg_sampler_size(s) == 2, "both kept before the idle limit");

        w.now += 301ULL * 1000000;
        w.counts = 0;
        loadavg_sampler_tick(s);
        tap_ok(loadavg_sampler_size(s) == 1, "the cgroup not read for 10 min is dropped");
        tap_ok(w.counts == 1, "and no longer counted");
        tap_ok(is_registered(s, 2), "the one read 5 min ago is kept");
        loadavg_sampler_free(s);
}

/* Past the cap, a new cgroup pushes out the one read least recently. */
static void test_lru_cap(void)
{
        struct loadavg_sampler_ops ops = ops_with_cap(8);
        struct loadavg_sampler *s;
        struct loadavg_value v;
        bool others = true;

        memset(&w, 0, sizeof(w));
        loadavg_sampler_new_with(&ops, &s);
        for (int i = 0; i < 8; i++)
                get(s, i, &v);
        tap_ok(loadavg_sampler_size(s) == 8 && loadavg_sampler_evictions(s) == 0, "8 of 8 registered");

        get(s, 0, &v); /* 0 is now the newest; 1 the oldest */
        get(s, 8, &v);
        tap_ok(loadavg_sampler_size(s) == 8, "a 9th keeps the size at the cap (%zu)", loadavg_sampler_size(s));
        tap_ok(loadavg_sampler_evictions(s) == 1, "one eviction counted");
        for (int i = 2; i <= 8; i++)
                others = others && is_registered(s, i);
        tap_ok(is_registered(s, 0) && others, "the recently read 0 and 2..8 are kept");

        /* The checks above read 2..8 then 0, so 2 is now the oldest. 1 was
         * evicted: reading it registers it again (an open) and pushes 2 out. */
        tap_ok(get(s, 1, &v) == 0 && w.cg[1].opens == 2, "1 was evicted: read again, it re-registers");
        tap_ok(loadavg_sampler_evictions(s) == 2 && w.cg[2].opens == 1, "which evicted 2, the oldest read");
        tap_ok(get(s, 2, &v) == 0 && w.cg[2].opens == 2, "2 is gone indeed");

        w.counts = 0;
        loadavg_sampler_tick(s);
        tap_ok(w.counts == 8, "a pass counts only the %u cgroups under the cap", w.counts);
        loadavg_sampler_free(s);
}

/* Readers register new cgroups while a pass counts the old ones: the
 * entries of the pass are evicted under it. The pass must neither store
 * into them nor touch freed memory (ASan), and the newcomers keep the
 * values they were seeded with. */
static struct loadavg_sampler *evicting;

static void register_newcomers(int idx)
{
        struct loadavg_value v;

        if (idx != 0)
                return;
        for (int i = 100; i < 104; i++)
                get(evicting, i, &v);
}

static void test_evict_during_pass(void)
{
        struct loadavg_sampler_ops ops = ops_with_cap(4);
        struct loadavg_value v;
        bool kept = true;

        memset(&w, 0, sizeof(w));
        loadavg_sampler_new_with(&ops, &evicting);
        for (int i = 0; i < 4; i++)
                get(evicting, i, &v);
        for (int i = 100; i < 104; i++)
                w.cg[i].active = 2;
        w.during_count = register_newcomers;
        loadavg_sampler_tick(evicting);
        w.during_count = NULL;

        tap_ok(loadavg_sampler_size(evicting) == 4 && loadavg_sampler_evictions(evicting) == 4,
               "the 4 cgroups of the pass were evicted by 4 newcomers");
        for (int i = 100; i < 104; i++) {
                kept = kept && is_registered(evicting, i);
                get(evicting, i, &v);
                kept = kept && v.avg[0] == 2 * 2048 && v.avg[2] == 2 * 2048;
        }
        tap_ok(kept, "newcomers kept their seeded values; the pass stored nothing into them");
        loadavg_sampler_tick(evicting);
        tap_ok(loadavg_sampler_ticks(evicting) == 2, "the next pass runs normally");
        loadavg_sampler_free(evicting);
}

/* 5,000 cgroups through the default cap: the table stops at
 * LOADAVG_MAX_CGROUPS and no fd stays open, neither after registering nor
 * after a pass. */
static void test_many_no_fds(void)
{
        struct loadavg_sampler *s;
        struct loadavg_value v;
        int fds_before = count_open_fds(), fds_registered, fds_passed;
        bool all = true;

        memset(&w, 0, sizeof(w));
        loadavg_sampler_new_with(&fake_ops, &s);
        for (int i = 0; i < 5000; i++) {
                w.cg[i].active = (unsigned) (i % 7);
                if (get(s, i, &v) < 0)
                        all = false;
        }
        fds_registered = count_open_fds();
        tap_ok(all, "5000 cgroups read");
        tap_ok(loadavg_sampler_size(s) == LOADAVG_MAX_CGROUPS &&
               loadavg_sampler_evictions(s) == 5000 - LOADAVG_MAX_CGROUPS,
               "capped at %d (size %zu, %llu evicted)", LOADAVG_MAX_CGROUPS, loadavg_sampler_size(s),
               (unsigned long long) loadavg_sampler_evictions(s));
        tap_ok(fds_before > 0 && fds_registered == fds_before,
               "no fd held per cgroup (%d open before, %d after)", fds_before, fds_registered);

        w.counts = 0;
        loadavg_sampler_tick(s);
        fds_passed = count_open_fds();
        tap_ok(w.counts == LOADAVG_MAX_CGROUPS, "one pass counts each kept cgroup once (%u)", w.counts);
        tap_ok(fds_passed == fds_before, "and closes what it opened (%d open)", fds_passed);

        /* The newest 4096 are the ones kept, each with its own value. */
        for (int i = 5000 - LOADAVG_MAX_CGROUPS; i < 5000; i++)
                if (get(s, i, &v) < 0 || v.avg[0] != (unsigned long) (i % 7) * 2048 || w.cg[i].opens != 2)
                        all = false;
        tap_ok(all, "the newest %d found again with their own value", LOADAVG_MAX_CGROUPS);
        loadavg_sampler_free(s);
}

static struct loadavg_sampler *shared;
static atomic_bool readers_stop;

static void *reader_thread(void *arg)
{
        unsigned seed = (unsigned) (intptr_t) arg;
        struct loadavg_value v;

        while (!readers_stop) {
                seed = seed * 1103515245 + 12345;
                if (get(shared, (int) ((seed >> 8) % 50), &v) < 0)
                        return (void *) 1;
        }
        return NULL;
}

static int count_threads(void)
{
        return count_entries("/proc/self/task");
}

/* The real thread with a 1 ms interval against 4 readers, with a cap
 * below the number of cgroups read so that readers evict entries while
 * the thread counts them. */
static void test_thread(void)
{
        struct loadavg_sampler_ops ops = ops_with_cap(32);
        struct timespec pause = { .tv_nsec = 1000000 };
        pthread_t readers[4];
        bool reader_failed = false;
        int waited, threads_before = count_threads();
        unsigned counts_after_free;

        memset(&w, 0, sizeof(w));
        readers_stop = false;
        tap_ok(loadavg_sampler_new_with(&ops, &shared) == 0, "new");
        tap_ok(loadavg_sampler_start(shared) == 0, "start");
        tap_ok(loadavg_sampler_start(shared) == -EBUSY, "second start refused");
        tap_ok(count_threads() == threads_before + 1, "one sampling thread");
        for (size_t i = 0; i < ELEMENTSOF(readers); i++)
                pthread_create(&readers[i], NULL, reader_thread, (void *) (intptr_t) (i + 1));

        /* Generous bound so a loaded machine cannot fail this. */
        for (waited = 0; waited < 30000 && loadavg_sampler_ticks(shared) < 20; waited++)
                nanosleep(&pause, NULL);
        tap_ok(loadavg_sampler_ticks(shared) >= 20, "the thread samples");

        readers_stop = true;
        for (size_t i = 0; i < ELEMENTSOF(readers); i++) {
                void *res;

                pthread_join(readers[i], &res);
                if (res)
                        reader_failed = true;
        }
        tap_ok(!reader_failed, "concurrent readers always got a value");
        tap_ok(loadavg_sampler_size(shared) == 32, "the cap held under concurrency (%zu)",
               loadavg_sampler_size(shared));
        tap_ok(loadavg_sampler_evictions(shared) > 0, "readers evicted entries (%llu)",
               (unsigned long long) loadavg_sampler_evictions(shared));
        loadavg_sampler_free(shared);

        tap_ok(count_threads() == threads_before, "free joined the thread (%d threads)", count_threads());
        pthread_mutex_lock(&world_lock);
        counts_after_free = w.counts;
        pthread_mutex_unlock(&world_lock);
        for (int i = 0; i < 20; i++)
                nanosleep(&pause, NULL);
        tap_ok(w.counts == counts_after_free, "nothing counts after free");
}

int main(void)
{
        test_register_and_decay();
        test_recreated();
        test_idle_drop();
        test_lru_cap();
        test_evict_during_pass();
        test_many_no_fds();
        test_thread();
        return tap_done();
}
