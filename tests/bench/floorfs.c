/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * floorfs [-t SECONDS] MOUNTPOINT
 *
 * The floor for the benchmarks: a libfuse3 low-level filesystem with the
 * same tree as the lxcfs mount, where every file returns the same constant
 * text of meminfo's size. It does the round trips a real one does (lookup,
 * getattr, open with direct_io, read, release) on libfuse's multi-threaded
 * loop and no work at all, so "ours / floor" tells how close we are to the
 * cost of FUSE itself. -t sets the entry and attribute timeouts (default 1).
 * Runs in the foreground; SIGTERM or SIGINT unmounts and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fuse_lowlevel.h>

#include "lxcfs/macro.h"

#define CONTENT_SIZE 1500
#define N_NODES (sizeof(nodes) / sizeof(nodes[0]))

struct node {
        fuse_ino_t parent;
        const char *name;
        bool is_dir;
};

/* Indexed by inode number; 1 is the root. */
static const struct node nodes[] = {
        [1]  = { 0, "",          true  },
        [2]  = { 1, "proc",      true  },
        [3]  = { 1, "sys",       true  },
        [4]  = { 3, "devices",   true  },
        [5]  = { 4, "system",    true  },
        [6]  = { 5, "cpu",       true  },
        [7]  = { 6, "online",    false },
        [8]  = { 2, "meminfo",   false },
        [9]  = { 2, "cpuinfo",   false },
        [10] = { 2, "stat",      false },
        [11] = { 2, "uptime",    false },
        [12] = { 2, "loadavg",   false },
        [13] = { 2, "diskstats", false },
        [14] = { 2, "swaps",     false },
};

static char content[CONTENT_SIZE + 1];
static size_t content_len;
static double timeout = 1.0;

static void content_fill(void)
{
        /* Key/value lines shaped like meminfo, so the kernel copies as many
         * bytes as a real read would. */
        for (unsigned i = 0; content_len + 32 < CONTENT_SIZE; i++)
                content_len += snprintf(content + content_len, sizeof(content) - content_len,
                                        "Field%02u:        %10u kB\n", i, i * 4096u);
}

static bool ino_valid(fuse_ino_t ino)
{
        return ino >= 1 && ino < N_NODES && nodes[ino].name;
}

static void node_stat(fuse_ino_t ino, struct stat *st)
{
        *st = (struct stat) {
                .st_ino = ino,
                .st_mode = nodes[ino].is_dir ? S_IFDIR | 0555 : S_IFREG | 0444,
                .st_nlink = nodes[ino].is_dir ? 2 : 1,
                /* A real file's text differs per reader, so its size is
                 * not known up front; direct_io makes reads ignore it. */
                .st_size = 0,
        };
}

static void floor_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        for (fuse_ino_t ino = 1; ino < N_NODES; ino++) {
                if (nodes[ino].parent != parent || strcmp(nodes[ino].name, name) != 0)
                        continue;

                struct fuse_entry_param e = {
                        .ino = ino,
                        .attr_timeout = timeout,
                        .entry_timeout = timeout,
                };
                node_stat(ino, &e.attr);
                fuse_reply_entry(req, &e);
                return;
        }
        fuse_reply_err(req, ENOENT);
}

static void floor_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct stat st;

        if (!ino_valid(ino)) {
                fuse_reply_err(req, ENOENT);
                return;
        }
        node_stat(ino, &st);
        fuse_reply_attr(req, &st, timeout);
}

static void floor_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                          struct fuse_file_info *fi)
{
        char buf[4096];
        size_t used = 0;

        if (!ino_valid(ino) || !nodes[ino].is_dir) {
                fuse_reply_err(req, ENOTDIR);
                return;
        }

        /* Offsets are inode numbers + 1: resume after the last one sent. */
        for (fuse_ino_t child = off > 0 ? (fuse_ino_t) off : 1; child < N_NODES; child++) {
                if (nodes[child].parent != ino)
                        continue;

                struct stat st;
                node_stat(child, &st);
                size_t n = fuse_add_direntry(req, buf + used, MIN(size, sizeof(buf)) - used,
                                             nodes[child].name, &st, (off_t) child + 1);
                if (used + n > MIN(size, sizeof(buf)))
                        break;
                used += n;
        }
        fuse_reply_buf(req, buf, used);
}

static void floor_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        if (!ino_valid(ino) || nodes[ino].is_dir) {
                fuse_reply_err(req, EISDIR);
                return;
        }
        if ((fi->flags & O_ACCMODE) != O_RDONLY) {
                fuse_reply_err(req, EACCES);
                return;
        }
        fi->direct_io = 1;
        fuse_reply_open(req, fi);
}

static void floor_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
        if (off < 0 || (size_t) off >= content_len) {
                fuse_reply_buf(req, NULL, 0);
                return;
        }
        fuse_reply_buf(req, content + off, MIN(size, content_len - (size_t) off));
}

static void floor_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops floor_ops = {
        .lookup = floor_lookup,
        .getattr = floor_getattr,
        .readdir = floor_readdir,
        .open = floor_open,
        .read = floor_read,
        .release = floor_release,
};

static int run(const char *mountpoint)
{
        char *argv[] = { "floorfs", "-o", "allow_other,fsname=floorfs,subtype=floorfs", NULL };
        struct fuse_args args = FUSE_ARGS_INIT(3, argv);
        struct fuse_loop_config *config = NULL;
        struct fuse_session *se;
        int r = 1;

        se = fuse_session_new(&args, &floor_ops, sizeof(floor_ops), NULL);
        fuse_opt_free_args(&args);
        if (!se)
                return 1;
        if (fuse_set_signal_handlers(se) < 0)
                goto out_destroy;
        if (fuse_session_mount(se, mountpoint) < 0)
                goto out_signals;

        config = fuse_loop_cfg_create();
        if (!config)
                goto out_unmount;
        fuse_loop_cfg_set_clone_fd(config, 0);
        fuse_loop_cfg_set_max_threads(config, 10);
        r = fuse_session_loop_mt(se, config) == 0 ? 0 : 1;
        fuse_loop_cfg_destroy(config);

out_unmount:
        fuse_session_unmount(se);
out_signals:
        fuse_remove_signal_handlers(se);
out_destroy:
        fuse_session_destroy(se);
        return r;
}

int main(int argc, char **argv)
{
        const char *mountpoint = NULL;
        char *end;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
                        timeout = strtod(argv[++i], &end);
                        if (*end || timeout < 0)
                                mountpoint = NULL, i = argc;
                } else if (!mountpoint && argv[i][0] != '-') {
                        mountpoint = argv[i];
                } else {
                        mountpoint = NULL;
                        break;
                }
        }
        if (!mountpoint) {
                fprintf(stderr, "usage: %s [-t SECONDS] MOUNTPOINT\n", argv[0]);
                return 2;
        }

        content_fill();
        return run(mountpoint);
}
