/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lxcfs/log.h"
#include "lxcfs/macro.h"
#include "lxcfs/passthrough.h"

_Static_assert(offsetof(struct fuse_init_out, unused) == LXCFS_INIT_OUT_STACK_DEPTH,
               "max_stack_depth follows flags2");
_Static_assert(sizeof(struct fuse_open_out) == 16, "fuse_open_out: fh, open_flags, backing_id");

/* The open reply this thread is about to send, if it is a passthrough one. */
static __thread struct passthrough_open armed;

bool passthrough_offered(const uint8_t *init, size_t len)
{
        const struct fuse_init_in *in = (const void *) (init + sizeof(struct fuse_in_header));
        uint64_t flags;

        if (len < sizeof(struct fuse_in_header) + offsetof(struct fuse_init_in, flags2) +
                  sizeof(in->flags2))
                return false;
        flags = in->flags;
        if (flags & FUSE_INIT_EXT)
                flags |= (uint64_t) in->flags2 << 32;
        return flags & LXCFS_FUSE_PASSTHROUGH;
}

void passthrough_patch_init(struct iovec *iov, int count)
{
        struct fuse_init_out *out;
        uint32_t depth = LXCFS_PASSTHROUGH_STACK_DEPTH;

        if (count < 2 || iov[1].iov_len < LXCFS_INIT_OUT_STACK_DEPTH + sizeof(depth))
                return;
        out = iov[1].iov_base;
        out->flags |= FUSE_INIT_EXT;
        out->flags2 |= (uint32_t) (LXCFS_FUSE_PASSTHROUGH >> 32);
        memcpy((uint8_t *) out + LXCFS_INIT_OUT_STACK_DEPTH, &depth, sizeof(depth));
}

enum passthrough_open_kind passthrough_decide(bool enabled, const struct handover_backing *active,
                                              const struct content *active_text,
                                              const struct content *mine)
{
        if (active && active->users > 0) {
                if (active_text && mine && active_text->len == mine->len &&
                    memcmp(active_text->data, mine->data, mine->len) == 0)
                        return PT_OPEN_SHARE;
                return PT_OPEN_DIRECT;
        }
        return enabled ? PT_OPEN_NEW : PT_OPEN_PLAIN;
}

const char *passthrough_kind_name(enum passthrough_open_kind kind)
{
        static const char *const names[] = {
                [PT_OPEN_PLAIN] = "through the daemon",
                [PT_OPEN_NEW] = "passthrough, new backing file",
                [PT_OPEN_SHARE] = "passthrough, shared backing file",
                [PT_OPEN_DIRECT] = "passthrough id, reads through the daemon",
        };
        return kind < ELEMENTSOF(names) ? names[kind] : "?";
}

void passthrough_init(struct passthrough *pt)
{
        *pt = (struct passthrough) { .fuse_fd = -1 };
        for (unsigned i = 0; i < HANDOVER_BACKING_MAX; i++)
                pt->memfd[i] = -1;
        snprintf(pt->reason, sizeof(pt->reason), "not set up");
        pthread_mutex_init(&pt->lock, NULL);
}

static void close_backing(int fuse_fd, int32_t id)
{
        uint32_t arg = (uint32_t) id;

        if (ioctl(fuse_fd, LXCFS_FUSE_DEV_IOC_BACKING_CLOSE, &arg) < 0)
                log_debug_errno(errno, "Closing backing file %d failed: %m", (int) id);
}

void passthrough_start(struct passthrough *pt, int fuse_fd, struct handover_state *state,
                       bool want, const char *off_reason)
{
        struct handover_backing *t = handover_backing_table(state);
        unsigned kept = 0;

        pt->fuse_fd = fuse_fd;
        pt->table = t;
        /* A previous process's entries in use stay until their opens end;
         * its idle ones (we have no fd to their memfd) are closed; an entry
         * that makes no sense is forgotten. */
        for (unsigned i = 0; i < HANDOVER_BACKING_MAX; i++) {
                if (t[i].ino && t[i].backing_id > 0 && t[i].users > 0) {
                        kept++;
                        continue;
                }
                if (t[i].ino && t[i].backing_id > 0)
                        close_backing(fuse_fd, t[i].backing_id);
                t[i] = (struct handover_backing) { 0 };
        }
        if (kept)
                log_info("Kept %u backing file%s of the previous process (passthrough opens still "
                         "in use).", kept, kept == 1 ? "" : "s");
        pt->enabled = want;
        snprintf(pt->reason, sizeof(pt->reason), "%s", want ? "" : off_reason);
}

void passthrough_done(struct passthrough *pt)
{
        /* The ids stay registered: the connection may go on with the next
         * process, which closes the idle ones. */
        for (unsigned i = 0; i < HANDOVER_BACKING_MAX; i++) {
                content_unref(pt->text[i]);
                if (pt->memfd[i] >= 0)
                        close(pt->memfd[i]);
        }
        pthread_mutex_destroy(&pt->lock);
        *pt = (struct passthrough) { .fuse_fd = -1 };
}

const char *passthrough_describe(const struct passthrough *pt, char *buf, size_t size)
{
        if (pt->enabled)
                snprintf(buf, size, "passthrough");
        else
                snprintf(buf, size, "through the daemon (%s)", pt->reason);
        return buf;
}

static struct handover_backing *find_entry(struct passthrough *pt, uint64_t ino)
{
        for (unsigned i = 0; i < HANDOVER_BACKING_MAX; i++)
                if (pt->table[i].ino == ino)
                        return &pt->table[i];
        return NULL;
}

/* The whole text at the start of fd, and nothing after it. */
static int fill(int fd, const struct content *text)
{
        size_t done = 0;

        while (done < text->len) {
                ssize_t n = pwrite(fd, text->data + done, text->len - done, (off_t) done);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) n;
        }
        return ftruncate(fd, (off_t) text->len) < 0 ? -errno : 0;
}

/* The rendered text in a new memfd, registered with the connection. */
static int register_text(int fuse_fd, const struct content *text, int *ret_fd)
{
        _cleanup_close_ int fd = memfd_create("lxcfs-passthrough", MFD_CLOEXEC);
        struct lxcfs_fuse_backing_map map = { 0 };
        int id, r;

        if (fd < 0)
                return -errno;
        r = fill(fd, text);
        if (r < 0)
                return r;
        map.fd = fd;
        id = ioctl(fuse_fd, LXCFS_FUSE_DEV_IOC_BACKING_OPEN, &map);
        if (id < 0)
                return -errno;
        if (id == 0)
                return -EPROTO;
        *ret_fd = steal_fd(&fd);
        return id;
}

/* An idle entry of ours: no open uses its memfd (the kernel sends the
 * release of an open after its last read), so it takes the new text. */
static int refill_idle(struct passthrough *pt, struct handover_backing *e, const struct content *text)
{
        size_t i = (size_t) (e - pt->table);
        int r;

        if (pt->memfd[i] >= 0 && (r = fill(pt->memfd[i], text)) == 0)
                return e->backing_id;
        close_backing(pt->fuse_fd, e->backing_id);
        if (pt->memfd[i] >= 0)
                close(steal_fd(&pt->memfd[i]));
        *e = (struct handover_backing) { 0 };
        return -ENOENT;
}

/* The kernel's answer to a backing file means passthrough cannot work on
 * this connection (no capability, stacking depth, not negotiated), or only
 * this once (out of memory, fds). */
static bool refusal_is_final(int r)
{
        return r == -EPERM || r == -ELOOP || r == -EINVAL || r == -EOPNOTSUPP || r == -ENOTTY ||
               r == -EPROTO;
}

static void open_new_locked(struct passthrough *pt, struct handover_backing *e, uint64_t ino,
                            struct content *text, struct passthrough_open *ret)
{
        int id = -ENOENT, fd = -1;

        if (e)
                id = refill_idle(pt, e, text);
        if (id < 0) {
                e = find_entry(pt, 0);
                if (!e)
                        return;   /* more files open than the table holds: plain */
                id = register_text(pt->fuse_fd, text, &fd);
        }
        if (id < 0) {
                if (refusal_is_final(id)) {
                        pt->enabled = false;
                        errno = -id;
                        snprintf(pt->reason, sizeof(pt->reason),
                                 "the kernel refused a backing file: %m");
                        log_warning_errno(-id, "The kernel refused a backing file for passthrough "
                                          "reads: %m; serving reads through the daemon.");
                } else
                        log_debug_errno(-id, "No backing file for this open: %m");
                return;
        }
        if (fd >= 0) {
                *e = (struct handover_backing) { .ino = ino, .backing_id = id };
                pt->memfd[e - pt->table] = fd;
        }
        e->users = 1;
        __atomic_add_fetch(&text->refs, 1, __ATOMIC_RELAXED);
        pt->text[e - pt->table] = text;
        *ret = (struct passthrough_open) { .kind = PT_OPEN_NEW, .backing_id = id, .ino = ino };
}

void passthrough_open(struct passthrough *pt, uint64_t ino, struct content *text,
                      struct passthrough_open *ret)
{
        struct handover_backing *e;
        enum passthrough_open_kind kind;

        *ret = (struct passthrough_open) { .kind = PT_OPEN_PLAIN, .ino = ino };
        if (!pt->table)
                return;
        pthread_mutex_lock(&pt->lock);
        e = find_entry(pt, ino);
        kind = passthrough_decide(pt->enabled, e, e ? pt->text[e - pt->table] : NULL, text);
        if (kind == PT_OPEN_NEW)
                open_new_locked(pt, e, ino, text, ret);
        else if (kind != PT_OPEN_PLAIN) {
                /* Counted before the reply goes out: a release never comes
                 * before the open it ends. */
                e->users++;
                *ret = (struct passthrough_open) { .kind = kind, .backing_id = e->backing_id,
                                                   .ino = ino };
        }
        pthread_mutex_unlock(&pt->lock);
}

void passthrough_release(struct passthrough *pt, uint64_t ino)
{
        struct handover_backing *e;
        size_t i;

        if (!pt->table)
                return;
        pthread_mutex_lock(&pt->lock);
        e = find_entry(pt, ino);
        if (e && e->users > 0 && --e->users == 0) {
                i = (size_t) (e - pt->table);
                content_unref(steal_pointer(&pt->text[i]));
                if (pt->memfd[i] < 0) {
                        close_backing(pt->fuse_fd, e->backing_id);
                        *e = (struct handover_backing) { 0 };
                }
        }
        pthread_mutex_unlock(&pt->lock);
}

void passthrough_arm(const struct passthrough_open *o)
{
        armed = *o;
}

void passthrough_disarm(void)
{
        armed.kind = PT_OPEN_PLAIN;
}

void passthrough_patch_reply(struct iovec *iov, int count)
{
        struct passthrough_open o = armed;
        const struct fuse_out_header *h;
        struct fuse_open_out *out;

        if (o.kind == PT_OPEN_PLAIN)
                return;
        armed.kind = PT_OPEN_PLAIN;   /* one reply only, whatever it is */
        if (count != 2 || iov[0].iov_len != sizeof(*h) || iov[1].iov_len != sizeof(*out))
                return;
        h = iov[0].iov_base;
        if (h->error != 0)
                return;
        out = iov[1].iov_base;
        out->open_flags |= LXCFS_FOPEN_PASSTHROUGH;
        out->open_flags &= ~(uint32_t) FOPEN_KEEP_CACHE;
        if (o.kind == PT_OPEN_DIRECT)
                out->open_flags |= FOPEN_DIRECT_IO;
        else
                out->open_flags &= ~(uint32_t) FOPEN_DIRECT_IO;
        out->padding = (uint32_t) o.backing_id;   /* backing_id since 7.40 */
}
