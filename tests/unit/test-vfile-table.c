/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of virtual files is the one source of the tree, the mountpoint
 * checks, --list-files and --disable-file: its rows must be complete,
 * sorted and unique, and the served set must follow the options. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lxcfs/render_cache.h"
#include "lxcfs/vfile.h"
#include "lxcfs/vtree.h"
#include "tap.h"

static void test_rows(void)
{
        const struct vfile *f, *prev = NULL;
        size_t i;

        for (i = 0; (f = vfile_row(i)); i++) {
                tap_ok(f->path[0] != '/' && f->generate && f->summary && f->summary[0],
                       "%s: relative path, renderer and summary", f->path);
                tap_ok((f->mode & ~0444u) == 0 && (f->mode & S_IRUSR),
                       "%s: read-only mode %04o", f->path, (unsigned) f->mode);
                tap_ok(host_file_path(f->host) != NULL, "%s: falls back to %s", f->path,
                       host_file_path(f->host));
                if (prev)
                        tap_ok(strcmp(prev->path, f->path) < 0, "%s sorts after %s", f->path, prev->path);
                prev = f;
        }
        tap_ok(i == vfile_table_size, "no test rows in this binary");
        f = vfile_find("proc/slabinfo");
        tap_ok(f && f->mode == 0400, "slabinfo is root only, as on the host");
        tap_ok(f && streq(host_file_path(f->host), "/proc/slabinfo"), "slabinfo falls back to the host's");
        f = vfile_find("proc/pressure/io");
        tap_ok(f && streq(f->cgroup_file, "io.pressure") && f->host == HOST_PRESSURE_IO,
               "pressure/io reads io.pressure, else /proc/pressure/io");
        tap_ok(vfile_find("proc/nope") == NULL, "unknown path");
}

static void test_disabled(void)
{
        char *off[] = { "proc/slabinfo", "proc/pressure/cpu" };
        const struct lxcfs_options opts = { .disabled_files = off, .n_disabled_files = 2 };
        struct vfile *rows;
        struct vtree t;
        size_t n;

        tap_ok(vfile_rows_served(NULL, &rows, &n) == 0 && n == vfile_table_size, "all rows by default");
        free(rows);
        tap_ok(vfile_rows_served(&opts, &rows, &n) == 0 && n == vfile_table_size - 2,
               "two rows fewer with two files disabled");
        for (size_t i = 0; i < n; i++)
                tap_ok(!streq(rows[i].path, "proc/slabinfo") && !streq(rows[i].path, "proc/pressure/cpu"),
                       "served: %s", rows[i].path);
        tap_ok(vtree_build(rows, n, &t) == 0, "tree of the served rows builds");
        tap_ok(vtree_by_ino(&t, vtree_path_ino("proc/slabinfo")) == NULL, "no slabinfo in the tree");
        tap_ok(vtree_by_ino(&t, vtree_path_ino("proc/pressure/io")) != NULL, "pressure/io stays");
        vtree_free(&t);
        free(rows);
}

int main(void)
{
        test_rows();
        test_disabled();
        return tap_done();
}
