/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Passthrough reads: the INIT and open reply encoding, the choice for one
 * open, and, on a real FUSE mount (root and /dev/fuse, a TAP skip
 * otherwise), backing files registered, shared, closed, and the fallback
 * when the kernel refuses them. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lxcfs/conn.h"
#include "lxcfs/passthrough.h"
#include "tap.h"

static void test_init(void)
{
        uint8_t buf[sizeof(struct fuse_in_header) + sizeof(struct fuse_init_in)] = { 0 };
        struct fuse_init_in *in = (void *) (buf + sizeof(struct fuse_in_header));
        struct fuse_out_header h = { 0 };
        struct fuse_init_out out = { .flags = FUSE_ASYNC_READ, .flags2 = 1 };
        struct iovec iov[2] = { { &h, sizeof(h) }, { &out, sizeof(out) } };

        in->flags = FUSE_INIT_EXT;
        in->flags2 = 1u << 5;
        tap_ok(passthrough_offered(buf, sizeof(buf)), "INIT_EXT + flags2 bit 5: offered");
        in->flags = 0;
        tap_ok(!passthrough_offered(buf, sizeof(buf)), "flags2 without INIT_EXT: not offered");
        in->flags = FUSE_INIT_EXT;
        in->flags2 = (uint32_t) (LXCFS_FUSE_HAS_RESEND >> 32);
        tap_ok(!passthrough_offered(buf, sizeof(buf)), "only resend: not offered");
        tap_ok(!passthrough_offered(buf, 44), "a truncated INIT: not offered");

        passthrough_patch_init(iov, 2);
        tap_ok(out.flags == (FUSE_ASYNC_READ | FUSE_INIT_EXT) && out.flags2 == (1u | 1u << 5),
               "INIT reply: FUSE_INIT_EXT and flags2 bit 5 added, other flags kept (%#x %#x)",
               out.flags, out.flags2);
        tap_ok(out.unused[0] == 1 && out.unused[1] == 0, "INIT reply: max_stack_depth 1 at offset 36");

        out = (struct fuse_init_out) { 0 };
        iov[1].iov_len = 24;   /* a pre-7.23 reply: no room */
        passthrough_patch_init(iov, 2);
        tap_ok(out.flags == 0 && out.flags2 == 0, "a short INIT reply is left alone");
}

/* What libfuse 3.14's fuse_reply_open() writes for our fi: fh, and
 * FOPEN_DIRECT_IO | FOPEN_NOFLUSH (plus KEEP_CACHE here, to see it go). */
static struct fuse_open_out libfuse_open_reply(struct iovec iov[2], struct fuse_out_header *h)
{
        static struct fuse_open_out out;

        out = (struct fuse_open_out) { .fh = 42, .open_flags = FOPEN_DIRECT_IO | FOPEN_NOFLUSH |
                                                              FOPEN_KEEP_CACHE };
        *h = (struct fuse_out_header) { .len = sizeof(*h) + sizeof(out), .unique = 9 };
        iov[0] = (struct iovec) { h, sizeof(*h) };
        iov[1] = (struct iovec) { &out, sizeof(out) };
        return out;
}

static struct fuse_open_out send_armed(enum passthrough_open_kind kind, int32_t id)
{
        struct fuse_out_header h;
        struct iovec iov[2];

        libfuse_open_reply(iov, &h);
        passthrough_arm(&(struct passthrough_open) { .kind = kind, .backing_id = id });
        passthrough_patch_reply(iov, 2);
        return *(struct fuse_open_out *) iov[1].iov_base;
}

static void test_open_reply(void)
{
        struct fuse_open_out o;
        struct fuse_out_header h;
        struct iovec iov[2];

        o = send_armed(PT_OPEN_NEW, 7);
        tap_ok(o.open_flags == (LXCFS_FOPEN_PASSTHROUGH | FOPEN_NOFLUSH) && o.padding == 7 && o.fh == 42,
               "new backing file: PASSTHROUGH|NOFLUSH, backing_id 7, fh kept (%#x)", o.open_flags);
        o = send_armed(PT_OPEN_SHARE, 3);
        tap_ok(o.open_flags == (LXCFS_FOPEN_PASSTHROUGH | FOPEN_NOFLUSH) && o.padding == 3,
               "shared backing file: the same flags, its id");
        o = send_armed(PT_OPEN_DIRECT, 3);
        tap_ok(o.open_flags == (LXCFS_FOPEN_PASSTHROUGH | FOPEN_DIRECT_IO | FOPEN_NOFLUSH) &&
               o.padding == 3, "other text: PASSTHROUGH|DIRECT_IO with the active id (%#x)",
               o.open_flags);
        o = send_armed(PT_OPEN_PLAIN, 5);
        tap_ok(o.open_flags == (FOPEN_DIRECT_IO | FOPEN_NOFLUSH | FOPEN_KEEP_CACHE) && o.padding == 0,
               "plain: libfuse's reply unchanged");

        /* Armed, then the next reply is an error (count 1): untouched, and
         * the one after it is not patched either. */
        passthrough_arm(&(struct passthrough_open) { .kind = PT_OPEN_NEW, .backing_id = 9 });
        h = (struct fuse_out_header) { .len = sizeof(h), .error = -ENOENT };
        iov[0] = (struct iovec) { &h, sizeof(h) };
        passthrough_patch_reply(iov, 1);
        libfuse_open_reply(iov, &h);
        passthrough_patch_reply(iov, 2);
        o = *(struct fuse_open_out *) iov[1].iov_base;
        tap_ok(h.error == 0 && o.padding == 0 && !(o.open_flags & LXCFS_FOPEN_PASSTHROUGH),
               "an arm is used up by the next reply, whatever it is");

        passthrough_arm(&(struct passthrough_open) { .kind = PT_OPEN_NEW, .backing_id = 9 });
        passthrough_disarm();
        libfuse_open_reply(iov, &h);
        passthrough_patch_reply(iov, 2);
        o = *(struct fuse_open_out *) iov[1].iov_base;
        tap_ok(o.padding == 0, "disarmed: not patched");
}

static void test_decide(void)
{
        char a[] = "MemTotal: 1 kB\n", b[] = "MemTotal: 2 kB\n";
        struct content ca = { .len = sizeof(a) - 1, .data = a }, ca2 = ca, cb = { .len = sizeof(b) - 1, .data = b };
        struct handover_backing active = { .ino = 5, .backing_id = 1, .users = 1 };
        struct handover_backing idle = { .ino = 5, .backing_id = 1, .users = 0 };

        tap_ok(passthrough_decide(true, NULL, NULL, &ca) == PT_OPEN_NEW, "no backing file: a new one");
        tap_ok(passthrough_decide(false, NULL, NULL, &ca) == PT_OPEN_PLAIN, "off: plain");
        tap_ok(passthrough_decide(true, &active, &ca, &ca2) == PT_OPEN_SHARE,
               "the active file holds the same bytes: shared");
        tap_ok(passthrough_decide(true, &active, &ca, &cb) == PT_OPEN_DIRECT,
               "other bytes: the active id, reads through the daemon");
        tap_ok(passthrough_decide(true, &active, NULL, &ca) == PT_OPEN_DIRECT,
               "a previous process's file (text unknown): direct");
        tap_ok(passthrough_decide(false, &active, &ca, &cb) == PT_OPEN_DIRECT &&
               passthrough_decide(false, &active, &ca, &ca2) == PT_OPEN_SHARE,
               "off (refused later, or --no-passthrough after a handover): active files still named");
        tap_ok(passthrough_decide(true, &idle, &ca, &ca2) == PT_OPEN_NEW, "an entry without users: new");
}

static void skip_tests(int n, const char *why)
{
        for (int i = 0; i < n; i++)
                printf("ok %d # SKIP %s\n", ++tap_n, why);
}

static bool backing_id_open(int fuse_fd, int32_t id)
{
        uint32_t arg = (uint32_t) id;

        /* Closing an id that is gone fails with ENOENT; one that is not is
         * closed, so only ask about ids we are done with. */
        return ioctl(fuse_fd, LXCFS_FUSE_DEV_IOC_BACKING_CLOSE, &arg) == 0 || errno != ENOENT;
}

static const struct fuse_lowlevel_ops no_ops;

static void test_on_mount(void)
{
        char dir[] = "/tmp/lxcfs-test-passthrough.XXXXXX";
        char a[] = "text one\n", b[] = "text two\n", reason[200];
        struct content *ca = NULL, *ca2 = NULL, *cb = NULL;
        struct passthrough pt;
        struct passthrough_open o1, o2, o3;
        struct conn c;
        int r;

        if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) < 0) {
                skip_tests(13, "needs root and /dev/fuse");
                return;
        }
        if (!mkdtemp(dir)) {
                tap_ok(0, "mkdtemp: %m");
                return;
        }
        content_new(strdup(a), strlen(a), &ca);
        content_new(strdup(a), strlen(a), &ca2);
        content_new(strdup(b), strlen(b), &cb);

        r = conn_mount(&c, dir, &(struct conn_mount_options) { .passthrough = true }, &no_ops, NULL);
        tap_ok(r == 0, "mounted (%d)", r);
        if (r < 0)
                goto out;
        if (!c.passthrough) {
                skip_tests(9, "this kernel does not offer FUSE_PASSTHROUGH");
                goto unmount;
        }
        tap_ok(c.state.hdr->flags & HANDOVER_PASSTHROUGH, "negotiated, and saved for the next process");
        passthrough_init(&pt);
        passthrough_start(&pt, c.fd, &c.state, true, "");
        passthrough_open(&pt, 2, ca, &o1);
        tap_ok(o1.kind == PT_OPEN_NEW && o1.backing_id > 0,
               "the kernel accepts a memfd as backing file (id %d)", o1.backing_id);
        passthrough_open(&pt, 2, ca2, &o2);
        tap_ok(o2.kind == PT_OPEN_SHARE && o2.backing_id == o1.backing_id, "same bytes: shared");
        passthrough_open(&pt, 2, cb, &o3);
        tap_ok(o3.kind == PT_OPEN_DIRECT && o3.backing_id == o1.backing_id, "other bytes: direct");
        tap_ok(handover_backing_table(&c.state)[0].ino == 2 && handover_backing_table(&c.state)[0].users == 3,
               "the handover state knows the id and its three users");
        passthrough_release(&pt, 2);
        passthrough_release(&pt, 2);
        tap_ok(handover_backing_table(&c.state)[0].users == 1, "two released, one left");
        passthrough_release(&pt, 2);
        tap_ok(handover_backing_table(&c.state)[0].ino == 2 && handover_backing_table(&c.state)[0].users == 0,
               "after the last release the entry is idle, still registered");
        passthrough_release(&pt, 2);
        tap_ok(handover_backing_table(&c.state)[0].users == 0, "an extra release is harmless");
        passthrough_open(&pt, 2, cb, &o3);
        tap_ok(o3.kind == PT_OPEN_NEW && o3.backing_id == o1.backing_id,
               "the next open refills the same memfd: no new registration (id %d)", o3.backing_id);
        passthrough_release(&pt, 2);
        passthrough_done(&pt);
unmount:
        (void) conn_unmount(&c);
        conn_close(&c);

        /* Not negotiated: the kernel refuses backing files, we fall back. */
        r = conn_mount(&c, dir, &(struct conn_mount_options) { .passthrough = false }, &no_ops, NULL);
        tap_ok(r == 0 && !c.passthrough && !(c.state.hdr->flags & HANDOVER_PASSTHROUGH),
               "mounted with passthrough off: not negotiated");
        if (r < 0)
                goto out;
        passthrough_init(&pt);
        passthrough_start(&pt, c.fd, &c.state, true, "");   /* as if we had believed it */
        passthrough_open(&pt, 2, ca, &o1);
        tap_ok(o1.kind == PT_OPEN_PLAIN && !pt.enabled, "the kernel refuses: plain, and off from now on");
        passthrough_describe(&pt, reason, sizeof(reason));
        tap_ok(strstr(reason, "through the daemon (the kernel refused") != NULL, "status: %s", reason);
        passthrough_done(&pt);
        (void) conn_unmount(&c);
        conn_close(&c);
out:
        content_unref(ca);
        content_unref(ca2);
        content_unref(cb);
        (void) umount2(dir, MNT_DETACH);
        rmdir(dir);
}

/* The state of a previous layout is adopted; a newer one is not. */
static void test_state_versions(void)
{
        struct handover_state s, again;
        int fd;

        if (handover_state_create(&s) < 0) {
                tap_ok(0, "handover_state_create: %m");
                return;
        }
        tap_ok(s.hdr->version == 2, "new states are version 2 (the backing table)");
        s.hdr->version = 1;
        handover_state_seal(&s);
        fd = fcntl(s.fd, F_DUPFD_CLOEXEC, 3);
        tap_ok(handover_state_open(fd, &again) == 0 && handover_backing_table(&again)[0].ino == 0,
               "a version 1 state is adopted, with an empty backing table");
        handover_state_close(&again);
        s.hdr->version = 3;
        handover_state_seal(&s);
        fd = fcntl(s.fd, F_DUPFD_CLOEXEC, 3);
        tap_ok(handover_state_open(fd, &again) == -EBADMSG, "a version 3 state is refused");
        handover_state_close(&s);
}

/* Backing ids belong to the connection: the next process finds them in
 * the state, keeps naming them and closes them with their last open. */
static void test_adopted_backing(void)
{
        char dir[] = "/tmp/lxcfs-test-passthrough.XXXXXX";
        char a[] = "text one\n";
        struct content *ca = NULL;
        struct passthrough pt1, pt2, pt3;
        struct passthrough_open o1, o2;
        struct conn c1, c2;
        int r;

        if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) < 0) {
                skip_tests(7, "needs root and /dev/fuse");
                return;
        }
        if (!mkdtemp(dir)) {
                tap_ok(0, "mkdtemp: %m");
                return;
        }
        content_new(strdup(a), strlen(a), &ca);
        r = conn_mount(&c1, dir, &(struct conn_mount_options) { .passthrough = true }, &no_ops, NULL);
        if (r < 0 || !c1.passthrough) {
                skip_tests(7, "no passthrough on this mount");
                goto out1;
        }
        passthrough_init(&pt1);
        passthrough_start(&pt1, c1.fd, &c1.state, true, "");
        passthrough_open(&pt1, 4, ca, &o1);
        passthrough_open(&pt1, 4, ca, &o2);
        tap_ok(o1.kind == PT_OPEN_NEW && o2.kind == PT_OPEN_SHARE, "two opens share a backing file");
        conn_mark_drained(&c1);

        r = conn_adopt(&c2, fcntl(c1.fd, F_DUPFD_CLOEXEC, 3), fcntl(c1.state.fd, F_DUPFD_CLOEXEC, 3),
                       dir, &no_ops, NULL);
        tap_ok(r == 0 && c2.passthrough, "adopted: passthrough was negotiated for this connection (%d)", r);
        if (r < 0)
                goto out2;
        passthrough_init(&pt2);
        passthrough_start(&pt2, c2.fd, &c2.state, true, "");
        passthrough_open(&pt2, 4, ca, &o2);
        tap_ok(o2.kind == PT_OPEN_DIRECT && o2.backing_id == o1.backing_id,
               "the next process names the same id (its text unknown: reads through it)");
        passthrough_release(&pt2, 4);
        passthrough_release(&pt2, 4);
        tap_ok(handover_backing_table(&c2.state)[0].users == 1,
               "releases of the previous process's opens are counted");
        passthrough_release(&pt2, 4);
        tap_ok(handover_backing_table(&c2.state)[0].ino == 0 && !backing_id_open(c2.fd, o1.backing_id),
               "the last release closes the previous process's id");
        passthrough_open(&pt2, 4, ca, &o2);
        tap_ok(o2.kind == PT_OPEN_NEW && o2.backing_id > 0, "then a new backing file (id %d)", o2.backing_id);
        passthrough_release(&pt2, 4);
        /* A third process: the idle entry's memfd is not its own. */
        passthrough_init(&pt3);
        passthrough_start(&pt3, c2.fd, &c2.state, true, "");
        tap_ok(handover_backing_table(&c2.state)[0].ino == 0 && !backing_id_open(c2.fd, o2.backing_id),
               "the next process closes idle ids it cannot refill");
        passthrough_done(&pt3);
        passthrough_done(&pt2);
        (void) conn_unmount(&c2);
        conn_close(&c2);
out2:
        passthrough_done(&pt1);
out1:
        (void) conn_unmount(&c1);
        conn_close(&c1);
        content_unref(ca);
        (void) umount2(dir, MNT_DETACH);
        rmdir(dir);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN);
        test_init();
        test_open_reply();
        test_decide();
        test_on_mount();
        test_state_versions();
        test_adopted_backing();
        return tap_done();
}
