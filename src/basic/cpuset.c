/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/cpuset.h"

void cpuset_clear(struct cpuset *s) { memset(s, 0, sizeof(*s)); }

void cpuset_add(struct cpuset *s, unsigned cpu)
{
        if (cpu < CPUSET_MAX)
                s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

bool cpuset_has(const struct cpuset *s, unsigned cpu)
{
        return cpu < CPUSET_MAX && (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpuset_count(const struct cpuset *s)
{
        unsigned n = 0;

        for (size_t i = 0; i < ELEMENTSOF(s->bits); i++)
                n += (unsigned) __builtin_popcountll(s->bits[i]);
        return n;
}

bool cpuset_empty(const struct cpuset *s) { return cpuset_next(s, 0) < 0; }

int cpuset_next(const struct cpuset *s, unsigned from)
{
        for (unsigned w = from / 64; w < ELEMENTSOF(s->bits); w++) {
                uint64_t word = s->bits[w];
                if (w == from / 64)
                        word &= ~UINT64_C(0) << (from % 64);
                if (word)
                        return (int) (w * 64 + (unsigned) __builtin_ctzll(word));
        }
        return -1;
}

void cpuset_keep_first(struct cpuset *s, unsigned n)
{
        unsigned seen = 0;

        CPUSET_FOREACH(cpu, s) {
                if (seen >= n)
                        s->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
                else
                        seen++;
        }
}

void cpuset_intersect(struct cpuset *s, const struct cpuset *other)
{
        for (size_t i = 0; i < ELEMENTSOF(s->bits); i++)
                s->bits[i] &= other->bits[i];
}

static int parse_id(const char **p, unsigned *ret)
{
        char *end;
        unsigned long v;

        if (!isdigit((unsigned char) **p))
                return -EINVAL;
        errno = 0;
        v = strtoul(*p, &end, 10);
        if (errno || v >= CPUSET_MAX)
                return -ERANGE;
        *p = end;
        *ret = (unsigned) v;
        return 0;
}

int cpuset_parse(const char *text, struct cpuset *ret)
{
        struct cpuset s;
        const char *p = text;
        int r;

        cpuset_clear(&s);
        while (*p == ' ' || *p == '\t')
                p++;
        while (*p && *p != '\n') {
                unsigned lo, hi;

                r = parse_id(&p, &lo);
                if (r < 0)
                        return r;
                hi = lo;
                if (*p == '-') {
                        p++;
                        r = parse_id(&p, &hi);
                        if (r < 0)
                                return r;
                        if (hi < lo)
                                return -EINVAL;
                }
                for (unsigned c = lo; c <= hi; c++)
                        cpuset_add(&s, c);
                if (*p == ',')
                        p++;
                else if (*p && *p != '\n')
                        return -EINVAL;
        }
        if (*p == '\n' && p[1] != '\0')
                return -EINVAL;
        *ret = s;
        return 0;
}

void cpuset_format(const struct cpuset *s, struct strbuf *out)
{
        bool first = true;
        int cpu = cpuset_next(s, 0);

        while (cpu >= 0) {
                int end = cpu;

                while (cpuset_has(s, (unsigned) end + 1))
                        end++;
                strbuf_printf(out, first ? "%d" : ",%d", cpu);
                if (end > cpu)
                        strbuf_printf(out, "-%d", end);
                first = false;
                cpu = cpuset_next(s, (unsigned) end + 1);
        }
}
