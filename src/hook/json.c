/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Nesting deeper than this is refused: a config.json is a few levels deep. */
#define MAX_DEPTH 64

static const char *ws(const char *p)
{
        while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
                p++;
        return p;
}

static const char *skip_string(const char *p)
{
        for (p++; *p && *p != '"'; p++) {
                if ((unsigned char) *p < 0x20)
                        return NULL;
                if (*p == '\\' && !*++p)
                        return NULL;
        }
        return *p == '"' ? p + 1 : NULL;
}

static const char *skip_depth(const char *p, int depth);

static const char *skip_container(const char *p, int depth)
{
        char close = *p == '{' ? '}' : ']';
        bool object = *p == '{';

        if (depth > MAX_DEPTH)
                return NULL;
        p = ws(p + 1);
        if (*p == close)
                return p + 1;
        for (;;) {
                if (object) {
                        if (*p != '"' || !(p = skip_string(p)) || *(p = ws(p)) != ':')
                                return NULL;
                        p = ws(p + 1);
                }
                p = skip_depth(p, depth + 1);
                if (!p)
                        return NULL;
                if (*p == close)
                        return p + 1;
                if (*p != ',')
                        return NULL;
                p = ws(p + 1);
        }
}

static const char *skip_depth(const char *p, int depth)
{
        const char *start;

        p = ws(p);
        if (!p)
                return NULL;
        switch (*p) {
        case '{':
        case '[':
                p = skip_container(p, depth);
                break;
        case '"':
                p = skip_string(p);
                break;
        default:
                start = p;
                if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
                        p += 4;
                else if (!strncmp(p, "false", 5))
                        p += 5;
                else
                        p += strspn(p, "-+0123456789.eE");
                if (p == start)
                        return NULL;
        }
        return ws(p);
}

const char *json_skip(const char *p) { return skip_depth(p, 0); }

bool json_valid(const char *text)
{
        const char *end = json_skip(text);

        return end && *end == '\0';
}

const char *json_get(const char *obj, const char *key)
{
        size_t len = strlen(key);
        const char *p = ws(obj);

        if (!p || *p != '{')
                return NULL;
        p = ws(p + 1);
        while (*p == '"') {
                const char *k = p + 1, *end = skip_string(p);
                bool match;

                if (!end)
                        return NULL;
                match = (size_t) (end - 1 - k) == len && !memcmp(k, key, len);
                p = ws(end);
                if (*p != ':')
                        return NULL;
                p = ws(p + 1);
                if (match)
                        return p;
                p = json_skip(p);
                if (!p || *p != ',')
                        return NULL;
                p = ws(p + 1);
        }
        return NULL;
}

const char *json_path(const char *obj, ...)
{
        va_list ap;
        const char *key;

        va_start(ap, obj);
        while (obj && (key = va_arg(ap, const char *)))
                obj = json_get(obj, key);
        va_end(ap);
        return obj;
}

const char *json_first(const char *arr)
{
        const char *p = ws(arr);

        if (!p || *p != '[')
                return NULL;
        p = ws(p + 1);
        return *p == ']' || !*p ? NULL : p;
}

const char *json_next(const char *elem)
{
        const char *p = json_skip(elem);

        return p && *p == ',' ? ws(p + 1) : NULL;
}

int json_string(const char *p, char **ret)
{
        const char *end;
        char *out, *o;

        p = ws(p);
        if (!p || *p != '"' || !(end = skip_string(p)))
                return -EINVAL;
        out = o = malloc(end - p);
        if (!out)
                return -ENOMEM;
        for (p++; p < end - 1; p++) {
                if (*p != '\\') {
                        *o++ = *p;
                        continue;
                }
                switch (*++p) {
                case 'n': *o++ = '\n'; break;
                case 't': *o++ = '\t'; break;
                case 'r': *o++ = '\r'; break;
                case 'b': *o++ = '\b'; break;
                case 'f': *o++ = '\f'; break;
                case 'u': {
                        char hex[5] = { 0 };
                        unsigned long c;

                        if (end - 1 - p < 5) {
                                free(out);
                                return -EINVAL;
                        }
                        memcpy(hex, p + 1, 4);
                        c = strtoul(hex, NULL, 16);
                        *o++ = c && c < 0x80 ? (char) c : '?';
                        p += 4;
                        break;
                }
                default: *o++ = *p;
                }
        }
        *o = '\0';
        *ret = out;
        return 0;
}

int json_int(const char *p, long long *ret)
{
        char *end;

        p = ws(p);
        if (!p || !(*p == '-' || (*p >= '0' && *p <= '9')))
                return -EINVAL;
        errno = 0;
        *ret = strtoll(p, &end, 10);
        if (errno || (*end && strchr(".eE", *end)))
                return -EINVAL;
        return 0;
}
