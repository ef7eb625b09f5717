/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc process iterator shared by the pid-namespace init lookup and
 * lxcfs-remount's namespace walk: names that are pids, and a real /proc. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lxcfs/macro.h"
#include "lxcfs/procdir.h"
#include "tap.h"

static void check_names(void)
{
        pid_t pid = 0;

        tap_ok(proc_name_to_pid("1", &pid) && pid == 1, "\"1\" is pid 1");
        tap_ok(proc_name_to_pid("4194304", &pid) && pid == 4194304, "the largest pid_max");
        tap_ok(!proc_name_to_pid("0", &pid), "\"0\" is no process");
        tap_ok(!proc_name_to_pid("", &pid), "empty: no process");
        tap_ok(!proc_name_to_pid("self", &pid) && !proc_name_to_pid("12a", &pid) &&
               !proc_name_to_pid("-3", &pid) && !proc_name_to_pid(" 3", &pid), "other names: no process");
        tap_ok(!proc_name_to_pid("99999999999999999999", &pid), "a number past pid_t: no process");
}

/* Every process is listed once, ourselves and pid 1 among them, and
 * nothing else of /proc. */
static void check_iter(int proc_fd, const char *how)
{
        _cleanup_(proc_iter_close) struct proc_iter it = PROC_ITER_INIT;
        bool self = false, init = false, names_match = true;
        const char *name;
        char buf[32];
        size_t n = 0;
        pid_t pid;
        int r;

        r = proc_iter_open(proc_fd, &it);
        tap_ok(r == 0, "%s: opened", how);
        if (r < 0)
                return;
        while ((r = proc_iter_next(&it, &pid, &name)) > 0) {
                snprintf(buf, sizeof(buf), "%d", (int) pid);
                names_match &= streq(buf, name);
                self |= pid == getpid();
                init |= pid == 1;
                n++;
        }
        tap_ok(r == 0, "%s: the list ends without an error", how);
        tap_ok(self && init && n >= 2, "%s: ourselves and pid 1 are listed (%zu processes)", how, n);
        tap_ok(names_match, "%s: each name is its pid", how);
}

int main(void)
{
        int proc_fd;

        check_names();
        check_iter(AT_FDCWD, "/proc");
        proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        check_iter(proc_fd, "an O_PATH /proc fd");
        tap_ok(proc_fd >= 0 && fcntl(proc_fd, F_GETFD) >= 0, "the caller's fd stays open");
        if (proc_fd >= 0)
                close(proc_fd);
        return tap_done();
}
