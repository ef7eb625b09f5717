/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lxcfs/conn.h"
#include "lxcfs/log.h"
#include "lxcfs/macro.h"
#include "lxcfs/mountinfo.h"
#include "lxcfs/passthrough.h"

#define FUSECTL_DIR "/sys/fs/fuse/connections"

/* While the saved FUSE_INIT is replayed into a new session, libfuse's
 * reply must not reach the kernel: it already has one. */
static __thread bool swallow_replies;
/* While the kernel's FUSE_INIT is answered: the one reply to adjust. */
static __thread bool answering_init;
/* ... and whether it accepts FUSE_PASSTHROUGH. */
static __thread bool init_passthrough;

/* Whatever the filesystem asked for, a request must fit the journal slot
 * a worker reads it into (the kernel refuses smaller read buffers). */
static void clamp_init_reply(struct iovec *iov, int count)
{
        struct fuse_init_out *out;

        if (count < 2 || iov[1].iov_len < offsetof(struct fuse_init_out, max_write) + sizeof(out->max_write))
                return;
        out = iov[1].iov_base;
        if (out->max_write > HANDOVER_MAX_WRITE)
                out->max_write = HANDOVER_MAX_WRITE;
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
        if (answering_init) {
                clamp_init_reply(iov, count);
                if (init_passthrough)
                        passthrough_patch_init(iov, count);
        }
        passthrough_patch_reply(iov, count);
        if (swallow_replies) {
                size_t len = 0;

                for (int i = 0; i < count; i++)
                        len += iov[i].iov_len;
                return (ssize_t) len;
        }
        return writev(fd, iov, count);
}

/* Required by libfuse, never used: workers read /dev/fuse themselves, into
 * their journal slot. */
static ssize_t io_read(int fd, void *buf, size_t len, void *userdata)
{
        return read(fd, buf, len);
}

static const struct fuse_custom_io custom_io = {
        .writev = io_writev,
        .read = io_read,
};

bool conn_test_flag(const char *name)
{
        const char *v = getenv(name);

        return v && *v && !streq(v, "0");
}

static int new_session(struct conn *c, const struct fuse_lowlevel_ops *ops, void *userdata)
{
        char *argv[] = { (char *) "lxcfs", NULL };
        struct fuse_args args = FUSE_ARGS_INIT(1, argv);
        int fd, r;

        c->se = fuse_session_new(&args, ops, sizeof(*ops), userdata);
        /* libfuse may have added arguments of its own to args. */
        fuse_opt_free_args(&args);
        if (!c->se)
                return -ENOMEM;
        /* The session closes its fd when destroyed; ours stays ours. */
        fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        r = fuse_session_custom_io(c->se, &custom_io, fd);
        if (r < 0) {
                close(fd);
                return r;
        }
        return 0;
}

void conn_process(struct conn *c, void *buf, size_t len)
{
        struct fuse_buf fbuf = { .mem = buf, .size = len };

        fuse_session_process_buf(c->se, &fbuf);
        __atomic_add_fetch(&c->completed, 1, __ATOMIC_RELAXED);
}

bool conn_init_announces_resend(const uint8_t *init, size_t len)
{
        const struct fuse_in_header *h = (const void *) init;
        const struct fuse_init_in *in = (const void *) (init + sizeof(*h));
        uint64_t flags;

        if (len < sizeof(*h) + offsetof(struct fuse_init_in, flags2) + sizeof(in->flags2))
                return false;
        flags = in->flags;
        if (flags & FUSE_INIT_EXT)
                flags |= (uint64_t) in->flags2 << 32;
        return flags & LXCFS_FUSE_HAS_RESEND;
}

static bool is_init_request(const uint8_t *buf, size_t len)
{
        const struct fuse_in_header *h = (const void *) buf;

        return len >= sizeof(*h) + offsetof(struct fuse_init_in, flags) && h->opcode == FUSE_INIT &&
               h->len == len && len <= HANDOVER_INIT_MAX;
}

/* The kernel queues FUSE_INIT as soon as the mount exists; nothing else
 * comes before it is answered. */
static int handshake(struct conn *c, bool want_passthrough)
{
        uint8_t *buf = handover_slot(&c->state, 0);
        ssize_t n;

        do
                n = read(c->fd, buf, c->state.hdr->slot_size);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return log_error_errno(errno, "Failed to read FUSE_INIT from /dev/fuse: %m");
        if (!is_init_request(buf, (size_t) n))
                return log_error_errno(EPROTO, "The first request on /dev/fuse is not a FUSE_INIT "
                                       "of at most %u bytes.", HANDOVER_INIT_MAX);
        memcpy(c->state.hdr->init, buf, (size_t) n);
        c->state.hdr->init_len = (uint32_t) n;
        c->kernel_resend = conn_init_announces_resend(buf, (size_t) n);
        c->passthrough = want_passthrough && passthrough_offered(buf, (size_t) n);
        c->passthrough_off = !want_passthrough ? "off: --passthrough turns it on"
                                               : "the kernel does not offer FUSE_PASSTHROUGH";
        answering_init = true;
        init_passthrough = c->passthrough;
        conn_process(c, buf, (size_t) n);
        answering_init = false;
        handover_slot_clear(&c->state, 0);
        c->state.hdr->flags |= HANDOVER_INIT_DONE | (c->passthrough ? HANDOVER_PASSTHROUGH : 0);
        handover_state_seal(&c->state);
        return 0;
}

/* The device of the topmost mount at path, read from mountinfo without
 * touching the mount itself (a stat would wait for a daemon that may not
 * be serving yet). */
static int top_mount_dev(const char *path, dev_t *ret)
{
        _cleanup_free_ char *type = NULL;
        int r;

        r = mountinfo_self_top_at(path, &type, ret);
        if (r < 0)
                return r;
        return streq(type, "fuse.lxcfs") ? 0 : -ENOENT;
}

static int mount_data(char **ret, int fd, const struct conn_mount_options *o)
{
        const char *extra = o && o->data && *o->data ? o->data : NULL;

        /* allow_other: container users read these files. */
        if (asprintf(ret, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other%s%s", fd,
                     extra ? "," : "", extra ?: "") < 0)
                return -ENOMEM;
        return 0;
}

int conn_mount(struct conn *c, const char *mountpoint, const struct conn_mount_options *o,
               const struct fuse_lowlevel_ops *ops, void *userdata)
{
        _cleanup_free_ char *data = NULL;
        dev_t dev;
        int r;

        *c = (struct conn) { .fd = -1, .state.fd = -1, .origin = CONN_MOUNTED };
        c->mountpoint = strdup(mountpoint);
        if (!c->mountpoint)
                return log_oom();
        c->fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
        if (c->fd < 0)
                return log_error_errno(errno, "Failed to open /dev/fuse: %m. Is the fuse module "
                                       "loaded (modprobe fuse) and are we root?");
        r = handover_state_create(&c->state);
        if (r < 0)
                return log_error_errno(r, "Failed to create the handover state memfd: %m");
        r = new_session(c, ops, userdata);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the FUSE session: %m");
        r = mount_data(&data, c->fd, o);
        if (r < 0)
                return log_oom();
        if (mount("lxcfs", mountpoint, "fuse.lxcfs",
                  MS_NOSUID | MS_NODEV | (o ? o->flags : 0), data) < 0)
                return log_error_errno(errno, "Failed to mount FUSE at %s: %m", mountpoint);
        r = handshake(c, o ? o->passthrough : false);
        if (r < 0) {
                (void) umount2(mountpoint, MNT_DETACH);
                return r;
        }
        r = top_mount_dev(mountpoint, &dev);
        if (r < 0)
                return log_error_errno(r, "Failed to find our new mount at %s in mountinfo: %m",
                                       mountpoint);
        c->state.hdr->mount_dev = (uint64_t) dev;
        handover_state_seal(&c->state);
        return 0;
}

static int replay_init(struct conn *c)
{
        _cleanup_free_ uint8_t *copy = malloc(HANDOVER_SLOT_SIZE);
        uint32_t len = c->state.hdr->init_len;

        if (!copy)
                return -ENOMEM;
        if (!(c->state.hdr->flags & HANDOVER_INIT_DONE) || !is_init_request(c->state.hdr->init, len))
                return -EBADMSG;
        memcpy(copy, c->state.hdr->init, len);
        swallow_replies = true;
        conn_process(c, copy, len);
        swallow_replies = false;
        c->kernel_resend = conn_init_announces_resend(copy, len);
        return 0;
}

/* A bare notification header: the kernel puts every request read from
 * this connection but not answered back in its queue, unique | RESEND. */
static int request_resend(struct conn *c)
{
        struct fuse_out_header h = { .len = sizeof(h), .error = LXCFS_FUSE_NOTIFY_RESEND };

        if (write(c->fd, &h, sizeof(h)) != (ssize_t) sizeof(h))
                return -errno;
        return 0;
}

/* Kernels without resend: answer again what the previous process had read
 * into its journal slots. */
static unsigned replay_journal(struct conn *c)
{
        _cleanup_free_ uint8_t *copy = malloc(c->state.hdr->slot_size);
        unsigned n = 0;
        uint32_t len;

        for (unsigned i = 0; i < c->state.hdr->n_slots; i++) {
                const struct fuse_in_header *h = (const void *) handover_slot(&c->state, i);

                if (!handover_slot_busy(&c->state, i))
                        continue;
                if (!copy || h->len < sizeof(*h) || h->len > c->state.hdr->slot_size) {
                        handover_slot_clear(&c->state, i);
                        continue;
                }
                len = h->len;
                memcpy(copy, h, len);
                /* Cleared before it is answered: a request that kills its
                 * daemon must not kill every next one in a crash loop. */
                handover_slot_clear(&c->state, i);
                conn_process(c, copy, len);
                n++;
        }
        return n;
}

static void clear_journal(struct conn *c)
{
        for (unsigned i = 0; i < c->state.hdr->n_slots; i++)
                handover_slot_clear(&c->state, i);
}

static int carry_over_requests(struct conn *c)
{
        unsigned in_hand = handover_busy_slots(&c->state);
        int r;

        if (c->kernel_resend && !conn_test_flag("LXCFS_TEST_NO_RESEND")) {
                r = request_resend(c);
                if (r == 0) {
                        clear_journal(c);
                        c->carried_over = in_hand;
                        c->carry_method = "resent";
                        return 0;
                }
                log_warning_errno(r, "The kernel refused FUSE_NOTIFY_RESEND: %m; "
                                  "replaying our journal instead.");
        }
        if (conn_test_flag("LXCFS_TEST_NO_REPLAY"))
                return -EOPNOTSUPP;
        c->carried_over = replay_journal(c);
        c->carry_method = "replayed from the journal";
        return 0;
}

static int write_string(const char *path, const char *s)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return write(fd, s, strlen(s)) < 0 ? -errno : 0;
}

static int abort_connection(dev_t dev)
{
        char path[128];
        int r;

        snprintf(path, sizeof(path), FUSECTL_DIR "/%u/abort", minor(dev));
        r = write_string(path, "1");
        if (r == -ENOENT && access(FUSECTL_DIR "/", F_OK) == 0 &&
            mount("fusectl", FUSECTL_DIR, "fusectl", 0, NULL) == 0)
                r = write_string(path, "1");
        return r;
}

/* Abort first: readers waiting on the old connection get an error now
 * instead of waiting forever. Then detach its mount, if it is still the
 * top one at mountpoint. Without a trustworthy saved device, the lxcfs
 * mount at mountpoint is the one whose fd the service manager kept. */
static void discard_mount(const char *mountpoint, bool have_saved, dev_t saved)
{
        dev_t dev;
        int r;

        if (have_saved) {
                r = abort_connection(saved);
                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "Failed to abort the old FUSE connection %u: %m",
                                          minor(saved));
        }
        if (top_mount_dev(mountpoint, &dev) < 0 || (have_saved && dev != saved))
                return;
        if (!have_saved)
                (void) abort_connection(dev);
        r = conn_detach_dead(mountpoint, dev);
        if (r < 0)
                log_warning_errno(r, "Failed to detach the old mount at %s: %m", mountpoint);
        else
                log_notice("Aborted the old connection and detached its mount at %s (device %u:%u); "
                           "lxcfs-remount heals the containers that held it.",
                           mountpoint, major(dev), minor(dev));
}

static int adopt(struct conn *c, int state_fd, const char *mountpoint,
                 const struct fuse_lowlevel_ops *ops, void *userdata)
{
        dev_t dev;
        int r;

        r = handover_state_open(state_fd, &c->state);
        if (r < 0)
                return log_warning_errno(r, "The saved connection state is unusable: %m.");
        r = top_mount_dev(mountpoint, &dev);
        if (r < 0 || (uint64_t) dev != c->state.hdr->mount_dev)
                return log_warning_errno(ESTALE, "The saved connection belongs to device %u:%u, "
                                         "which is no longer the lxcfs mount at %s.",
                                         major(c->state.hdr->mount_dev),
                                         minor(c->state.hdr->mount_dev), mountpoint);
        c->previous_pid = (pid_t) c->state.hdr->owner_pid;
        /* Negotiated once, at mount time, for the life of the connection. */
        c->passthrough = c->state.hdr->flags & HANDOVER_PASSTHROUGH;
        c->passthrough_off = "not negotiated when the connection was mounted";
        r = new_session(c, ops, userdata);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the FUSE session: %m");
        r = replay_init(c);
        if (r < 0)
                return log_warning_errno(r, "The saved FUSE_INIT cannot be replayed: %m.");
        r = carry_over_requests(c);
        if (r < 0)
                return log_warning_errno(r, "Requests the previous process had read cannot be "
                                         "answered (no kernel resend, journal replay off): %m.");
        c->state.hdr->generation++;
        c->state.hdr->version = HANDOVER_VERSION;
        c->state.hdr->owner_pid = (uint32_t) getpid();
        c->state.hdr->flags &= ~HANDOVER_DRAINED;
        handover_state_seal(&c->state);
        return 0;
}

int conn_adopt(struct conn *c, int fuse_fd, int state_fd, const char *mountpoint,
               const struct fuse_lowlevel_ops *ops, void *userdata)
{
        int r;

        *c = (struct conn) { .fd = fuse_fd, .state.fd = -1, .origin = CONN_ADOPTED };
        c->mountpoint = strdup(mountpoint);
        if (!c->mountpoint) {
                close(state_fd);
                return log_oom();
        }
        r = adopt(c, state_fd, mountpoint, ops, userdata);
        if (r < 0)
                discard_mount(mountpoint, c->state.hdr != NULL,
                              c->state.hdr ? (dev_t) c->state.hdr->mount_dev : 0);
        return r;
}

void conn_discard(const char *mountpoint, int fuse_fd, int state_fd)
{
        struct handover_state s = { .fd = -1 };
        bool have_saved = false;
        dev_t saved = 0;

        if (state_fd >= 0 && handover_state_open(state_fd, &s) == 0) {
                saved = (dev_t) s.hdr->mount_dev;
                have_saved = true;
                handover_state_close(&s);
        }
        discard_mount(mountpoint, have_saved, saved);
        if (fuse_fd >= 0)
                close(fuse_fd);
}

bool conn_wedged(struct conn *c, uint64_t *last_completed)
{
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        uint64_t now = __atomic_load_n(&c->completed, __ATOMIC_RELAXED);
        bool waiting = poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
        bool wedged = waiting && now == *last_completed;

        *last_completed = now;
        return wedged;
}

void conn_mark_drained(struct conn *c)
{
        c->state.hdr->flags |= HANDOVER_DRAINED;
        handover_state_seal(&c->state);
}

int conn_unmount(struct conn *c)
{
        if (umount2(c->mountpoint, MNT_DETACH) < 0)
                return -errno;
        return 0;
}

void conn_close(struct conn *c)
{
        if (c->se)
                fuse_session_destroy(c->se);
        handover_state_close(&c->state);
        if (c->fd >= 0)
                close(c->fd);
        free(c->mountpoint);
        *c = (struct conn) { .fd = -1, .state.fd = -1 };
}

static bool kernel_at_least(unsigned want_major, unsigned want_minor)
{
        struct utsname u;
        unsigned major = 0, minor = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
                return false;
        return major > want_major || (major == want_major && minor >= want_minor);
}

bool kernel_has_fuse_resend(void)
{
        return kernel_at_least(6, 9);
}

bool kernel_has_fuse_passthrough(void)
{
        return kernel_at_least(6, 9);
}
