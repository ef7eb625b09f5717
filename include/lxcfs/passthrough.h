/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Passthrough reads (Linux 6.9+, FUSE_PASSTHROUGH). At open the rendered
 * text goes into a memfd that is registered with the connection as a
 * backing file; the open is answered with FOPEN_PASSTHROUGH and its id, so
 * the reads, the read at EOF and seeks are served by the kernel from the
 * memfd and never reach us.
 *
 * libfuse 3.14 knows nothing of it. Two replies are adjusted on their way
 * to /dev/fuse (conn.c's write path, the one place every reply passes):
 *   - the INIT reply gets FUSE_PASSTHROUGH and max_stack_depth when the
 *     kernel offered the flag and it is wanted (passthrough_patch_init);
 *   - an open reply gets FOPEN_PASSTHROUGH and the backing id, when the
 *     thread that sends it armed them just before fuse_reply_open()
 *     (passthrough_arm). libfuse builds, sends and frees the request as
 *     usual; only two fields of its fuse_open_out change.
 *
 * The kernel's rule (fs/fuse/iomode.c): an inode has at most one backing
 * file, and while one is active every open of the inode must be a
 * passthrough open naming it, or the opener gets EIO. A reader whose text
 * differs from the active backing file's is answered with that id and
 * FOPEN_DIRECT_IO: its reads come to us and are served from its own text.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include "lxcfs/handles.h"
#include "lxcfs/handover.h"

/* Kernel ABI from include/uapi/linux/fuse.h (7.40) that Debian 12's
 * headers lack. */
#define LXCFS_FUSE_PASSTHROUGH       (1ULL << 37)   /* INIT flag: flags2 bit 5 */
#define LXCFS_FOPEN_PASSTHROUGH      (1u << 7)
/* fuse_init_out.max_stack_depth: the first word of 7.38's unused[]. */
#define LXCFS_INIT_OUT_STACK_DEPTH   36u
/* Our fs stacks on tmpfs (depth 0), and nothing may stack on top of it. */
#define LXCFS_PASSTHROUGH_STACK_DEPTH 1u

struct lxcfs_fuse_backing_map {
        int32_t fd;
        uint32_t flags;
        uint64_t padding;
};
#define LXCFS_FUSE_DEV_IOC_BACKING_OPEN  _IOW(229, 1, struct lxcfs_fuse_backing_map)
#define LXCFS_FUSE_DEV_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

/* Bit 63 of a file handle: the open counts as a user of its inode's
 * backing file. It survives a handover with the handle, so that the next
 * process knows which releases to count. */
#define PASSTHROUGH_FH_USER (1ULL << 63)

enum passthrough_open_kind {
        PT_OPEN_PLAIN,           /* no passthrough: reads come to us */
        PT_OPEN_NEW,             /* register this text as the inode's backing file */
        PT_OPEN_SHARE,           /* the active backing file holds the same bytes */
        PT_OPEN_DIRECT,          /* another text is active: its id + FOPEN_DIRECT_IO */
};

struct passthrough {
        pthread_mutex_t lock;
        int fuse_fd;             /* the connection's /dev/fuse; -1: off */
        bool enabled;            /* new backing files may be registered */
        const char *off_reason;  /* why not, for the status line */
        struct handover_backing *table;   /* in the handover state */
        /* The text of each active backing file, NULL when a previous
         * process registered it. */
        struct content *text[HANDOVER_BACKING_MAX];
        /* Our memfd behind each entry, -1 for a previous process's. An
         * entry of ours stays registered when its last open ends (users
         * 0): the next open of the inode writes its text into the same
         * memfd instead of registering a new one. */
        int memfd[HANDOVER_BACKING_MAX];
        char reason[160];
};

/* What an open was answered with: passed from passthrough_open() to
 * passthrough_arm() and, if the reply did not get through, undone. */
struct passthrough_open {
        enum passthrough_open_kind kind;
        int32_t backing_id;
        uint64_t ino;
};

/* Whether the kernel's FUSE_INIT request offers FUSE_PASSTHROUGH. */
bool passthrough_offered(const uint8_t *init, size_t len);
/* Adjust the INIT reply about to be written (iov[1] is fuse_init_out):
 * FUSE_INIT_EXT, flags2 bit 5, max_stack_depth. */
void passthrough_patch_init(struct iovec *iov, int count);

/* The choice for one open, from the inode's active backing entry (NULL if
 * none) and its text (NULL if unknown). Pure. */
enum passthrough_open_kind passthrough_decide(bool enabled, const struct handover_backing *active,
                                              const struct content *active_text,
                                              const struct content *mine);

/* Set up for the connection: fuse_fd and the backing table of state.
 * want: negotiated at INIT and not turned off by the user. Entries left by
 * a previous process are honoured (and closed when their opens end). */
void passthrough_init(struct passthrough *pt);
void passthrough_start(struct passthrough *pt, int fuse_fd, struct handover_state *state,
                       bool want, const char *off_reason);
void passthrough_done(struct passthrough *pt);
/* "passthrough" or "through the daemon (why)". */
const char *passthrough_describe(const struct passthrough *pt, char *buf, size_t size);
const char *passthrough_kind_name(enum passthrough_open_kind kind);

/* Decide and, for PT_OPEN_NEW, register text as ino's backing file. On
 * return ret->kind says how to answer; the caller sets fi->direct_io for
 * PT_OPEN_PLAIN and PT_OPEN_DIRECT only, and PASSTHROUGH_FH_USER in fh for
 * anything but PT_OPEN_PLAIN. Never fails: trouble means PT_OPEN_PLAIN
 * (or, when the inode has an active backing file, PT_OPEN_DIRECT). */
void passthrough_open(struct passthrough *pt, uint64_t ino, struct content *text,
                      struct passthrough_open *ret);
/* One user of ino's backing file is gone. After the last one, our memfd
 * waits for the next open; a previous process's id is closed. */
void passthrough_release(struct passthrough *pt, uint64_t ino);

/* Arm this thread's next open reply with o (nothing for PT_OPEN_PLAIN);
 * disarm after fuse_reply_open(). The patch sets FOPEN_PASSTHROUGH and the
 * id, FOPEN_DIRECT_IO for PT_OPEN_DIRECT only, and clears FOPEN_KEEP_CACHE
 * (the kernel refuses it with passthrough). */
void passthrough_arm(const struct passthrough_open *o);
void passthrough_disarm(void);
/* Called by the write path for every reply: patch an armed open reply
 * (header + fuse_open_out), then disarm. */
void passthrough_patch_reply(struct iovec *iov, int count);
