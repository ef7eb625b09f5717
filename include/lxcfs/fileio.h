/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The file a request thread touched last through the functions below,
 * successfully or not, to name in an error message: a read that failed, or
 * a file whose text then failed to parse. Relative paths are shown below
 * their directory (from /proc/self/fd). "" after fileio_last_reset(). */
void fileio_last_reset(void);
void fileio_note(int dirfd, const char *path);
const char *fileio_last(char *buf, size_t size);

/* Read a whole (proc/cgroup/sys) file relative to dirfd (AT_FDCWD for
 * absolute paths). The result is NUL-terminated. Returns 0 or -errno. */
int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len);

/* Same, into a caller buffer; returns the length or -errno; -EFBIG if the
 * file does not fit (the buffer then holds a truncated copy). */
ssize_t read_file_into_at(int dirfd, const char *path, char *buf, size_t size);

/* A directory stream over a new descriptor of the directory dirfd, so the
 * caller keeps dirfd (fdopendir would take it). 0 or -errno. */
int opendir_dup(int dirfd, DIR **ret);

/* Read a file holding one unsigned number ("max" is reported as UINT64_MAX).
 * -EINVAL when the content is not a number. */
int read_u64_at(int dirfd, const char *path, uint64_t *ret);
