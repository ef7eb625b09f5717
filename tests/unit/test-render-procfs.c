/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc parsing for the container clock, on captured text and on this
 * process itself (which runs in the host pid namespace). */
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include "lxcfs/fileio.h"
#include "lxcfs/render.h"
#include "tap.h"

static void test_parsers(void)
{
        _cleanup_free_ char *init_stat = tap_fixture("host/v1/proc-1-stat");
        uint64_t v = 0;
        pid_t ppid = -1;

        /* Field 22 of the captured /proc/1/stat is 24. */
        tap_ok(proc_stat_parse_starttime(init_stat, &v) == 0 && v == 24, "pid 1 start time");
        tap_ok(proc_stat_parse_ppid(init_stat, &ppid) == 0 && ppid == 0, "pid 1 has ppid 0");

        /* A command name with spaces and parentheses. */
        tap_ok(proc_stat_parse_starttime("42 (a) b (c) S 7 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 "
                                         "98765 1000 10 18446744073709551615\n", &v) == 0 &&
               v == 98765, "start time after a tricky comm");
        tap_ok(proc_stat_parse_ppid("42 (a) b (c) S 7 42\n", &ppid) == 0 && ppid == 7,
               "ppid after a tricky comm");
        tap_ok(proc_stat_parse_starttime("42 (x) S 1 2 3\n", &v) == -EINVAL, "short stat line");
        tap_ok(proc_stat_parse_starttime("no parenthesis", &v) == -EINVAL, "no comm");

        {
                unsigned depth = 0;
                pid_t inner = 0;

                tap_ok(proc_status_parse_nspid("Name:\tx\nNSpid:\t3920\nPPid:\t1\n", &depth, &inner) == 0 &&
                       depth == 1 && inner == 3920, "NSpid in our namespace");
                tap_ok(proc_status_parse_nspid("Name:\tx\nNSpid:\t5000\t17\t1\n", &depth, &inner) == 0 &&
                       depth == 3 && inner == 1, "NSpid two levels down");
                tap_ok(proc_status_parse_nspid("Name:\tx\n", &depth, &inner) == -ENOENT, "no NSpid");
                tap_ok(proc_status_parse_nspid("NSpid:\tx\n", &depth, &inner) == -EINVAL, "bad NSpid");
                /* Found by tests/fuzz (fuzz-proc): the digits overflowed a long. */
                tap_ok(proc_status_parse_nspid("NSpid:\t1\t66666666666666666666666\n", &depth, &inner) == -EINVAL,
                       "NSpid entry too big for a pid");
                tap_ok(proc_status_parse_nspid("NSpid:\t2147483647\n", &depth, &inner) == 0 &&
                       inner == 2147483647, "NSpid entry at INT_MAX");
        }

        tap_ok(proc_uptime_parse_centisec("28.81 3.97\n", &v) == 0 && v == 2881, "uptime 28.81");
        tap_ok(proc_uptime_parse_centisec("5.3 1.0\n", &v) == 0 && v == 530, "uptime 5.3");
        tap_ok(proc_uptime_parse_centisec("7\n", &v) == 0 && v == 700, "uptime 7");
        tap_ok(proc_uptime_parse_centisec("x\n", &v) == -EINVAL, "uptime garbage");
}

static void test_live(void)
{
        pid_t init = 0;
        uint64_t age = 0;
        int r;

        tap_ok(pid_in_host_pidns(getpid()) == 1, "this test runs in our own pid namespace");
        r = pidns_init_pid(getpid(), &init);
        tap_ok(r == 0 && init == 1, "the init of our namespace is pid 1 (got %d)", (int) init);
        tap_ok(pidns_age_ticks(getpid(), 100, &age) == 0 && age > 0, "namespace age > 0");
        tap_ok(pid_in_host_pidns(999999999) == -ESRCH, "a pid that does not exist");
        tap_ok(pid_in_host_pidns(0) == -EINVAL, "pid 0 is no reader");
        tap_ok(pidns_init_pid(999999999, &init) == -ESRCH, "vanished pid: -ESRCH");
}

/* A process that entered ns_init's namespace with setns() and fork(), as
 * `runc exec` makes one: its parent is outside, yet its init is ns_init. */
static void test_joined_pidns(pid_t ns_init)
{
        int to_parent[2], to_child[2];
        pid_t helper, joined = 0, found = 0;
        uint64_t ino_joined = 0, ino_init = 1;
        char path[64], c;
        int r;

        if (pipe(to_parent) < 0 || pipe(to_child) < 0) {
                tap_ok(0, "pipes: %m");
                return;
        }
        helper = fork();
        if (helper == 0) {
                int fd;
                pid_t child;

                snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) ns_init);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
                        _exit(1);
                child = fork();
                if (child == 0)
                        _exit(read(to_child[0], &c, 1) == 1 ? 0 : 1);
                if (child < 0 || write(to_parent[1], &child, sizeof(child)) != sizeof(child))
                        _exit(1);
                waitpid(child, NULL, 0);
                _exit(0);
        }
        if (helper < 0 || read(to_parent[0], &joined, sizeof(joined)) != sizeof(joined)) {
                tap_ok(0, "a process joined the child pid namespace");
                return;
        }
        tap_ok(pidns_inode(joined, &ino_joined) == 0 && pidns_inode(ns_init, &ino_init) == 0 &&
               ino_joined == ino_init, "the joined process is in the child namespace");
        r = pidns_init_pid(joined, &found);
        tap_ok(r == 0 && found == ns_init,
               "init of a process that joined with setns() (%d, want %d)", (int) found, (int) ns_init);
        if (write(to_child[1], "x", 1) != 1)
                kill(joined, SIGKILL);
        waitpid(helper, NULL, 0);
}

/* A real child pid namespace: its pid 1 is the init of a process two
 * levels below it, and neither is in ours. */
static void test_child_pidns(void)
{
        int to_parent[2], to_child[2];
        pid_t ns_init, grandchild = 0, found = 0;
        _cleanup_free_ char *children = NULL;
        char path[64], c = 0;
        int r;

        if (geteuid() != 0) {
                tap_skip("needs root", "child pid namespace");
                return;
        }
        if (pipe(to_parent) < 0 || pipe(to_child) < 0) {
                tap_ok(0, "pipes: %m");
                return;
        }
        /* A fork into a new pid namespace; unshare() would put all our
         * later children there too. */
        ns_init = (pid_t) syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
        if (ns_init < 0) {
                tap_ok(0, "clone a pid namespace: %m");
                return;
        }
        if (ns_init == 0) {
                /* pid 1 of the new namespace: fork one child, wait to be told. */
                pid_t child = fork();
                if (child == 0)
                        _exit(read(to_child[0], &c, 1) == 1 ? 0 : 1);
                if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &c, 1) != 1)
                        c = 0;
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
                _exit(0);
        }
        if (read(to_parent[0], &c, 1) != 1) {
                tap_ok(0, "namespace init did not start");
                return;
        }
        /* The grandchild is the child of ns_init in our namespace. */
        snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int) ns_init, (int) ns_init);
        if (read_file_at(AT_FDCWD, path, &children, NULL) == 0)
                grandchild = (pid_t) atoi(children);
        tap_ok(grandchild > 0, "grandchild pid %d", (int) grandchild);
        tap_ok(pid_in_host_pidns(ns_init) == 0, "namespace init is not in our namespace");
        tap_ok(pid_in_host_pidns(grandchild) == 0, "its child is not either");
        r = pidns_init_pid(grandchild, &found);
        tap_ok(r == 0 && found == ns_init,
               "init of the child's namespace found (%d, want %d)", (int) found, (int) ns_init);
        tap_ok(pidns_init_pid(ns_init, &found) == 0 && found == ns_init, "init is its own init");
        test_joined_pidns(ns_init);
        if (write(to_child[1], "xx", 2) != 2)
                kill(ns_init, SIGKILL);
        waitpid(ns_init, NULL, 0);
}

int main(void)
{
        test_parsers();
        test_live();
        test_child_pidns();
        return tap_done();
}
