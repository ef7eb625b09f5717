/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#include "lxcfs/fileio.h"
#include "lxcfs/procdir.h"

bool proc_name_to_pid(const char *name, pid_t *ret)
{
        long long v = 0;

        if (!*name)
                return false;
        for (const char *p = name; *p; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                v = v * 10 + (*p - '0');
                if (v > INT_MAX)
                        return false;
        }
        if (v <= 0)
                return false;
        *ret = (pid_t) v;
        return true;
}

int proc_iter_open(int proc_fd, struct proc_iter *ret)
{
        if (proc_fd == AT_FDCWD) {
                ret->dir = opendir("/proc");
                return ret->dir ? 0 : -errno;
        }
        return opendir_dup(proc_fd, &ret->dir);
}

int proc_iter_next(struct proc_iter *it, pid_t *ret_pid, const char **ret_name)
{
        struct dirent *de;
        pid_t pid;

        /* Everything else in /proc (self, sys, meminfo...) is skipped. */
        while ((errno = 0, de = readdir(it->dir)))
                if (proc_name_to_pid(de->d_name, &pid)) {
                        *ret_pid = pid;
                        if (ret_name)
                                *ret_name = de->d_name;
                        return 1;
                }
        return errno != 0 ? -errno : 0;
}

void proc_iter_close(struct proc_iter *it)
{
        if (it->dir)
                closedir(it->dir);
        it->dir = NULL;
}
