/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse a decimal unsigned number that spans the whole string, trailing
 * whitespace allowed. "max" yields UINT64_MAX. 0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t *ret);
int parse_i64(const char *s, int64_t *ret);

/* In "key value\n" text (cgroup memory.stat, cpu.stat), find key and
 * parse its value. -ENOENT when absent, -EINVAL when malformed. */
int keyed_u64(const char *text, const char *key, uint64_t *ret);

/* In /proc/meminfo-style text ("Key:   123 kB"), find key; value in kB. */
int meminfo_kb(const char *text, const char *key, uint64_t *ret);

/* Iterate the lines of text: returns a pointer to the next line and its
 * length (without '\n'); NULL at the end. *pos holds the cursor. */
const char *next_line(const char *text, size_t *pos, size_t *len);
