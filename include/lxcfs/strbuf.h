/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "lxcfs/macro.h"

/* A growable, always NUL-terminated text buffer. Renderers write into one;
 * an allocation failure is sticky and reported once by strbuf_error(). */
struct strbuf {
        char *data;
        size_t len;
        size_t cap;
        bool oom;
};

#define STRBUF_INIT { NULL, 0, 0, false }

void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
bool strbuf_reserve(struct strbuf *sb, size_t extra);
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) _printf_(2, 0);
/* -ENOMEM if any append failed, 0 otherwise. */
int strbuf_error(const struct strbuf *sb);
/* Give the text away; the buffer is left empty. */
char *strbuf_steal(struct strbuf *sb, size_t *len);

#define _cleanup_strbuf_ _cleanup_(strbuf_free)
