/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The handover state (a memfd) and the connection's adoption, on a real
 * FUSE mount: mount, serve, drain, adopt the same connection again as the
 * next process would (same process here, fds duplicated as the fd store
 * would pass them), serve again; and a corrupt state is refused with the
 * old connection aborted and its mount detached. The mount part needs root
 * and /dev/fuse (a TAP skip otherwise). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lxcfs/conn.h"
#include "lxcfs/handover.h"
#include "lxcfs/workers.h"
#include "tap.h"

static void test_state(void)
{
        struct handover_state s, again;
        int fd, r;

        tap_ok(handover_state_create(&s) == 0, "a new state in a memfd");
        tap_ok(handover_header_valid(s.hdr), "its header is valid");
        tap_ok(handover_busy_slots(&s) == 0, "no slot is busy");
        ((struct fuse_in_header *) (void *) handover_slot(&s, 3))->len = 64;
        tap_ok(handover_slot_busy(&s, 3) && handover_busy_slots(&s) == 1, "a request read into slot 3 makes it busy");
        handover_slot_clear(&s, 3);
        tap_ok(handover_busy_slots(&s) == 0, "cleared");

        fd = fcntl(s.fd, F_DUPFD_CLOEXEC, 3);
        tap_ok(handover_state_open(fd, &again) == 0 && again.hdr->n_slots == HANDOVER_SLOTS,
               "the same memfd opens again, as the next process does");
        handover_state_close(&again);

        s.hdr->owner_pid++;   /* changed without handover_state_seal() */
        fd = fcntl(s.fd, F_DUPFD_CLOEXEC, 3);
        r = handover_state_open(fd, &again);
        tap_ok(r == -EBADMSG, "a header changed behind the checksum is refused (%d)", r);
        handover_state_seal(&s);
        memcpy(s.hdr->magic, "garbage!", 8);
        handover_state_seal(&s);
        fd = fcntl(s.fd, F_DUPFD_CLOEXEC, 3);
        r = handover_state_open(fd, &again);
        tap_ok(r == -EBADMSG, "a wrong magic is refused (%d)", r);
        handover_state_close(&s);

        fd = memfd_create("short", MFD_CLOEXEC);
        tap_ok(fd >= 0 && handover_state_open(fd, &again) == -EBADMSG, "an empty memfd is refused");
}

static void test_init_flags(void)
{
        uint8_t buf[sizeof(struct fuse_in_header) + sizeof(struct fuse_init_in)] = { 0 };
        struct fuse_init_in *in = (void *) (buf + sizeof(struct fuse_in_header));

        in->flags = FUSE_INIT_EXT;
        in->flags2 = (uint32_t) (LXCFS_FUSE_HAS_RESEND >> 32);
        tap_ok(conn_init_announces_resend(buf, sizeof(buf)), "FUSE_INIT_EXT + flags2 bit 7: resend");
        in->flags = 0;
        tap_ok(!conn_init_announces_resend(buf, sizeof(buf)), "flags2 without FUSE_INIT_EXT: no resend");
        in->flags = FUSE_INIT_EXT;
        in->flags2 = 0;
        tap_ok(!conn_init_announces_resend(buf, sizeof(buf)), "no flag: no resend");
        tap_ok(!conn_init_announces_resend(buf, 44), "a truncated INIT: no resend");
}

/* A filesystem of one empty directory: the connection does not care. */
static void tiny_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct stat st = { .st_ino = ino, .st_mode = S_IFDIR | 0555, .st_nlink = 2 };

        fuse_reply_attr(req, &st, 0);   /* 0: every stat reaches us */
}

static const struct fuse_lowlevel_ops tiny_ops = { .getattr = tiny_getattr };

/* stat(2) of the mount from a child, with a deadline: 0 or an errno. */
static int stat_from_child(const char *path)
{
        int status;
        pid_t pid = fork();

        if (pid == 0) {
                struct stat st;

                alarm(5);
                _exit(stat(path, &st) < 0 ? errno : 0);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

static bool mounted_at(const char *path)
{
        char line[4096];
        FILE *f = fopen("/proc/self/mountinfo", "re");
        bool found = false;

        while (f && fgets(line, sizeof(line), f))
                if (strstr(line, path) && strstr(line, " - fuse.lxcfs "))
                        found = true;
        if (f)
                fclose(f);
        return found;
}

static void test_adopt(void)
{
        char dir[] = "/tmp/lxcfs-test-handover.XXXXXX";
        struct conn a, b, c;
        struct workers wa, wb;
        int fuse_fd, state_fd, r;

        if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) < 0) {
                for (int i = 0; i < 8; i++)
                        tap_skip("needs root and /dev/fuse", "adopting a live connection");
                return;
        }
        if (!mkdtemp(dir)) {
                tap_ok(0, "mkdtemp: %m");
                return;
        }
        r = conn_mount(&a, dir, NULL, &tiny_ops, NULL);
        tap_ok(r == 0 && a.origin == CONN_MOUNTED && (a.state.hdr->flags & HANDOVER_INIT_DONE),
               "conn_mount: mounted, FUSE_INIT answered and saved (%d)", r);
        if (r < 0)
                goto out;
        tap_ok(workers_start(&wa, &a, 2) == 0 && stat_from_child(dir) == 0, "served by the first workers");
        workers_drain(&wa);
        conn_mark_drained(&a);

        /* What the fd store would pass to the next process. */
        fuse_fd = fcntl(a.fd, F_DUPFD_CLOEXEC, 3);
        state_fd = fcntl(a.state.fd, F_DUPFD_CLOEXEC, 3);
        r = conn_adopt(&b, fuse_fd, state_fd, dir, &tiny_ops, NULL);
        tap_ok(r == 0 && b.origin == CONN_ADOPTED && b.previous_pid == getpid() &&
               b.state.hdr->generation == 1, "conn_adopt: resumed the connection (%d)", r);
        tap_ok(r == 0 && workers_start(&wb, &b, 2) == 0 && stat_from_child(dir) == 0,
               "the adopted connection serves");
        workers_drain(&wb);

        /* A corrupt state: refused, the connection aborted and detached. */
        memcpy(b.state.hdr->magic, "garbage!", 8);
        fuse_fd = fcntl(b.fd, F_DUPFD_CLOEXEC, 3);
        state_fd = fcntl(b.state.fd, F_DUPFD_CLOEXEC, 3);
        r = conn_adopt(&c, fuse_fd, state_fd, dir, &tiny_ops, NULL);
        tap_ok(r == -EBADMSG, "a corrupt state is refused (%d)", r);
        tap_ok(!mounted_at(dir), "... and the old mount is detached");
        r = stat_from_child(dir);
        tap_ok(r == 0, "the directory underneath is back (%d)", r);
        tap_ok(conn_unmount(&a) == -EINVAL || !mounted_at(dir), "nothing is left mounted");
        conn_close(&c);
        conn_close(&b);
out:
        conn_close(&a);
        (void) umount2(dir, MNT_DETACH);
        rmdir(dir);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN);
        test_state();
        test_init_flags();
        test_adopt();
        return tap_done();
}
