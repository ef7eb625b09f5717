/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The namespace walker behind lxcfs-remount: find the fuse.lxcfs bind mounts
 * of every mount namespace, tell live from stale (left behind by a daemon that
 * is gone), and "make these lxcfs entries live in that mount namespace".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LXCFS_FSTYPE "fuse.lxcfs"

enum remount_state {
        REMOUNT_LIVE,      /* served by the live mount */
        REMOUNT_STALE,     /* its daemon is gone: rebind it */
        REMOUNT_FOREIGN,   /* served by another running lxcfs instance: not ours */
        REMOUNT_HIDDEN,    /* another mount sits on top of it: nobody reads it */
        REMOUNT_INVALID,   /* its root is not a plain path inside the tree */
};

const char *remount_state_to_string(enum remount_state s);

/* How a stale entry was replaced. */
enum remount_method {
        REMOUNT_METHOD_NONE,
        REMOUNT_METHOD_BENEATH,  /* fresh mount put beneath, stale one detached */
        REMOUNT_METHOD_REPLACE,  /* stale one detached, fresh one attached */
        REMOUNT_METHOD_ON_TOP,   /* stale one is locked: fresh one covers it */
};

const char *remount_method_to_string(enum remount_method m);

struct remount_entry {
        int mount_id;
        int parent_id;
        dev_t dev;
        char *target;          /* mount point, as the namespace's process sees it */
        char *root;            /* path inside the lxcfs tree, e.g. "/proc/meminfo" */
        uint64_t attr;         /* MOUNT_ATTR_{RDONLY,NOSUID,NODEV,NOEXEC} to keep */
        enum remount_state state;

        /* Filled by remount_heal_ns(). */
        int result;            /* 0 or -errno */
        enum remount_method method;
};

/* The mount that entries are rebound to, and what else is mounted beside it. */
struct remount_live {
        char *mountpoint;
        int fd;                /* O_PATH, root of the live mount */
        int proc_fd;           /* this process's /proc, used from inside other namespaces */
        dev_t dev;
        uint64_t attr;         /* MOUNT_ATTR_* of the live mount: clones inherit them */
        dev_t *others;         /* devices of other running lxcfs mounts here */
        size_t n_others;
};

#define REMOUNT_LIVE_INIT { .fd = -1, .proc_fd = -1 }

/* Find the live lxcfs mount at mountpoint in our own mount namespace.
 * -ENOENT: nothing mounted there; -EMEDIUMTYPE: not fuse.lxcfs there;
 * -ENOTCONN: its daemon is gone. */
int remount_live_open(const char *mountpoint, struct remount_live *ret);
void remount_live_done(struct remount_live *live);

/* Pick the fuse.lxcfs entries out of mountinfo text and classify them against
 * live (dev, others). Entries are in mountinfo order. */
int remount_parse_mountinfo(const char *text, dev_t live_dev,
                            const dev_t *others, size_t n_others,
                            struct remount_entry **ret, size_t *ret_n);
void remount_entries_free(struct remount_entry *e, size_t n);

/* One mount namespace that holds fuse.lxcfs entries. */
struct remount_ns {
        uint64_t ino;          /* nsfs inode: the namespace's identity */
        pid_t pid;             /* one process in it */
        int ns_fd;             /* its /proc/PID/ns/mnt */
        int root_fd;           /* its /proc/PID/root: mountinfo paths are relative to it */
        int pid_dir_fd;        /* its /proc/PID */
        struct remount_entry *entries;
        size_t n_entries;
};

size_t remount_ns_count(const struct remount_ns *ns, enum remount_state s);

/* Called once per namespace that has fuse.lxcfs entries. A negative return
 * stops the walk and is returned by remount_walk(). */
typedef int (*remount_ns_cb)(struct remount_ns *ns, void *userdata);

struct remount_walk_stats {
        size_t n_namespaces;   /* distinct mount namespaces seen */
        size_t n_vanished;     /* processes that exited while we looked */
};

/* Visit every mount namespace on the host, once per namespace inode
 * (/proc/PID/ns/mnt). proc_fd is an open /proc directory. */
int remount_walk(int proc_fd, const struct remount_live *live,
                 remount_ns_cb cb, void *userdata, struct remount_walk_stats *stats);

struct remount_heal_opts {
        unsigned timeout_ms;   /* per namespace */
        bool no_beneath;       /* skip MOVE_MOUNT_BENEATH (tests of the fallback) */
        bool stall_first_worker;  /* tests of the timeout: it stops itself */
};

/* Make the stale entries of ns live again: clone each from the live mount in
 * our namespace, then attach the clones from a worker process that entered
 * ns. Fills entry->result and entry->method of every stale entry. Returns 0,
 * or -ENOSYS when the kernel has no open_tree()/move_mount() (older than 5.2). */
int remount_heal_ns(const struct remount_live *live, struct remount_ns *ns,
                    const struct remount_heal_opts *opts);

/* The same for many namespaces at once, on a few long-lived worker processes
 * (a fork per namespace costs more than healing it). submit takes over ns
 * (leaving the caller's copy empty), clones its stale entries and hands them
 * to an idle worker, waiting for one if all are busy; cb gets each namespace
 * back with its results once its worker is done (or its deadline passed),
 * from inside submit or drain. */
struct remount_pool;
typedef void (*remount_healed_cb)(struct remount_ns *ns, void *userdata);
int remount_pool_new(const struct remount_live *live, const struct remount_heal_opts *opts,
                     unsigned n_workers, remount_healed_cb cb, void *userdata,
                     struct remount_pool **ret);
int remount_pool_submit(struct remount_pool *pool, struct remount_ns *ns);
void remount_pool_drain(struct remount_pool *pool);
void remount_pool_free(struct remount_pool *pool);

/* 0 when the kernel offers open_tree()/move_mount(), -ENOSYS otherwise. */
int remount_check_kernel(void);
