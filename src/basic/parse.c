/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/macro.h"
#include "lxcfs/parse.h"

static const char *skip_space(const char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        return s;
}

static bool only_space_left(const char *s)
{
        while (*s) {
                if (!isspace((unsigned char) *s))
                        return false;
                s++;
        }
        return true;
}

int parse_u64(const char *s, uint64_t *ret)
{
        unsigned long long v;
        char *end;

        s = skip_space(s);
        if (startswith(s, "max") && only_space_left(s + 3)) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (!only_space_left(end))
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_i64(const char *s, int64_t *ret)
{
        long long v;
        char *end;

        s = skip_space(s);
        if (!isdigit((unsigned char) *s) && *s != '-')
                return -EINVAL;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (end == s || !only_space_left(end))
                return -EINVAL;
        *ret = v;
        return 0;
}

const char *next_line(const char *text, size_t *pos, size_t *len)
{
        const char *start = text + *pos, *nl;

        if (*start == '\0')
                return NULL;
        nl = strchr(start, '\n');
        *len = nl ? (size_t) (nl - start) : strlen(start);
        *pos += *len + (nl ? 1 : 0);
        return start;
}

/* Find "key<sep>" at the start of a line; return a pointer past it. */
static const char *find_key(const char *text, const char *key, char sep)
{
        size_t klen = strlen(key);
        const char *p = text;

        while (p && *p) {
                if (strncmp(p, key, klen) == 0 && p[klen] == sep)
                        return p + klen + 1;
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return NULL;
}

static int parse_u64_prefix(const char *s, uint64_t *ret, const char **end)
{
        unsigned long long v;
        char *e;

        s = skip_space(s);
        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &e, 10);
        if (errno == ERANGE)
                return -ERANGE;
        *ret = v;
        if (end)
                *end = e;
        return 0;
}

int keyed_u64(const char *text, const char *key, uint64_t *ret)
{
        const char *v = find_key(text, key, ' '), *end;
        int r;

        if (!v)
                return -ENOENT;
        r = parse_u64_prefix(v, ret, &end);
        if (r < 0)
                return r;
        return (*end == '\n' || *end == '\0') ? 0 : -EINVAL;
}

int meminfo_kb(const char *text, const char *key, uint64_t *ret)
{
        const char *v = find_key(text, key, ':');

        if (!v)
                return -ENOENT;
        return parse_u64_prefix(v, ret, NULL);
}
