/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A thread-safe map from byte-string keys to immutable, refcounted values
 * that are fetched again once they are older than the caller accepts.
 *
 * - No lock is held while a value is fetched (file I/O): the key is marked
 *   as being refreshed, and other threads asking for it meanwhile wait for
 *   that one fetch instead of starting their own. So a value handed out is
 *   at most max_age plus one fetch old.
 * - Failed fetches are not cached: the next caller tries again.
 * - The number of entries is bounded; expired entries are swept at most
 *   once per sweep interval, and when full the oldest entry goes.
 * - The clock is injected, so tests can move time by hand. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lxcfs/macro.h"

#define NSEC_PER_MSEC UINT64_C(1000000)

/* Values are shared by reference: whoever holds one reads it without a
 * lock and must never write to it once it was handed out. A value may
 * hold a struct whose pointers point into its own data (a cgroup record,
 * a per-CPU array): it is never moved. */
struct ttl_value {
        unsigned refs;  /* atomic */
        bool adopted;   /* data is a buffer of its own */
        size_t len;
        char *data;     /* len bytes, then a NUL; suitably aligned for any type */
};

/* A value of len zeroed bytes (plus the NUL), one reference; NULL on ENOMEM. */
struct ttl_value *ttl_value_new(size_t len);
/* A value that takes over buf (malloc'd, len bytes then a NUL): no copy.
 * NULL on ENOMEM, and then buf was freed. */
struct ttl_value *ttl_value_adopt(char *buf, size_t len);
struct ttl_value *ttl_value_ref(struct ttl_value *v);
void ttl_value_unref(struct ttl_value *v);
static inline void ttl_value_unrefp(struct ttl_value **v) { ttl_value_unref(*v); }
#define _cleanup_ttl_value_ _cleanup_(ttl_value_unrefp)

/* Nanoseconds on a clock that never goes back. */
typedef uint64_t (*ttl_clock_t)(void);
uint64_t ttl_clock_monotonic(void);

/* Build the value for key; 0 or -errno. */
typedef int (*ttl_fetch_t)(const void *key, size_t key_len, void *userdata, struct ttl_value **ret);

struct ttl_cache;

/* clock NULL: ttl_clock_monotonic. */
int ttl_cache_new(size_t max_entries, ttl_clock_t clock, struct ttl_cache **ret);
/* Only when no other thread uses the cache any more. */
void ttl_cache_free(struct ttl_cache *c);

/* A reference to the value of key, fetched no longer than max_age_ns ago
 * (0: always fetch). Returns 0, or the fetch's -errno. */
int ttl_cache_get(struct ttl_cache *c, const void *key, size_t key_len, uint64_t max_age_ns,
                  ttl_fetch_t fetch, void *userdata, struct ttl_value **ret);

/* Entries held, fresh or not (for tests and statistics). */
size_t ttl_cache_size(struct ttl_cache *c);
