/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What one daemon process leaves to the next so that the FUSE connection
 * survives a restart, a crash or an upgrade. It lives in a memfd that the
 * service manager keeps (FDSTORE=1, FDNAME=state) next to the /dev/fuse fd:
 *
 *   header (one page): magic, layout version, checksum, the mount's device,
 *                      the serving pid, and the raw FUSE_INIT request that
 *                      the kernel sent when the filesystem was mounted;
 *   backing table:     in the rest of the header page, outside the
 *                      checksum (workers change it on every passthrough
 *                      open and release): the backing files registered on
 *                      the connection (FUSE_DEV_IOC_BACKING_OPEN) and how
 *                      many opens use each. They belong to the connection,
 *                      not the process: the next one must honour them and
 *                      close them when their last open is released;
 *   journal slots:     each worker reads /dev/fuse straight into its own
 *                      slot, so a request read by a process that died
 *                      before answering it is still in the memfd. The next
 *                      process answers it again (kernels without
 *                      FUSE_NOTIFY_RESEND); a second answer to a request
 *                      that was answered is refused by the kernel with
 *                      ENOENT, which is harmless.
 *
 * Slots are sparse: only the pages a request touched take memory. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HANDOVER_MAGIC        "LXCFSHO"
/* 2: the backing table. A version 1 state is read as one with an empty
 * table (its page was zeros there); a version 1 process refuses ours. */
#define HANDOVER_VERSION      2u
#define HANDOVER_VERSION_MIN  1u
#define HANDOVER_HEADER_SIZE  4096u
#define HANDOVER_INIT_MAX     1024u
#define HANDOVER_SLOTS        64u
/* The kernel refuses a read of /dev/fuse into a buffer smaller than a
 * request can be: header + write header + max_write. */
#define HANDOVER_MAX_WRITE    (128u * 1024u)
#define HANDOVER_SLOT_SIZE    (HANDOVER_MAX_WRITE + 4096u)

enum {
        HANDOVER_INIT_DONE = 1u << 0,  /* init[] holds the answered FUSE_INIT */
        HANDOVER_DRAINED   = 1u << 1,  /* the owner finished every request it read */
        HANDOVER_PASSTHROUGH = 1u << 2, /* FUSE_PASSTHROUGH was negotiated at INIT */
};

struct handover_header {
        char magic[8];
        uint32_t version;
        uint32_t checksum;       /* FNV-1a of the header with this field 0 */
        uint32_t n_slots;
        uint32_t slot_size;
        uint32_t flags;
        uint32_t owner_pid;      /* the process serving (or that last served) */
        uint64_t generation;     /* +1 for every process that takes over */
        uint64_t mount_dev;      /* st_dev of the mount's root */
        uint32_t init_len;
        uint32_t reserved;
        uint8_t init[HANDOVER_INIT_MAX];
};

/* One inode's backing file: every open of an inode whose backing file is
 * active must name it (fs/fuse/iomode.c), so there is at most one per
 * inode. users counts the opens answered with it, not yet released; an
 * entry without users is idle (kept for the next open by the process that
 * registered it, closed by the next process). */
struct handover_backing {
        uint64_t ino;            /* 0: free entry */
        int32_t backing_id;
        uint32_t users;
};

#define HANDOVER_BACKING_OFFSET 2048u
#define HANDOVER_BACKING_MAX    64u

struct handover_state {
        int fd;                  /* the memfd */
        struct handover_header *hdr;
        uint8_t *slots;
        size_t map_size;
};

/* A new, empty state in a memfd. */
int handover_state_create(struct handover_state *ret);
/* Map a state inherited from the previous process and check it; -EBADMSG
 * if the magic, version, checksum or layout is wrong. Takes fd. */
int handover_state_open(int fd, struct handover_state *ret);
void handover_state_close(struct handover_state *s);

/* Recompute the checksum after changing header fields. */
void handover_state_seal(struct handover_state *s);
bool handover_header_valid(const struct handover_header *h);

static inline struct handover_backing *handover_backing_table(const struct handover_state *s)
{
        return (struct handover_backing *) (void *) ((uint8_t *) s->hdr + HANDOVER_BACKING_OFFSET);
}

static inline uint8_t *handover_slot(const struct handover_state *s, unsigned i)
{
        return s->slots + (size_t) i * s->hdr->slot_size;
}

/* A slot holds a request read but not finished when the length field of
 * its fuse_in_header is not 0. */
bool handover_slot_busy(const struct handover_state *s, unsigned i);
void handover_slot_clear(const struct handover_state *s, unsigned i);
unsigned handover_busy_slots(const struct handover_state *s);
