/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sampler's bookkeeping: registration, decay toward the count, dropping
 * of idle and vanished cgroups, many cgroups, concurrent readers.
 *
 * The task counter and the clock are replaced by fakes so that each pass is
 * driven explicitly with loadavg_sampler_tick(); counting real cgroups is
 * covered by test-taskcount. The fake cgroups are identified by the fd the
 * sampler got from open_dir (a dup of /dev/null). */

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <time.h>

#include "../../src/loadavg/loadavg-internal.h"
#include "tap.h"

#define N_FAKE 2100
#define MAX_FD 8192

struct fake_cgroup {
        unsigned active;
        int error;  /* returned by the counter when set */
        unsigned opens;
};

struct world {
        uint64_t now;
        struct fake_cgroup cg[N_FAKE];
        int fd_to_cg[MAX_FD];
        unsigned counts;
};

static struct world w;
static pthread_mutex_t world_lock = PTHREAD_MUTEX_INITIALIZER;

static int fake_count(int dirfd, bool v1, struct task_counts *ret, void *userdata)
{
        struct fake_cgroup *c;
        int r = 0;

        pthread_mutex_lock(&world_lock);
        w.counts++;
        c = &w.cg[w.fd_to_cg[dirfd]];
        if (c->error)
                r = c->error;
        else
                *ret = (struct task_counts) { .running = c->active, .total = c->active + 10,
                                              .last_pid = 1000 + (pid_t) c->active };
        pthread_mutex_unlock(&world_lock);
        return r;
}

static uint64_t fake_now(void *userdata)
{
        uint64_t t;

        pthread_mutex_lock(&world_lock);
        t = w.now;
        pthread_mutex_unlock(&world_lock);
        return t;
}

static int fake_open(void *userdata)
{
        int idx = (int) (intptr_t) userdata;
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (fd < 0 || fd >= MAX_FD)
                return fd < 0 ? -errno : -EMFILE;
        pthread_mutex_lock(&world_lock);
        w.fd_to_cg[fd] = idx;
        w.cg[idx].opens++;
        pthread_mutex_unlock(&world_lock);
        return fd;
}

static const struct loadavg_sampler_ops fake_ops = {
        .count = fake_count,
        .now_usec = fake_now,
        .interval_usec = 1000,
        .idle_usec = 600ULL * 1000000,
};

static int get(struct loadavg_sampler *s, int idx, struct loadavg_value *v)
{
        char key[32];

        snprintf(key, sizeof(key), "cpu:/fake/%d", idx);
        return loadavg_sampler_get_key(s, key, true, fake_open, (void *) (intptr_t) idx, v);
}

static void test_register_and_decay(void)
{
        struct loadavg_sampler *s;
        struct loadavg_value v;
        unsigned long want[3];

        memset(&w, 0, sizeof(w));
        tap_ok(loadavg_sampler_new_with(&fake_ops, &s) == 0, "new");

        w.cg[1].active = 3;
        tap_ok(get(s, 1, &v) == 0, "first read registers");
        tap_ok(v.avg[0] == 3 * 2048 && v.avg[2] == 3 * 2048, "seeded from the current count");
        tap_ok(v.running == 3 && v.total == 13 && v.last_pid == 1003, "current counts returned");
        tap_ok(get(s, 1, &v) == 0 && w.cg[1].opens == 1, "second read uses the table");
        tap_ok(loadavg_sampler_size(s) == 1, "one cgroup registered");

        /* Everything stops: the averages fall exactly as loadavg_step says. */
        w.cg[1].active = 0;
        loadavg_seed(want, 3);
        for (int i = 0; i < 12; i++) {
                loadavg_sampler_tick(s);
                loadavg_step(want, 0);
        }
        get(s, 1, &v);
        tap_ok(v.avg[0] == want[0] && v.avg[1] == want[1] && v.avg[2] == want[2],
               "one minute of decay (%lu %lu %lu)", v.avg[0], v.avg[1], v.avg[2]);
        tap_ok(v.avg[0] < v.avg[1] && v.avg[1] < v.avg[2] && v.avg[2] < 3 * 2048,
               "1 min falls fastest");
        tap_ok(v.running == 0 && v.total == 10, "counts follow the last pass");

        /* Then 2 tasks for long enough: all three reach 2.00. */
        w.cg[1].active = 2;
        for (int i = 0; i < 3000; i++)
                loadavg_sampler_tick(s);
        get(s, 1, &v);
        tap_ok(v.avg[0] == 2 * 2048 && v.avg[1] == 2 * 2048 && v.avg[2] == 2 * 2048,
               "converges to the count (%lu %lu %lu)", v.avg[0], v.avg[1], v.avg[2]);

        /* A transient failure keeps the averages. */
        w.cg[1].error = -EIO;
        loadavg_sampler_tick(s);
        tap_ok(loadavg_sampler_size(s) == 1, "kept after -EIO");
        get(s, 1, &v);
        tap_ok(v.avg[0] == 2 * 2048, "averages unchanged after -EIO");

        /* The cgroup is removed: dropped, and a new one of that name restarts. */
        w.cg[1].error = -ENOENT;
        loadavg_sampler_tick(s);
        tap_ok(loadavg_sampler_size(s) == 0, "dropped after -ENOENT");
        w.cg[1].error = 0;
        w.cg[1].active = 7;
        tap_ok(get(s, 1, &v) == 0 && w.cg[1].opens == 2 && v.avg[0] == 7 * 2048,
               "re-registered afresh");

        /* A failing first count does not register. */
        w.cg[2].error = -ENOENT;
        tap_ok(get(s, 2, &v) == -ENOENT && loadavg_sampler_size(s) == 1, "failed first read not kept");
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
        loadavg_sampler_free(s);
}

/* Each registered cgroup holds a directory fd: make room for them. */
static int fd_room(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return 1024 - 64;
        rl.rlim_cur = MIN(rl.rlim_max, (rlim_t) MAX_FD);
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        return (int) MIN(rl.rlim_cur - 64, (rlim_t) N_FAKE);
}

static void test_many(void)
{
        struct loadavg_sampler *s;
        struct loadavg_value v;
        bool all = true;
        int n = fd_room();

        memset(&w, 0, sizeof(w));
        loadavg_sampler_new_with(&fake_ops, &s);
        for (int i = 0; i < n; i++) {
                w.cg[i].active = (unsigned) (i % 7);
                if (get(s, i, &v) < 0)
                        all = false;
        }
        tap_ok(all && loadavg_sampler_size(s) == (size_t) n, "%d cgroups registered", n);
        loadavg_sampler_tick(s);
        for (int i = 0; i < n; i++)
                if (get(s, i, &v) < 0 || v.avg[0] != (unsigned long) (i % 7) * 2048 || w.cg[i].opens != 1)
                        all = false;
        tap_ok(all, "each found again with its own value");
        loadavg_sampler_free(s);
}

/* Threads of this process: entries of /proc/self/task. */
static int count_threads(void)
{
        DIR *d = opendir("/proc/self/task");
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

/* The real thread with a 1 ms interval against 4 readers. Only liveness is
 * checked: that passes happen and that free() stops and joins the thread. */
static void test_thread(void)
{
        pthread_t readers[4];
        struct timespec pause = { .tv_nsec = 1000000 };
        bool reader_failed = false;
        int waited, threads_before, threads_after;

        memset(&w, 0, sizeof(w));
        threads_before = count_threads();
        tap_ok(loadavg_sampler_new_with(&fake_ops, &shared) == 0, "new");
        tap_ok(loadavg_sampler_start(shared) == 0, "start");
        tap_ok(loadavg_sampler_start(shared) == -EBUSY, "second start refused");
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
        tap_ok(loadavg_sampler_size(shared) == 50, "50 cgroups registered once each");
        tap_ok(count_threads() == threads_before + 1, "one sampler thread runs");
        loadavg_sampler_free(shared);
        threads_after = count_threads();
        tap_ok(threads_before > 0 && threads_after == threads_before,
               "free stopped the thread (%d threads, %d before start)", threads_after, threads_before);
}

int main(void)
{
        test_register_and_decay();
        test_idle_drop();
        test_many();
        test_thread();
        return tap_done();
}
