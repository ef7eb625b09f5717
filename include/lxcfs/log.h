/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "lxcfs/macro.h"

enum log_target {
        LOG_TARGET_STDERR,
        LOG_TARGET_JOURNAL,
};

/* Journal when started by systemd (JOURNAL_STREAM matches our stderr),
 * stderr otherwise. */
enum log_target log_target_auto(void);
void log_open(enum log_target target, const char *ident);
void log_set_max_level(int level);
int log_get_max_level(void);

/* A structured field added to every journal entry, e.g.
 * ("LXCFS_MOUNTPOINT", "/var/lib/lxcfs"), so that
 * `journalctl LXCFS_MOUNTPOINT=/var/lib/lxcfs` finds it. Up to 8; the first
 * value of a name wins. Call from one thread (startup); other threads may
 * log meanwhile. */
void log_add_field(const char *name, const char *value);

/* Returns -abs(error) (or 0 when error is 0) so callers can
 * "return log_error_errno(r, ...)". errno is set to abs(error) for %m. */
int log_internal(int level, int error, const char *file, int line,
                 const char *func, const char *fmt, ...) _printf_(6, 7);

#define log_full_errno(level, error, ...)                                          \
        ({                                                                         \
                int _l = (level), _e = (error);                                    \
                _l <= log_get_max_level()                                          \
                        ? log_internal(_l, _e, __FILE__, __LINE__, __func__, __VA_ARGS__) \
                        : -abs(_e);                                                \
        })

#define log_debug(...)   log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)    log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)  log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)   log_full_errno(LOG_ERR, 0, __VA_ARGS__)

#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...)    log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, e, __VA_ARGS__)
#define log_oom() log_error_errno(ENOMEM, "Out of memory.")
