/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Just enough JSON to read an OCI state and config.json: walk the text in
 * place, no tree. A value is a pointer to its first character; NULL means
 * absent or malformed. */

#include <stdbool.h>

/* The value after p's value (and whitespace), NULL when malformed. */
const char *json_skip(const char *p);
/* Whether text is exactly one well-formed value. */
bool json_valid(const char *text);
/* The member key of the object at obj (keys without escapes). */
const char *json_get(const char *obj, const char *key);
/* json_get along a path of keys, NULL-terminated. */
const char *json_path(const char *obj, ...) __attribute__((sentinel));
/* First element of the array at arr; the next one after elem. */
const char *json_first(const char *arr);
const char *json_next(const char *elem);
/* A string value, decoded (\uXXXX above 0x7f becomes '?'): 0 or -errno. */
int json_string(const char *p, char **ret);
/* An integer value: 0, or -EINVAL when p is not one. */
int json_int(const char *p, long long *ret);
