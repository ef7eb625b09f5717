/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lxcfs/ttl_cache.h"

/* Expired entries are dropped at most this often; between sweeps they cost
 * only memory, which max_entries bounds. */
#define SWEEP_INTERVAL_NS (1000 * NSEC_PER_MSEC)

struct entry {
        struct entry *next;       /* hash chain */
        uint64_t hash;
        uint64_t fetched_at;      /* clock value taken before the fetch began */
        uint64_t max_age;         /* of the last request, for the sweep */
        struct ttl_value *value;  /* NULL until the first fetch succeeded */
        bool refreshing;
        size_t key_len;
        unsigned char key[];
};

struct ttl_cache {
        pthread_mutex_t lock;
        pthread_cond_t refreshed;
        ttl_clock_t clock;
        size_t max_entries, n_entries, n_buckets;
        uint64_t last_sweep;
        struct entry **buckets;
};

/* The header of an inline value, padded so that data is aligned for any
 * type a value may hold. */
struct inline_value {
        struct ttl_value v;
        _Alignas(max_align_t) char data[];
};

struct ttl_value *ttl_value_new(size_t len)
{
        struct inline_value *iv = calloc(1, sizeof(*iv) + len + 1);

        if (!iv)
                return NULL;
        iv->v = (struct ttl_value) { .refs = 1, .len = len, .data = iv->data };
        return &iv->v;
}

struct ttl_value *ttl_value_adopt(char *buf, size_t len)
{
        struct ttl_value *v = malloc(sizeof(*v));

        if (!v) {
                free(buf);
                return NULL;
        }
        *v = (struct ttl_value) { .refs = 1, .adopted = true, .len = len, .data = buf };
        return v;
}

struct ttl_value *ttl_value_ref(struct ttl_value *v)
{
        if (v)
                __atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
        return v;
}

void ttl_value_unref(struct ttl_value *v)
{
        if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) != 0)
                return;
        if (v->adopted)
                free(v->data);
        free(v);
}

uint64_t ttl_clock_monotonic(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

int ttl_cache_new(size_t max_entries, ttl_clock_t clock, struct ttl_cache **ret)
{
        struct ttl_cache *c;
        size_t n = 16;

        if (max_entries == 0)
                return -EINVAL;
        while (n < max_entries)
                n *= 2;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->buckets = calloc(n, sizeof(*c->buckets));
        if (!c->buckets) {
                free(c);
                return -ENOMEM;
        }
        c->n_buckets = n;
        c->max_entries = max_entries;
        c->clock = clock ? clock : ttl_clock_monotonic;
        c->last_sweep = c->clock();
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->refreshed, NULL);
        *ret = c;
        return 0;
}

static void entry_free(struct entry *e)
{
        ttl_value_unref(e->value);
        free(e);
}

void ttl_cache_free(struct ttl_cache *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n_buckets; i++)
                for (struct entry *e = c->buckets[i], *next; e; e = next) {
                        next = e->next;
                        entry_free(e);
                }
        free(c->buckets);
        pthread_cond_destroy(&c->refreshed);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

/* FNV-1a: keys are short (a pid, a cgroup path). */
static uint64_t hash_key(const void *key, size_t len)
{
        const unsigned char *p = key;
        uint64_t h = UINT64_C(14695981039346656037);

        for (size_t i = 0; i < len; i++)
                h = (h ^ p[i]) * UINT64_C(1099511628211);
        return h;
}

static struct entry **slot_of(struct ttl_cache *c, uint64_t hash, const void *key, size_t len)
{
        struct entry **pp = &c->buckets[hash & (c->n_buckets - 1)];

        for (; *pp; pp = &(*pp)->next)
                if ((*pp)->hash == hash && (*pp)->key_len == len && memcmp((*pp)->key, key, len) == 0)
                        break;
        return pp;
}

static bool expired(const struct entry *e, uint64_t now)
{
        return now - e->fetched_at >= e->max_age;
}

/* Drop every expired entry, or with oldest_only the single oldest entry;
 * never one that is being refreshed. Returns how many went. */
static size_t drop_where(struct ttl_cache *c, uint64_t now, bool oldest_only)
{
        struct entry **victim = NULL, *e;
        size_t dropped = 0;

        for (size_t i = 0; i < c->n_buckets; i++)
                for (struct entry **pp = &c->buckets[i]; (e = *pp);) {
                        if (e->refreshing) {
                                pp = &e->next;
                                continue;
                        }
                        if (oldest_only) {
                                if (!victim || e->fetched_at < (*victim)->fetched_at)
                                        victim = pp;
                                pp = &e->next;
                                continue;
                        }
                        if (!e->value || expired(e, now)) {
                                *pp = e->next;
                                entry_free(e);
                                dropped++;
                                continue;
                        }
                        pp = &e->next;
                }
        if (victim) {
                e = *victim;
                *victim = e->next;
                entry_free(e);
                dropped++;
        }
        c->n_entries -= dropped;
        return dropped;
}

static struct entry *insert(struct ttl_cache *c, struct entry **slot, uint64_t hash,
                            const void *key, size_t len, uint64_t now)
{
        struct entry *e;

        if (now - c->last_sweep >= SWEEP_INTERVAL_NS || c->n_entries >= c->max_entries) {
                c->last_sweep = now;
                (void) drop_where(c, now, false);
                if (c->n_entries >= c->max_entries && drop_where(c, now, true) == 0)
                        return NULL; /* every entry is being refreshed */
                /* Dropping may have unlinked entries around the slot. */
                slot = slot_of(c, hash, key, len);
        }
        e = calloc(1, sizeof(*e) + len);
        if (!e)
                return NULL;
        e->hash = hash;
        e->key_len = len;
        memcpy(e->key, key, len);
        *slot = e;
        c->n_entries++;
        return e;
}

/* The caller holds the lock. A usable entry for key (fresh value, or
 * marked for us to refresh), or NULL when it cannot be cached. */
static struct entry *claim(struct ttl_cache *c, uint64_t hash, const void *key, size_t len,
                           uint64_t max_age, uint64_t now)
{
        struct entry **slot, *e;

        for (;;) {
                slot = slot_of(c, hash, key, len);
                e = *slot;
                if (!e)
                        break;
                if (e->value && max_age > 0 && now - e->fetched_at < max_age)
                        return e;
                if (!e->refreshing)
                        break;
                /* Someone else is fetching it: that result is as fresh as
                 * ours would be. */
                pthread_cond_wait(&c->refreshed, &c->lock);
                now = c->clock();
        }
        if (!e) {
                e = insert(c, slot, hash, key, len, now);
                if (!e)
                        return NULL;
        }
        e->refreshing = true;
        e->max_age = max_age;
        return e;
}

static void publish(struct ttl_cache *c, struct entry *e, struct ttl_value *v, uint64_t started)
{
        struct ttl_value *old = NULL;

        pthread_mutex_lock(&c->lock);
        e->refreshing = false;
        if (v) {
                old = e->value;
                e->value = ttl_value_ref(v);
                e->fetched_at = started;
        } else if (!e->value) {
                /* Nothing to keep: forget the key. */
                struct entry **slot = slot_of(c, e->hash, e->key, e->key_len);

                *slot = e->next;
                c->n_entries--;
                entry_free(e);
        }
        pthread_cond_broadcast(&c->refreshed);
        pthread_mutex_unlock(&c->lock);
        ttl_value_unref(old);
}

int ttl_cache_get(struct ttl_cache *c, const void *key, size_t key_len, uint64_t max_age_ns,
                  ttl_fetch_t fetch, void *userdata, struct ttl_value **ret)
{
        uint64_t hash = hash_key(key, key_len), started;
        struct ttl_value *v = NULL;
        struct entry *e;
        int r;

        pthread_mutex_lock(&c->lock);
        started = c->clock();
        e = claim(c, hash, key, key_len, max_age_ns, started);
        if (e && !e->refreshing) {
                *ret = ttl_value_ref(e->value);
                pthread_mutex_unlock(&c->lock);
                return 0;
        }
        if (e)
                started = c->clock(); /* claim() may have waited */
        pthread_mutex_unlock(&c->lock);

        r = fetch(key, key_len, userdata, &v);
        if (e)
                publish(c, e, r < 0 ? NULL : v, started);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

size_t ttl_cache_size(struct ttl_cache *c)
{
        size_t n;

        pthread_mutex_lock(&c->lock);
        n = c->n_entries;
        pthread_mutex_unlock(&c->lock);
        return n;
}
