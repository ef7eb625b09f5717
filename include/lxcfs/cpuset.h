/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lxcfs/strbuf.h"

#define CPUSET_MAX 4096

/* A set of CPU ids, as in "0-3,8,10-11" (cpuset.cpus, /sys/.../online). */
struct cpuset {
        uint64_t bits[CPUSET_MAX / 64];
};

void cpuset_clear(struct cpuset *s);
void cpuset_add(struct cpuset *s, unsigned cpu);
bool cpuset_has(const struct cpuset *s, unsigned cpu);
unsigned cpuset_count(const struct cpuset *s);
bool cpuset_empty(const struct cpuset *s);
/* Next member >= from, or -1. */
int cpuset_next(const struct cpuset *s, unsigned from);
/* Keep only the first n members (by id). */
void cpuset_keep_first(struct cpuset *s, unsigned n);
void cpuset_intersect(struct cpuset *s, const struct cpuset *other);

/* Parse a kernel range list; trailing newline allowed; empty string is the
 * empty set. -EINVAL on malformed text, -ERANGE for ids >= CPUSET_MAX. */
int cpuset_parse(const char *text, struct cpuset *ret);
/* Kernel-style list, without newline: "0", "0-1", "2,4-5". */
void cpuset_format(const struct cpuset *s, struct strbuf *out);

#define CPUSET_FOREACH(cpu, set) \
        for (int cpu = cpuset_next((set), 0); cpu >= 0; cpu = cpuset_next((set), (unsigned) cpu + 1))
