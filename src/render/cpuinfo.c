/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/parse.h"
#include "lxcfs/render.h"
#include "lxcfs/render_cache.h"

/* "processor\t: 3" (x86, arm64, ppc, riscv) -> 3. s390x writes
 * "processor 0: ..." lines inside one block: not matched on purpose, the
 * text is then passed through. */
static int processor_id(const char *line, size_t len)
{
        static const char key[] = "processor";
        size_t i = sizeof(key) - 1;
        unsigned long id = 0;

        if (len < i || memcmp(line, key, i) != 0)
                return -1;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
                i++;
        if (i >= len || line[i++] != ':')
                return -1;
        while (i < len && line[i] == ' ')
                i++;
        if (i >= len || !isdigit((unsigned char) line[i]))
                return -1;
        for (; i < len && isdigit((unsigned char) line[i]); i++) {
                id = id * 10 + (unsigned long) (line[i] - '0');
                if (id >= CPUSET_MAX)
                        return -1;
        }
        return i == len ? (int) id : -1;
}

/* One block: its lines up to and including the blank line(s) after it. */
struct block {
        const char *start;
        size_t len;
        int cpu; /* -1: not a processor block */
};

static bool next_block(const char *text, size_t *pos, struct block *ret)
{
        size_t start = *pos, len;
        bool after_blank = false;
        const char *line;

        if (text[start] == '\0')
                return false;
        ret->cpu = -1;
        for (;;) {
                size_t here = *pos;

                line = next_line(text, pos, &len);
                if (!line)
                        break;
                if (len == 0) {
                        after_blank = true;
                        continue;
                }
                if (after_blank) {
                        *pos = here; /* the next block starts on this line */
                        break;
                }
                if (ret->cpu < 0)
                        ret->cpu = processor_id(line, len);
        }
        ret->start = text + start;
        ret->len = *pos - start;
        return true;
}

int cpuinfo_render(const struct cpuinfo_input *in, struct strbuf *out)
{
        struct block b;
        size_t pos = 0;
        bool any = false;

        while (next_block(in->host, &pos, &b))
                any = any || b.cpu >= 0;
        if (!any) {
                strbuf_puts(out, in->host);
                return strbuf_error(out);
        }

        pos = 0;
        while (next_block(in->host, &pos, &b))
                if (b.cpu < 0 || cpuset_has(in->visible, (unsigned) b.cpu))
                        strbuf_append(out, b.start, b.len);
        return strbuf_error(out);
}

int cpuinfo_generate(struct render_ctx *ctx, struct strbuf *out)
{
        _cleanup_ttl_value_ struct ttl_value *host = NULL;
        struct cpuset visible;
        int r;

        r = host_file_get(ctx->caches, HOST_CPUINFO, &host);
        if (r < 0)
                return r;

        r = render_ctx_visible_cpus(ctx, &visible);
        if (r < 0)
                return r;
        return cpuinfo_render(&(struct cpuinfo_input) { .host = host->data, .visible = &visible }, out);
}
