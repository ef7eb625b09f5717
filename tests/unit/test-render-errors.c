/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfile_generate() on the v1 fixture tree: a reader whose cgroup files are
 * damaged gets EIO, never the host's text; a reader without a view of its
 * own (no memory controller) gets the host's; a limited one its limit.
 * The reader's cgroups are set on the context directly, as
 * render_ctx_reader() would have loaded them. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "lxcfs/fileio.h"
#include "lxcfs/render.h"
#include "lxcfs/vfile.h"
#include "tap.h"
#include "test-cgroup-util.h"

#define TREE "cgroup/v1"

static const struct vfile *find(const char *path)
{
        for (size_t i = 0; i < vfile_table_size; i++)
                if (streq(vfile_table[i].path, path))
                        return &vfile_table[i];
        return NULL;
}

/* Generate path for a reader whose /proc/PID/cgroup is cgroup_text. */
static int run(const struct cg_hierarchies *h, const char *path, const char *cgroup_text, char **ret)
{
        static const struct lxcfs_options opts = { .use_cfs = true, .use_swap = true };
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        struct render_ctx ctx;
        int r;

        render_ctx_init(&ctx, getpid(), &opts, h, NULL, NULL);
        r = cg_reader_parse(h, cgroup_text, &ctx.reader);
        if (r < 0)
                return r;
        ctx.reader_err = 0;
        r = vfile_generate(find(path), &ctx, &out);
        render_ctx_done(&ctx);
        if (r >= 0)
                *ret = strbuf_steal(&out, NULL);
        return r;
}

static const char *in_leaf(const char *leaf, char *buf, size_t size)
{
        snprintf(buf, size, "4:memory:/lxcfsfix/%1$s\n3:cpuset:/lxcfsfix/%1$s\n"
                 "2:cpuacct:/lxcfsfix/%1$s\n1:cpu:/lxcfsfix/%1$s\n7:blkio:/lxcfsfix/%1$s\n", leaf);
        return buf;
}

int main(void)
{
        _cleanup_free_ char *limited = NULL, *nomem = NULL, *host = NULL;
        struct cg_hierarchies h;
        char cg[512], *text = NULL;
        int r;

        tap_ok(open_tree(&h, TREE, "mountinfo") == 0, "open the v1 fixture tree");

        r = run(&h, "proc/meminfo", in_leaf("limited", cg, sizeof(cg)), &limited);
        tap_ok(r == 0 && limited && strstr(limited, "MemTotal:         262144 kB\n"),
               "limited reader: its own MemTotal (r=%d)", r);

        r = run(&h, "proc/meminfo", in_leaf("garbage", cg, sizeof(cg)), &text);
        tap_ok(r == -EIO && !text, "unparsable memory.limit_in_bytes: EIO, no text (r=%d)", r);
        r = run(&h, "proc/meminfo", in_leaf("badstat", cg, sizeof(cg)), &text);
        tap_ok(r == -EIO && !text, "unparsable memory.stat: EIO, no text (r=%d)", r);
        r = run(&h, "proc/cpuinfo", in_leaf("garbage", cg, sizeof(cg)), &text);
        tap_ok(r == -EIO && !text, "unparsable cpu.cfs_quota_us: cpuinfo is EIO (r=%d)", r);
        r = run(&h, "sys/devices/system/cpu/online", in_leaf("garbage", cg, sizeof(cg)), &text);
        tap_ok(r == -EIO && !text, "and so is cpu/online (r=%d)", r);
        r = run(&h, "proc/stat", in_leaf("garbage", cg, sizeof(cg)), &text);
        tap_ok(r == -EIO && !text, "and stat (r=%d)", r);
        r = run(&h, "proc/diskstats", in_leaf("garbage", cg, sizeof(cg)), &text);
        tap_ok(r == -EIO && !text, "unparsable blkio stats: diskstats is EIO (r=%d)", r);

        /* No memory line: no view of its own, the host's file is right. */
        r = run(&h, "proc/meminfo", "3:cpuset:/lxcfsfix/limited\n", &nomem);
        tap_ok(r == 0, "reader without a memory cgroup: no error (r=%d)", r);
        tap_ok(read_file_at(AT_FDCWD, "/proc/meminfo", &host, NULL) == 0 && nomem &&
               strncmp(nomem, host, strcspn(host, "\n")) == 0, "and the host's MemTotal");

        cg_hierarchies_close(&h);
        return tap_done();
}
