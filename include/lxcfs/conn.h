/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel side of the filesystem: one /dev/fuse connection, mounted by
 * us (not by libfuse), decoded by a libfuse session that only sees the
 * bytes we hand it (fuse_session_custom_io), and able to outlive this
 * process. See handover.h for the state passed to the next process. */

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lxcfs/handover.h"

/* FUSE_NOTIFY_RESEND and the INIT flag announcing it (Linux 6.9); Debian
 * 12's headers and libfuse 3.14 predate them. */
#define LXCFS_FUSE_NOTIFY_RESEND 7
#define LXCFS_FUSE_HAS_RESEND    (1ULL << 39)
#define LXCFS_FUSE_UNIQUE_RESEND (1ULL << 63)

enum conn_origin {
        CONN_MOUNTED,            /* mounted by this process */
        CONN_ADOPTED,            /* taken over from a previous process */
};

struct conn {
        int fd;                  /* /dev/fuse, the one every worker reads */
        struct handover_state state;
        struct fuse_session *se;
        char *mountpoint;
        enum conn_origin origin;
        bool kernel_resend;      /* the kernel announced FUSE_HAS_RESEND */
        bool passthrough;        /* FUSE_PASSTHROUGH negotiated at INIT */
        const char *passthrough_off;  /* why not */
        pid_t previous_pid;      /* adopted: who served before us */
        unsigned carried_over;   /* adopted: requests resent or replayed */
        const char *carry_method;/* "resent" or "replayed from the journal" */
        uint64_t completed;      /* requests processed (atomic) */
};

struct conn_mount_options {
        unsigned long flags;     /* MS_* */
        const char *data;        /* extra fuse options ("default_permissions") */
        bool passthrough;        /* accept FUSE_PASSTHROUGH if the kernel offers it */
};

/* Open /dev/fuse, mount at mountpoint (fuse.lxcfs, source "lxcfs") and
 * answer the kernel's FUSE_INIT through se. */
int conn_mount(struct conn *c, const char *mountpoint, const struct conn_mount_options *o,
               const struct fuse_lowlevel_ops *ops, void *userdata);

/* Take over the connection of a previous process: fuse_fd and state_fd
 * come from the service manager's fd store (both are taken). Replays the
 * saved FUSE_INIT into a new session (its reply is swallowed), then gets
 * every request the previous process read but did not answer served again
 * (kernel resend, or our journal). -ESTALE/-EBADMSG/-EOPNOTSUPP: the state
 * cannot be trusted: the old connection was aborted and its mount
 * detached; conn_close() and mount afresh. */
int conn_adopt(struct conn *c, int fuse_fd, int state_fd, const char *mountpoint,
               const struct fuse_lowlevel_ops *ops, void *userdata);

/* Only part of a saved connection came back: abort it, so that nobody
 * waits on requests that will never be answered, and detach its mount.
 * Takes the fds (either may be -1). */
void conn_discard(const char *mountpoint, int fuse_fd, int state_fd);

#define CONN_MAX_STACKED_MOUNTS 64

/* Detach the dead FUSE mounts stacked at path (ENOTCONN, ECONNABORTED),
 * top first, until one answers or none is left. A mount of device
 * known_dead (a connection the caller aborted; 0: none) is detached
 * without asking it. How many were detached, or -errno (-ELOOP: more
 * than 64 stacked). */
int conn_detach_dead(const char *path, dev_t known_dead);

/* Hand one request read into buf (len bytes) to libfuse. */
void conn_process(struct conn *c, void *buf, size_t len);

/* Requests wait in the kernel and nothing has been answered since the
 * last call: the request loop is wedged (for the watchdog). */
bool conn_wedged(struct conn *c, uint64_t *last_completed);

/* Leave the connection to the next process: journal drained. */
void conn_mark_drained(struct conn *c);
/* Stop serving for good: detach the mount. */
int conn_unmount(struct conn *c);
void conn_close(struct conn *c);

/* Whether a raw FUSE_INIT request carries FUSE_HAS_RESEND. */
bool conn_init_announces_resend(const uint8_t *init, size_t len);

/* Test hooks, from the environment (documented in lxcfs(8)). */
bool conn_test_flag(const char *name);

/* From the running kernel's version (FUSE_NOTIFY_RESEND came in 6.9); the
 * INIT flags of a live connection are the authority once mounted. */
bool kernel_has_fuse_resend(void);

/* FUSE_PASSTHROUGH came in 6.9 too (and needs CONFIG_FUSE_PASSTHROUGH):
 * a guess for --version; the INIT flags decide. */
bool kernel_has_fuse_passthrough(void);
