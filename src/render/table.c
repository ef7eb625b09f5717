/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/render.h"
#include "lxcfs/vfile.h"
#include "lxcfs/vmirror.h"

/* Sorted by path. A new virtual file is one renderer file plus one row:
 * the tree, the mountpoint checks, --list-files and --disable-file all
 * read this table. */
const struct vfile vfile_table[] = {
        { "proc/cpuinfo", 0444, HOST_CPUINFO, NULL,
          "the host's blocks of the visible CPUs", cpuinfo_generate },
        { "proc/diskstats", 0444, HOST_DISKSTATS, NULL,
          "the container's own I/O per device", diskstats_generate },
        { "proc/loadavg", 0444, HOST_LOADAVG, NULL,
          "the container's own load averages and tasks", loadavg_generate },
        { "proc/meminfo", 0444, HOST_MEMINFO, NULL,
          "memory and swap within the container's limits", meminfo_generate },
        { "proc/pressure/cpu", 0444, HOST_PRESSURE_CPU, "cpu.pressure",
          "the container's CPU pressure (cgroup v2), else the host's", pressure_generate },
        { "proc/pressure/io", 0444, HOST_PRESSURE_IO, "io.pressure",
          "the container's I/O pressure (cgroup v2), else the host's", pressure_generate },
        { "proc/pressure/memory", 0444, HOST_PRESSURE_MEMORY, "memory.pressure",
          "the container's memory pressure (cgroup v2), else the host's", pressure_generate },
        { "proc/slabinfo", 0400, HOST_SLABINFO, "memory.kmem.slabinfo",
          "the container's slab caches where the kernel keeps them per cgroup, else the host's",
          slabinfo_generate },
        { "proc/stat", 0444, HOST_STAT, NULL,
          "the container's CPU times per visible CPU and its tasks", stat_generate },
        { "proc/swaps", 0444, HOST_SWAPS, NULL,
          "the swap the container may use", swaps_generate },
        { "proc/uptime", 0444, HOST_UPTIME, NULL,
          "the age of the container's pid namespace", uptime_generate },
        { "sys/devices/system/cpu/online", 0444, HOST_CPU_ONLINE, NULL,
          "the visible CPUs as a range list", cpu_online_generate },
};

const size_t vfile_table_size = ELEMENTSOF(vfile_table);

/* Directories shown as the host has them; the rows above under one of
 * them take the place of the host's file of that name. */
const struct vmirror vmirror_table[] = {
        { "sys/devices/system/cpu", "/sys/devices/system/cpu",
          "the host's CPU directory, read-only; cpuN of CPUs outside the visible ones hidden",
          cpu_dir_load_view, cpu_dir_entry_visible },
};

const size_t vmirror_table_size = ELEMENTSOF(vmirror_table);

const struct vmirror *vmirror_find(const char *path)
{
        for (size_t i = 0; i < vmirror_table_size; i++)
                if (streq(vmirror_table[i].path, path))
                        return &vmirror_table[i];
        return NULL;
}

bool vmirror_disabled(const struct lxcfs_options *opts, const struct vmirror *m)
{
        for (size_t i = 0; opts && i < opts->n_disabled_files; i++)
                if (streq(opts->disabled_files[i], m->path))
                        return true;
        return false;
}

const struct vfile *vfile_row(size_t index)
{
        if (index < vfile_table_size)
                return &vfile_table[index];
        index -= vfile_table_size;
        if (&vfile_test_rows && index < vfile_test_rows.n)
                return &vfile_test_rows.rows[index];
        return NULL;
}

const struct vfile *vfile_find(const char *path)
{
        const struct vfile *f;

        for (size_t i = 0; (f = vfile_row(i)); i++)
                if (streq(f->path, path))
                        return f;
        return NULL;
}

bool vfile_disabled(const struct lxcfs_options *opts, const struct vfile *f)
{
        for (size_t i = 0; opts && i < opts->n_disabled_files; i++)
                if (streq(opts->disabled_files[i], f->path))
                        return true;
        return false;
}

int vfile_rows_served(const struct lxcfs_options *opts, struct vfile **ret, size_t *ret_n)
{
        const struct vfile *f;
        struct vfile *rows;
        size_t n = 0, i;

        for (i = 0; vfile_row(i); i++)
                ;
        rows = calloc(i ?: 1, sizeof(*rows));
        if (!rows)
                return -ENOMEM;
        for (i = 0; (f = vfile_row(i)); i++)
                if (!vfile_disabled(opts, f))
                        rows[n++] = *f;
        *ret = rows;
        *ret_n = n;
        return 0;
}
