/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/parse.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

/* Columns after "major minor name" since Linux 5.5; 4.18 had 15 and older
 * kernels 11. The output keeps as many as the host prints. */
#define DISKSTATS_FIELDS_MAX 17
#define DISKSTATS_FIELDS_MIN 11

struct host_disk {
        unsigned major, minor;
        char name[64];
        unsigned n_fields;
};

static unsigned count_words(const char *s)
{
        unsigned n = 0;

        for (bool in_word = false; *s; s++) {
                bool space = *s == ' ' || *s == '\t';

                if (!space && !in_word)
                        n++;
                in_word = !space;
        }
        return n;
}

static int parse_host_line(const char *line, size_t len, struct host_disk *ret)
{
        char buf[512];
        int consumed = 0;

        if (len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (sscanf(buf, "%u %u %63s%n", &ret->major, &ret->minor, ret->name, &consumed) != 3)
                return -EINVAL;
        ret->n_fields = count_words(buf + consumed);
        return 0;
}

static bool touched(const struct cg_io_device *d)
{
        return d->rios || d->wios || d->dios || d->rbytes || d->wbytes || d->dbytes;
}

static void put_device(struct strbuf *out, const struct cg_io_device *d, const char *name,
                       unsigned n_fields)
{
        uint64_t rms = d->rtime_ns / 1000000, wms = d->wtime_ns / 1000000;
        /* reads, merged, sectors, ms; writes ...; in flight, io ms, weighted
         * ms (the kernel's sum of the per-direction times); discards ...;
         * flushes, ms. What the cgroup does not count is 0. */
        const uint64_t f[DISKSTATS_FIELDS_MAX] = {
                d->rios, 0, d->rbytes / 512, rms,
                d->wios, 0, d->wbytes / 512, wms,
                0, 0, rms + wms,
                d->dios, 0, d->dbytes / 512, 0,
                0, 0,
        };

        strbuf_printf(out, "%4u %7u %s", d->major, d->minor, name);
        for (unsigned i = 0; i < n_fields; i++)
                strbuf_printf(out, " %" PRIu64, f[i]);
        strbuf_puts(out, "\n");
}

static const char *name_of(const struct diskstats_input *in, size_t i, const char *fallback)
{
        return in->names && in->names[i] ? in->names[i] : fallback;
}

int diskstats_render(const struct diskstats_input *in, struct strbuf *out)
{
        _cleanup_free_ bool *printed = NULL;
        unsigned n_fields = DISKSTATS_FIELDS_MAX;
        bool first = true;
        const char *line;
        size_t pos = 0, len;

        if (!in->io) {
                strbuf_puts(out, in->host);
                return strbuf_error(out);
        }
        printed = calloc(in->io->n + 1, sizeof(bool));
        if (!printed)
                return -ENOMEM;

        /* Host order, host names and the host's column count. */
        while ((line = next_line(in->host, &pos, &len))) {
                struct host_disk h;

                if (parse_host_line(line, len, &h) < 0)
                        continue;
                if (first && h.n_fields >= DISKSTATS_FIELDS_MIN && h.n_fields <= DISKSTATS_FIELDS_MAX)
                        n_fields = h.n_fields;
                first = false;
                for (size_t i = 0; i < in->io->n; i++) {
                        const struct cg_io_device *d = &in->io->dev[i];

                        if (d->major != h.major || d->minor != h.minor || printed[i])
                                continue;
                        printed[i] = true;
                        if (touched(d))
                                put_device(out, d, name_of(in, i, h.name), n_fields);
                }
        }
        /* Devices the host file does not list but that have a name. */
        for (size_t i = 0; i < in->io->n; i++)
                if (!printed[i] && touched(&in->io->dev[i]) && name_of(in, i, NULL))
                        put_device(out, &in->io->dev[i], name_of(in, i, NULL), n_fields);
        return strbuf_error(out);
}

/* DEVNAME= of /sys/dev/block/MAJ:MIN/uevent, or NULL. */
static char *sysfs_devname(unsigned major, unsigned minor)
{
        _cleanup_free_ char *text = NULL;
        char path[96];
        const char *line;
        size_t pos = 0, len;

        snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major, minor);
        if (read_file_at(AT_FDCWD, path, &text, NULL) < 0)
                return NULL;
        while ((line = next_line(text, &pos, &len)))
                if (len > 8 && memcmp(line, "DEVNAME=", 8) == 0)
                        return strndup(line + 8, len - 8);
        return NULL;
}

static void free_names(char **names, size_t n)
{
        for (size_t i = 0; names && i < n; i++)
                free(names[i]);
        free(names);
}

int diskstats_generate(struct render_ctx *ctx, struct strbuf *out)
{
        _cleanup_(cg_io_stats_done) struct cg_io_stats io = {};
        _cleanup_ttl_value_ struct ttl_value *host = NULL;
        struct diskstats_input in = {};
        const struct cg_reader *reader;
        char **names;
        int r;

        r = host_file_get(ctx->caches, HOST_DISKSTATS, &host);
        if (r < 0)
                return r;
        in.host = host->data;

        r = render_ctx_reader(ctx, &reader);
        if (r >= 0 && cg_reader_is_root(reader, CG_BLKIO))
                return render_ctx_answer_as_is(ctx, host, out);
        if (r >= 0)
                r = cg_io_stats_read(reader, &io);
        if (r < 0)
                return render_view_missing(r) ? render_ctx_answer_as_is(ctx, host, out) : r;

        names = calloc(io.n + 1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < io.n; i++)
                names[i] = sysfs_devname(io.dev[i].major, io.dev[i].minor);
        in.io = &io;
        in.names = (const char *const *) names;
        r = diskstats_render(&in, out);
        free_names(names, io.n);
        return r;
}
