/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Block I/O done by the reader's cgroup and its descendants.
 * v1: the first of these sources that shows any activity:
 *     blkio.throttle.io_service_bytes_recursive + io_serviced_recursive,
 *     blkio.io_service_bytes_recursive + io_serviced_recursive (CFQ era),
 *     blkio.bfq.io_service_bytes_recursive + io_serviced_recursive;
 *     lines "MAJ:MIN Read|Write|Discard N" (Sync, Async and Total are sums
 *     and skipped), plus <source>io_service_time_recursive (ns) when the
 *     kernel has it. Since Linux 5.x the throttle counters only move for
 *     cgroups with a throttle rule, hence the fallbacks.
 * v2: io.stat, "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N"
 *     (more keys may follow; they are ignored).
 * Only devices with some activity are reported. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "lxcfs/macro.h"
#include "lxcfs/parse.h"

static struct cg_io_device *find_device(struct cg_io_stats *s, unsigned major, unsigned minor, bool add)
{
        struct cg_io_device *d;

        for (size_t i = 0; i < s->n; i++)
                if (s->dev[i].major == major && s->dev[i].minor == minor)
                        return &s->dev[i];
        if (!add)
                return NULL;
        d = reallocarray(s->dev, s->n + 1, sizeof(*d));
        if (!d)
                return NULL;
        s->dev = d;
        d = &s->dev[s->n++];
        *d = (struct cg_io_device) { .major = major, .minor = minor };
        return d;
}

static bool device_active(const struct cg_io_device *d)
{
        return d->rbytes || d->wbytes || d->rios || d->wios || d->dbytes || d->dios;
}

static void drop_idle(struct cg_io_stats *s)
{
        size_t o = 0;

        for (size_t i = 0; i < s->n; i++)
                if (device_active(&s->dev[i]))
                        s->dev[o++] = s->dev[i];
        s->n = o;
}

/* Parse "MAJ:MIN" at the start of *p and step over it. */
static int parse_devnum(const char **p, unsigned *major, unsigned *minor)
{
        int consumed = 0;

        if (sscanf(*p, "%u:%u%n", major, minor, &consumed) != 2 || consumed == 0)
                return -EINVAL;
        *p += consumed;
        return 0;
}

/* ---- v1 ---- */

/* The formats of the files we read: three v1 blkio tables, v2 io.stat. */
enum io_file { V1_BYTES, V1_IOS, V1_TIME, V2_IO_STAT };

static int parse_v1_line(const char *line, size_t len, enum io_file kind, struct cg_io_stats *s)
{
        char buf[128], op[16];
        const char *p = buf;
        unsigned major, minor;
        unsigned long long v;
        uint64_t *dst_read, *dst_write, *dst_discard = NULL;
        struct cg_io_device *d;
        int consumed = 0;

        if (len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (startswith(buf, "Total "))
                return 0;
        if (parse_devnum(&p, &major, &minor) < 0)
                return -EINVAL;
        if (sscanf(p, " %15s %llu%n", op, &v, &consumed) != 2 || p[consumed] != '\0')
                return -EINVAL;

        d = find_device(s, major, minor, true);
        if (!d)
                return -ENOMEM;
        switch (kind) {
        case V1_BYTES:
                dst_read = &d->rbytes, dst_write = &d->wbytes, dst_discard = &d->dbytes;
                break;
        case V1_IOS:
                dst_read = &d->rios, dst_write = &d->wios, dst_discard = &d->dios;
                break;
        default:
                dst_read = &d->rtime_ns, dst_write = &d->wtime_ns;
                break;
        }
        if (streq(op, "Read"))
                *dst_read = v;
        else if (streq(op, "Write"))
                *dst_write = v;
        else if (streq(op, "Discard") && dst_discard)
                *dst_discard = v;
        return 0;
}

static int parse_v2_line(const char *line, size_t len, struct cg_io_stats *s);

/* Read one stat file of the cgroup at rel and fold each line into s. */
static int read_io_file(int fd, const char *rel, const char *file, enum io_file kind,
                        struct cg_io_stats *s)
{
        _cleanup_free_ char *heap = NULL;
        char path[PATH_MAX], buf[CG_SMALL_FILE];
        const char *text, *line;
        size_t pos = 0, len;
        int r;

        r = cg_level_file(path, sizeof(path), rel, strlen(rel), file);
        if (r < 0)
                return r;
        r = cg_read_text(fd, path, buf, sizeof(buf), &heap, &text);
        if (r < 0)
                return r;
        while ((line = next_line(text, &pos, &len))) {
                if (len == 0)
                        continue;
                r = kind == V2_IO_STAT ? parse_v2_line(line, len, s) : parse_v1_line(line, len, kind, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_v1_file(int fd, const char *rel, const char *prefix, const char *name,
                        enum io_file kind, struct cg_io_stats *s)
{
        char file[64];

        snprintf(file, sizeof(file), "%s%s", prefix, name);
        return read_io_file(fd, rel, file, kind, s);
}

static int read_v1_source(int fd, const char *rel, const char *prefix, struct cg_io_stats *s)
{
        int r;

        r = read_v1_file(fd, rel, prefix, "io_service_bytes_recursive", V1_BYTES, s);
        if (r < 0)
                return r;
        r = read_v1_file(fd, rel, prefix, "io_serviced_recursive", V1_IOS, s);
        if (r < 0)
                return r;
        r = read_v1_file(fd, rel, prefix, "io_service_time_recursive", V1_TIME, s);
        return r == -ENOENT ? 0 : r;
}

static int io_read_v1(int fd, const char *rel, struct cg_io_stats *s)
{
        static const char *const sources[] = { "blkio.throttle.", "blkio.", "blkio.bfq." };
        bool any_source = false;

        for (size_t i = 0; i < ELEMENTSOF(sources); i++) {
                int r;

                s->n = 0;
                r = read_v1_source(fd, rel, sources[i], s);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                any_source = true;
                drop_idle(s);
                if (s->n > 0)
                        return 0;
        }
        /* No activity anywhere is a valid answer; no source at all is not. */
        s->n = 0;
        return any_source ? 0 : -ENOENT;
}

/* ---- v2 ---- */

static int parse_v2_line(const char *line, size_t len, struct cg_io_stats *s)
{
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "rbytes", offsetof(struct cg_io_device, rbytes) },
                { "wbytes", offsetof(struct cg_io_device, wbytes) },
                { "rios", offsetof(struct cg_io_device, rios) },
                { "wios", offsetof(struct cg_io_device, wios) },
                { "dbytes", offsetof(struct cg_io_device, dbytes) },
                { "dios", offsetof(struct cg_io_device, dios) },
        };
        char buf[512];
        const char *p = buf;
        unsigned major, minor;
        struct cg_io_device dev = {}, *d;

        if (len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (parse_devnum(&p, &major, &minor) < 0)
                return -EINVAL;

        while (*p == ' ')
                p++;
        while (*p) {
                const char *eq = strchr(p, '='), *end = strchrnul(p, ' ');
                char num[32];
                uint64_t v;

                if (!eq || eq > end)
                        return -EINVAL;
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        size_t kl = (size_t) (eq - p), vl = (size_t) (end - eq - 1);

                        if (strlen(keys[i].key) != kl || memcmp(p, keys[i].key, kl) != 0)
                                continue;
                        if (vl == 0 || vl >= sizeof(num))
                                return -EINVAL;
                        memcpy(num, eq + 1, vl);
                        num[vl] = '\0';
                        if (num[0] < '0' || num[0] > '9' || parse_u64(num, &v) < 0)
                                return -EINVAL;
                        *(uint64_t *) ((char *) &dev + keys[i].offset) = v;
                }
                p = end;
                while (*p == ' ')
                        p++;
        }
        if (!device_active(&dev))
                return 0;
        d = find_device(s, major, minor, true);
        if (!d)
                return -ENOMEM;
        dev.major = major;
        dev.minor = minor;
        *d = dev;
        return 0;
}

static int io_read_v2(int fd, const char *rel, struct cg_io_stats *s)
{
        return read_io_file(fd, rel, "io.stat", V2_IO_STAT, s);
}

int cg_io_stats_read(const struct cg_reader *r, struct cg_io_stats *ret)
{
        struct cg_io_stats s = {};
        const char *rel;
        int fd, k;

        k = cg_locate(r, CG_BLKIO, &fd, &rel);
        if (k < 0)
                return k;
        if (cg_is_unified(r->h, CG_BLKIO))
                k = io_read_v2(fd, rel, &s);
        else
                k = io_read_v1(fd, rel, &s);
        if (k < 0) {
                cg_io_stats_done(&s);
                return k;
        }
        *ret = s;
        return 0;
}

void cg_io_stats_done(struct cg_io_stats *s)
{
        free(s->dev);
        *s = (struct cg_io_stats) {};
}
