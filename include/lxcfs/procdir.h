/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The processes listed in a /proc directory (thread-group leaders only). */

#include <dirent.h>
#include <stdbool.h>
#include <sys/types.h>

struct proc_iter {
        DIR *dir;
};

#define PROC_ITER_INIT { .dir = NULL }

/* Open the process list of proc_fd, an open /proc directory the caller
 * keeps; AT_FDCWD: "/proc". 0 or -errno. */
int proc_iter_open(int proc_fd, struct proc_iter *ret);
/* 1 with the next process (*ret_name: its directory name, valid until the
 * next call), 0 after the last, or -errno. Processes come and go while
 * the list is read: one listed may be gone already. */
int proc_iter_next(struct proc_iter *it, pid_t *ret_pid, const char **ret_name);
void proc_iter_close(struct proc_iter *it);

/* A /proc entry name that is a process: digits only, a valid pid. */
bool proc_name_to_pid(const char *name, pid_t *ret);
