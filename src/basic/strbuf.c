/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/strbuf.h"

void strbuf_free(struct strbuf *sb)
{
        free(sb->data);
        *sb = (struct strbuf) STRBUF_INIT;
}

void strbuf_reset(struct strbuf *sb)
{
        sb->len = 0;
        sb->oom = false;
        if (sb->data)
                sb->data[0] = '\0';
}

bool strbuf_reserve(struct strbuf *sb, size_t extra)
{
        size_t need, cap;
        char *p;

        if (sb->oom)
                return false;
        need = sb->len + extra + 1;
        if (need <= sb->cap)
                return true;
        cap = sb->cap ? sb->cap : 256;
        while (cap < need)
                cap *= 2;
        p = realloc(sb->data, cap);
        if (!p) {
                sb->oom = true;
                return false;
        }
        sb->data = p;
        sb->cap = cap;
        return true;
}

void strbuf_append(struct strbuf *sb, const char *s, size_t n)
{
        if (!strbuf_reserve(sb, n))
                return;
        memcpy(sb->data + sb->len, s, n);
        sb->len += n;
        sb->data[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
        strbuf_append(sb, s, strlen(s));
}

void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
        va_list copy;
        int n;

        if (!strbuf_reserve(sb, 64))
                return;
        va_copy(copy, ap);
        n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, copy);
        va_end(copy);
        if (n < 0) {
                sb->oom = true;
                return;
        }
        if ((size_t) n >= sb->cap - sb->len) {
                if (!strbuf_reserve(sb, (size_t) n))
                        return;
                vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
        }
        sb->len += (size_t) n;
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        strbuf_vprintf(sb, fmt, ap);
        va_end(ap);
}

int strbuf_error(const struct strbuf *sb)
{
        return sb->oom ? -ENOMEM : 0;
}

char *strbuf_steal(struct strbuf *sb, size_t *len)
{
        char *p;

        if (!sb->data && !strbuf_reserve(sb, 0))
                return NULL;
        p = sb->data;
        if (len)
                *len = sb->len;
        *sb = (struct strbuf) STRBUF_INIT;
        return p;
}
