/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Counting tasks of real cgroups (root only).
 *
 * v1: /sys/fs/cgroup/cpu/lxcfs-test-loadavg-PID/sub holds 2 busy loops and
 * a sleeping process with 3 threads; the counts are taken on the parent, so
 * they only add up if descendants are summed (the kernel's CGROUPSTATS
 * counts the cgroup itself only, which is checked too).
 * v2: the same under the controller-less cgroup2 at /sys/fs/cgroup/unified,
 * plus a process blocked in vfork() (state D), counted from /proc.
 * Through the cgroup layer, a reader in sub is counted and registered.
 * Finally the sampler, with the real counter, drops a removed cgroup. */

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "../../src/loadavg/loadavg-internal.h"
#include "lxcfs/fileio.h"
#include "tap.h"

#define V1_ROOT "/sys/fs/cgroup/cpu"
#define V2_ROOT "/sys/fs/cgroup/unified"
#define MAX_KIDS 16

struct tree {
        char parent[200];
        char sub[256];
        pid_t kids[MAX_KIDS];   /* direct children, to reap */
        size_t n_kids;
        pid_t max_tid;          /* highest thread id reported by the tasks */
        unsigned n_tids;
        int ready[2];           /* tasks write their tid here once set up */
};

static struct tree *trees[2];

static void msleep(long ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

        nanosleep(&ts, NULL);
}

static void report_tid(struct tree *t)
{
        pid_t tid = gettid();

        if (write(t->ready[1], &tid, sizeof(tid)) != sizeof(tid))
                _exit(1);
}

/* In the child: join the test cgroup, die with the test. */
static void child_setup(struct tree *t)
{
        char path[300];
        int fd;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        snprintf(path, sizeof(path), "%s/cgroup.procs", t->sub);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1)
                _exit(1);
        close(fd);
}

static void *sleeping_thread(void *arg)
{
        report_tid(arg);
        for (;;)
                pause();
        return NULL;
}

enum kid_kind { KID_BUSY, KID_SLEEPER, KID_VFORKER };

static void kid_main(struct tree *t, enum kid_kind kind)
{
        pthread_t th;

        child_setup(t);
        switch (kind) {
        case KID_BUSY:
                report_tid(t);
                for (;;)
                        __asm__ volatile("" ::: "memory");
        case KID_SLEEPER:
                pthread_create(&th, NULL, sleeping_thread, t);
                pthread_create(&th, NULL, sleeping_thread, t);
                report_tid(t);
                for (;;)
                        pause();
        case KID_VFORKER:
                report_tid(t);
                /* The parent waits in vfork() in state D until the child
                 * exits; the child only makes raw system calls. */
                if (vfork() == 0) {
                        report_tid(t);
                        for (;;)
                                pause();
                }
                _exit(0);
        }
}

/* Start a task and return the thread ids it reports, in order. */
static void spawn(struct tree *t, enum kid_kind kind, unsigned tids, pid_t *ret_tids)
{
        pid_t pid = fork();

        if (pid == 0)
                kid_main(t, kind);
        t->kids[t->n_kids++] = pid;
        for (unsigned i = 0; i < tids; i++) {
                pid_t tid;

                if (read(t->ready[0], &tid, sizeof(tid)) != sizeof(tid)) {
                        printf("Bail out! a test task failed to start\n");
                        exit(1);
                }
                if (ret_tids)
                        ret_tids[i] = tid;
                t->max_tid = MAX(t->max_tid, tid);
                t->n_tids++;
        }
}

static int tree_create(struct tree *t, const char *root)
{
        snprintf(t->parent, sizeof(t->parent), "%s/lxcfs-test-loadavg-%d", root, (int) getpid());
        snprintf(t->sub, sizeof(t->sub), "%s/sub", t->parent);
        if (mkdir(t->parent, 0755) < 0 || mkdir(t->sub, 0755) < 0)
                return -errno;
        if (pipe2(t->ready, O_CLOEXEC) < 0)
                return -errno;
        return 0;
}

/* Kill everything in sub (the vfork child too), reap, remove both cgroups. */
static void tree_destroy(struct tree *t)
{
        for (int round = 0; round < 100; round++) {
                _cleanup_free_ char *list = NULL;
                char path[300];
                size_t pos = 0;
                pid_t pid;

                snprintf(path, sizeof(path), "%s/cgroup.procs", t->sub);
                if (read_file_at(AT_FDCWD, path, &list, NULL) < 0 || list[0] == '\0')
                        break;
                while (task_list_next(list, &pos, &pid) > 0)
                        kill(pid, SIGKILL);
                for (size_t i = 0; i < t->n_kids; i++)
                        if (t->kids[i] > 0 && waitpid(t->kids[i], NULL, WNOHANG) == t->kids[i])
                                t->kids[i] = 0;
                msleep(10);
        }
        for (size_t i = 0; i < t->n_kids; i++)
                if (t->kids[i] > 0)
                        waitpid(t->kids[i], NULL, 0);
        t->n_kids = 0;
        rmdir(t->sub);
        rmdir(t->parent);
}

static void cleanup_all(void)
{
        for (size_t i = 0; i < ELEMENTSOF(trees); i++)
                if (trees[i])
                        tree_destroy(trees[i]);
}

static char thread_state_of(pid_t tid)
{
        char path[64], buf[192], st = '?';
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) tid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return '?';
        n = read(fd, buf, sizeof(buf));
        close(fd);
        if (n > 0)
                proc_stat_state(buf, (size_t) n, &st);
        return st;
}

/* Wait until a reported thread reached pause() or vfork(), so that the
 * expected counts hold. */
static void settle(pid_t tid, char want)
{
        for (int tries = 0; tries < 500 && thread_state_of(tid) != want; tries++)
                msleep(10);
}

/* Up to 10 samples: every sample within bounds, and at least one exact.
 * Both busy loops are runnable all the time (preempted tasks stay R), so
 * the exact value is the normal case; the bounds catch a sleeping task
 * counted as running. */
static void check_counts(const char *what, int dirfd, bool v1, int (*count)(int, bool, struct task_counts *),
                         const struct tree *t, unsigned want_d)
{
        bool in_bounds = true, exact = false, totals = true;
        struct task_counts c = {};
        int r = 0;

        for (int i = 0; i < 10 && r == 0; i++) {
                r = count(dirfd, v1, &c);
                if (r < 0)
                        break;
                if (c.running < 1 || c.running > 2 || c.uninterruptible > want_d) {
                        printf("# %s: sample %d out of bounds: R=%u D=%u\n", what, i, c.running, c.uninterruptible);
                        in_bounds = false;
                }
                if (c.running == 2 && c.uninterruptible == want_d)
                        exact = true;
                if (c.total != t->n_tids || c.last_pid != t->max_tid)
                        totals = false;
                msleep(20);
        }
        tap_ok(r == 0, "%s: counted (r=%d)", what, r);
        tap_ok(in_bounds, "%s: 1 <= running <= 2, D <= %u (last: R=%u D=%u)", what, want_d,
               c.running, c.uninterruptible);
        tap_ok(exact, "%s: running == 2, D == %u seen", what, want_d);
        tap_ok(totals, "%s: total %u, last_pid %d (got %u, %d)", what, t->n_tids, (int) t->max_tid,
               c.total, (int) c.last_pid);
}

static int open_dir(const char *path)
{
        return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}


/* Through the cgroup layer: a reader inside sub sees sub's tasks. */
static void test_reader(struct tree *t)
{
        struct cg_hierarchies h;
        struct cg_reader rd;
        struct task_counts c = {};
        struct loadavg_sampler *s;
        struct loadavg_value v = {};
        int r;

        r = cg_hierarchies_open_live(&h);
        tap_ok(r == 0, "cgroup hierarchies (r=%d)", r);
        if (r < 0)
                return;
        r = cg_reader_load(&h, t->kids[0], &rd);
        tap_ok(r == 0, "reader of a task in sub (r=%d)", r);
        if (r == 0) {
                r = task_counts_for_reader(&rd, &c);
                tap_ok(r == 0 && c.total == t->n_tids && c.last_pid == t->max_tid && c.running >= 1,
                       "task_counts_for_reader: total %u R %u (r=%d)", c.total, c.running, r);

                loadavg_sampler_new(&h, &s);
                r = loadavg_sampler_get(s, &rd, &v);
                tap_ok(r == 0 && v.total == t->n_tids && loadavg_sampler_size(s) == 1,
                       "loadavg_sampler_get registers the reader's cgroup (total %u, r=%d)", v.total, r);
                r = loadavg_sampler_get(s, &rd, &v);
                tap_ok(r == 0 && loadavg_sampler_size(s) == 1, "and finds it again");
                loadavg_sampler_free(s);
                cg_reader_done(&rd);
        }
        cg_hierarchies_close(&h);
}

static void test_v1(struct tree *t)
{
        _cleanup_close_ int parent_fd = -1, sub_fd = -1;
        struct taskstats_conn *conn;
        struct cgroup_task_states st = {};
        struct loadavg_sampler *s;
        struct loadavg_value v;
        pid_t sleepers[3];
        int r;

        spawn(t, KID_BUSY, 1, NULL);
        spawn(t, KID_BUSY, 1, NULL);
        spawn(t, KID_SLEEPER, 3, sleepers);
        for (size_t i = 0; i < ELEMENTSOF(sleepers); i++)
                settle(sleepers[i], 'S');
        parent_fd = open_dir(t->parent);
        sub_fd = open_dir(t->sub);

        r = taskstats_conn_thread(&conn);
        tap_ok(r == 0, "v1: taskstats available (r=%d)", r);
        if (r == 0) {
                r = taskstats_cgroup(conn, sub_fd, &st);
                tap_ok(r == 0 && st.running >= 1 && st.running <= 2 && st.sleeping == 3,
                       "v1: CGROUPSTATS of sub: R=%llu S=%llu (r=%d)", (unsigned long long) st.running,
                       (unsigned long long) st.sleeping, r);
                r = taskstats_cgroup(conn, parent_fd, &st);
                tap_ok(r == 0 && st.running == 0 && st.sleeping == 0,
                       "v1: CGROUPSTATS of the parent counts its own tasks only");
        }

        check_counts("v1 taskstats", parent_fd, true, task_counts_read, t, 0);
        check_counts("v1 /proc", parent_fd, true, task_counts_read_proc, t, 0);

        /* The sampler with the real counter. */
        loadavg_sampler_new_with(&loadavg_sampler_default_ops, &s);
        /* An absolute rel: openat() ignores the base fd. */
        r = loadavg_sampler_get_key(s, "cpu:/test/sub", AT_FDCWD, t->sub, true, &v);
        tap_ok(r == 0 && v.total == 5 && v.avg[0] == (unsigned long) v.running * 2048,
               "sampler: registered, seeded from R+D (R=%u avg=%lu)", v.running, v.avg[0]);
        loadavg_sampler_tick(s);
        tap_ok(loadavg_sampler_size(s) == 1, "sampler: kept while the cgroup lives");

        test_reader(t);

        tree_destroy(t);
        tap_ok(task_counts_read(sub_fd, true, &(struct task_counts) {}) == -ENOENT,
               "v1: removed cgroup gives -ENOENT");
        loadavg_sampler_tick(s);
        tap_ok(loadavg_sampler_size(s) == 0, "sampler: removed cgroup dropped");
        loadavg_sampler_free(s);
}

static void test_v2(struct tree *t)
{
        _cleanup_close_ int parent_fd = -1, sub_fd = -1;
        struct taskstats_conn *conn;
        struct cgroup_task_states st;
        pid_t sleepers[3], vfork_pair[2];

        spawn(t, KID_BUSY, 1, NULL);
        spawn(t, KID_BUSY, 1, NULL);
        spawn(t, KID_SLEEPER, 3, sleepers);
        spawn(t, KID_VFORKER, 2, vfork_pair);
        for (size_t i = 0; i < ELEMENTSOF(sleepers); i++)
                settle(sleepers[i], 'S');
        settle(vfork_pair[0], 'D');
        settle(vfork_pair[1], 'S');
        parent_fd = open_dir(t->parent);
        sub_fd = open_dir(t->sub);

        if (taskstats_conn_thread(&conn) == 0)
                tap_ok(taskstats_cgroup(conn, sub_fd, &st) == -EINVAL, "v2: taskstats refuses cgroup2");

        check_counts("v2", parent_fd, false, task_counts_read, t, 1);
        /* Asked for the v1 path by mistake: taskstats says no, /proc answers. */
        check_counts("v2 flagged v1", parent_fd, true, task_counts_read, t, 1);

        tree_destroy(t);
        tap_ok(task_counts_read(sub_fd, false, &(struct task_counts) {}) == -ENOENT,
               "v2: removed cgroup gives -ENOENT");
}

int main(void)
{
        static struct tree v1, v2;
        int r;

        if (geteuid() != 0) {
                printf("1..0 # SKIP needs root for cgroups\n");
                return 77;
        }
        atexit(cleanup_all);

        if (access(V1_ROOT "/tasks", F_OK) == 0) {
                trees[0] = &v1;
                r = tree_create(&v1, V1_ROOT);
                tap_ok(r == 0, "create %s (r=%d)", v1.sub, r);
                if (r == 0)
                        test_v1(&v1);
        } else
                tap_skip("no v1 cpu hierarchy at " V1_ROOT, "v1 task counts");

        if (access(V2_ROOT "/cgroup.threads", F_OK) == 0) {
                trees[1] = &v2;
                r = tree_create(&v2, V2_ROOT);
                tap_ok(r == 0, "create %s (r=%d)", v2.sub, r);
                if (r == 0)
                        test_v2(&v2);
        } else
                tap_skip("no cgroup2 at " V2_ROOT, "v2 task counts");

        return tap_done();
}
