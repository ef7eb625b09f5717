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
        REMOUNT_UNKNOWN,   /* not the live device, and its server did not say it is dead */
        REMOUNT_MISSING,   /* the namespace had an entry here and lost it: attach one */
};

/* What asking an entry's FUSE server said (remount_ns_probe()). */
enum remount_probe {
        REMOUNT_PROBE_NONE,         /* not asked: the live device, or hidden */
        REMOUNT_PROBE_ALIVE,        /* it answered: another running lxcfs */
        REMOUNT_PROBE_DEAD,         /* ENOTCONN or ECONNABORTED: the connection is gone */
        REMOUNT_PROBE_NO_ANSWER,    /* no answer in time: a hung server */
        REMOUNT_PROBE_UNREACHABLE,  /* its path does not lead to it (symlink, replaced) */
        REMOUNT_PROBE_ERROR,        /* another error */
};

const char *remount_state_to_string(enum remount_state s);

/* How a stale entry was replaced. */
enum remount_method {
        REMOUNT_METHOD_NONE,
        REMOUNT_METHOD_BENEATH,  /* fresh mount put beneath, stale one detached */
        REMOUNT_METHOD_REPLACE,  /* stale one detached, fresh one attached */
        REMOUNT_METHOD_ON_TOP,   /* stale one is locked: fresh one covers it */
        REMOUNT_METHOD_RESTORE,  /* the entry was gone: a fresh one attached */
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
        enum remount_probe probe;
        int probe_err;         /* 0 or -errno, what the probe got */

        /* Filled by the pool's workers (remount_pool_submit()). */
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
 * live (dev, others). Entries are in mountinfo order. REMOUNT_STALE here
 * only means "neither the live device nor another known instance": see
 * remount_ns_probe(). */
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
        size_t index;          /* the caller's, handed back as is */
};

/* Whether a worker should make e live: a stale entry whose server said its
 * connection is dead, or an entry lost during the heal. */
bool remount_entry_needs_heal(const struct remount_entry *e);

/* Answers per device (one FUSE connection each). */
struct remount_probe_answer {
        dev_t dev;
        enum remount_probe probe;
        int err;
};

struct remount_probe_cache {
        unsigned timeout_ms;   /* for one probe */
        struct remount_probe_answer *answers;
        size_t n;
};

void remount_probe_cache_done(struct remount_probe_cache *c);

/* Ask the server of e (reached through root_fd + e->target, no symlinks, and
 * checked to still be e's mount) whether it is alive, from a child process
 * that is killed after timeout_ms. The error seen in *ret_err. */
enum remount_probe remount_probe_entry(int proc_fd, int root_fd, const struct remount_entry *e,
                                       unsigned timeout_ms, int *ret_err);

/* Settle the REMOUNT_STALE entries of ns: still stale when their connection
 * is dead (or when their path does not lead to them: not healed then),
 * REMOUNT_FOREIGN when their server answers, REMOUNT_UNKNOWN otherwise. */
void remount_ns_probe(int proc_fd, struct remount_ns *ns, struct remount_probe_cache *cache);

/* After a heal: what each entry of before[] (a namespace's entries when it
 * was surveyed) is now, given the namespace's mountinfo text. Entries that
 * were live or stale get in now[] REMOUNT_LIVE (a live entry is on top),
 * REMOUNT_STALE (the dead one is still, or again, on top: now_id[] is its
 * mount), REMOUNT_MISSING (no lxcfs entry is left at the target) or
 * REMOUNT_HIDDEN / REMOUNT_FOREIGN (covered, or another instance's: left
 * alone); other entries keep their state. */
int remount_verify(const struct remount_entry *before, size_t n, const char *mountinfo,
                   dev_t live_dev, const dev_t *others, size_t n_others,
                   enum remount_state *now, int *now_id);

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
        bool fail_attach;      /* tests: an attach after a detach, or a restore, fails (EIO) */
};

/* Make the entries that remount_entry_needs_heal() live again, for many
 * namespaces at once, on a few long-lived worker processes (a fork per
 * namespace costs more than healing it): each entry is cloned from the live
 * mount in our namespace and the clone attached by a worker that entered
 * the entry's namespace, filling entry->result and entry->method. submit
 * takes over ns
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
/* Failure injection for the next jobs (tests: see remount_heal_opts). */
void remount_pool_set_fail_attach(struct remount_pool *pool, bool fail);
void remount_pool_free(struct remount_pool *pool);

/* Every namespace with lxcfs entries, recorded before anything changes
 * (survey.c), then healed and checked again until each entry that was live
 * or stale is live (or the passes run out). */
struct remount_survey_ns {
        struct remount_ns ns;      /* entries as surveyed; only pid_dir_fd stays open */
        enum remount_state *now;   /* each entry's state at the last check */
        int *now_id;               /* the mount at its target then */
        bool *attempted;           /* a worker tried to heal it */
        bool gone;                 /* its process exited, or left the namespace */
};

struct remount_survey {
        struct remount_survey_ns *v;
        size_t n;
};

void remount_survey_done(struct remount_survey *s);
/* Take over ns (its entries and /proc/PID; the caller's copy is left empty). */
int remount_survey_add(struct remount_survey *s, struct remount_ns *ns);
/* Hand the pool every namespace with entries to heal; *ret_n of them. */
int remount_survey_submit(struct remount_survey *s, struct remount_pool *pool, size_t *ret_n);
/* For the pool's callback: record the results of a job made by submit. */
void remount_survey_take_results(struct remount_survey *s, const struct remount_ns *job);
/* Read every namespace again; *ret_todo: how many still need a heal. */
int remount_survey_verify(struct remount_survey *s, const struct remount_live *live, size_t *ret_todo);

/* Fresh binds where there are none (a container hook). Clone the live files
 * rel[i] ("proc/meminfo"), read-only, nosuid, nodev, noexec, in our own
 * namespace: fds[i] is the clone or -errno. */
void remount_clone_files(const struct remount_live *live, const char *const *rel, size_t n, int *fds);
/* Attach fds[i] at rel[i] inside root_fd, in the namespace we are in now,
 * through no symlink: results[i] is 0, -ENOENT (no such target), -ELOOP (a
 * symlink on the way), -EEXIST (a FUSE mount is there already) or another
 * -errno. */
void remount_attach_files(int proc_fd, int root_fd, const char *const *rel, const int *fds, size_t n,
                          int *results);

/* 0 when the kernel offers open_tree()/move_mount(), -ENOSYS otherwise. */
int remount_check_kernel(void);
