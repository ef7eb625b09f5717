/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The generic TTL cache with a hand-moved clock: freshness, refetch after
 * the TTL, errors never cached, bounded size and sweeping, values that
 * outlive their entry, and one fetch for concurrent requests of a key. */

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#include "lxcfs/ttl_cache.h"
#include "tap.h"

#define MS NSEC_PER_MSEC

static uint64_t fake_now = 1000 * MS;
static unsigned clock_calls;

static uint64_t fake_clock(void)
{
        __atomic_add_fetch(&clock_calls, 1, __ATOMIC_SEQ_CST);
        return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

/* Fetches return "<key>#<n>", n counting the fetches of all keys. */
static unsigned fetches;
static int fail_with;

static int fetch_counted(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        char text[64];
        struct ttl_value *v;
        int n;

        if (fail_with)
                return fail_with;
        n = snprintf(text, sizeof(text), "%.*s#%u", (int) key_len, (const char *) key,
                     __atomic_add_fetch(&fetches, 1, __ATOMIC_SEQ_CST));
        v = ttl_value_new((size_t) n);
        if (!v)
                return -ENOMEM;
        memcpy(v->data, text, (size_t) n);
        *ret = v;
        return 0;
}

/* get() and return the text (static buffer), or "error N". */
static const char *get(struct ttl_cache *c, const char *key, uint64_t max_age)
{
        static char out[64];
        struct ttl_value *v = NULL;
        int r;

        r = ttl_cache_get(c, key, strlen(key), max_age, fetch_counted, NULL, &v);
        if (r < 0)
                snprintf(out, sizeof(out), "error %d", r);
        else
                snprintf(out, sizeof(out), "%s", v->data);
        ttl_value_unref(v);
        return out;
}

static void test_freshness(void)
{
        struct ttl_cache *c;

        fetches = 0;
        tap_ok(ttl_cache_new(8, fake_clock, &c) == 0, "new cache");
        tap_streq(get(c, "a", 20 * MS), "a#1", "first get fetches");
        fake_now += 19 * MS;
        tap_streq(get(c, "a", 20 * MS), "a#1", "19 ms later: cached");
        tap_streq(get(c, "b", 20 * MS), "b#2", "other key: own fetch");
        fake_now += 1 * MS;
        tap_streq(get(c, "a", 20 * MS), "a#3", "20 ms later: fetched again");
        tap_streq(get(c, "a", 5 * MS), "a#3", "a caller asking for 5 ms gets the fresh one");
        fake_now += 6 * MS;
        tap_streq(get(c, "a", 5 * MS), "a#4", "... and a new one once that is older");
        tap_streq(get(c, "a", 0), "a#5", "max_age 0 always fetches");
        tap_ok(ttl_cache_size(c) == 2, "two entries");
        ttl_cache_free(c);
}

static void test_errors(void)
{
        struct ttl_cache *c;

        fetches = 0;
        tap_ok(ttl_cache_new(8, fake_clock, &c) == 0, "new cache");
        fail_with = -ENOENT;
        tap_streq(get(c, "gone", 20 * MS), "error -2", "a failed fetch is returned");
        tap_ok(ttl_cache_size(c) == 0, "... and not kept");
        fail_with = 0;
        tap_streq(get(c, "gone", 20 * MS), "gone#1", "next call fetches again");

        fake_now += 20 * MS;
        fail_with = -ESRCH;
        tap_streq(get(c, "gone", 20 * MS), "error -3", "expired, fetch fails: the error, not the old value");
        fail_with = 0;
        tap_streq(get(c, "gone", 20 * MS), "gone#2", "recovers on the next call");
        ttl_cache_free(c);
}

static void test_bounds(void)
{
        char key[8];
        struct ttl_cache *c;

        fetches = 0;
        tap_ok(ttl_cache_new(4, fake_clock, &c) == 0, "new cache of 4");
        for (int i = 0; i < 6; i++) {
                snprintf(key, sizeof(key), "k%d", i);
                (void) get(c, key, 1000 * MS);
                fake_now += 1 * MS;
        }
        tap_ok(ttl_cache_size(c) == 4, "never more than 4 entries (%zu)", ttl_cache_size(c));
        tap_streq(get(c, "k5", 1000 * MS), "k5#6", "newest still cached");
        tap_streq(get(c, "k0", 1000 * MS), "k0#7", "oldest was dropped and is fetched again");

        /* After the sweep interval every expired entry goes at the next
         * insertion, not only one. */
        fake_now += 2000 * MS;
        (void) get(c, "fresh", 1000 * MS);
        tap_ok(ttl_cache_size(c) == 1, "expired entries swept (%zu left)", ttl_cache_size(c));
        ttl_cache_free(c);
}

static void test_value_outlives_entry(void)
{
        struct ttl_value *old = NULL, *cur = NULL;
        struct ttl_cache *c;

        fetches = 0;
        tap_ok(ttl_cache_new(2, fake_clock, &c) == 0, "new cache");
        tap_ok(ttl_cache_get(c, "x", 1, 20 * MS, fetch_counted, NULL, &old) == 0, "hold a value");
        fake_now += 20 * MS;
        tap_ok(ttl_cache_get(c, "x", 1, 20 * MS, fetch_counted, NULL, &cur) == 0, "refresh it");
        tap_streq(old->data, "x#1", "the held value is unchanged");
        tap_streq(cur->data, "x#2", "the new one is published");
        ttl_cache_free(c);
        tap_streq(old->data, "x#1", "... and outlives the cache");
        ttl_value_unref(old);
        ttl_value_unref(cur);
}

/* ---- one fetch for concurrent requests ---- */

static sem_t fetch_started, fetch_release;

static int fetch_blocking(const void *key, size_t key_len, void *userdata, struct ttl_value **ret)
{
        sem_post(&fetch_started);
        sem_wait(&fetch_release);
        return fetch_counted(key, key_len, userdata, ret);
}

struct getter {
        struct ttl_cache *c;
        ttl_fetch_t fetch;
        char text[64];
};

static void *getter_main(void *arg)
{
        struct getter *g = arg;
        struct ttl_value *v = NULL;

        if (ttl_cache_get(g->c, "k", 1, 20 * MS, g->fetch, NULL, &v) == 0)
                snprintf(g->text, sizeof(g->text), "%s", v->data);
        ttl_value_unref(v);
        return NULL;
}

static void test_single_flight(void)
{
        struct getter a = { .fetch = fetch_blocking }, b = { .fetch = fetch_blocking };
        pthread_t ta, tb;
        unsigned calls;

        fetches = 0;
        sem_init(&fetch_started, 0, 0);
        sem_init(&fetch_release, 0, 0);
        tap_ok(ttl_cache_new(8, fake_clock, &a.c) == 0, "new cache");
        b.c = a.c;

        pthread_create(&ta, NULL, getter_main, &a);
        sem_wait(&fetch_started); /* a is fetching, with no lock held */
        calls = __atomic_load_n(&clock_calls, __ATOMIC_SEQ_CST);
        pthread_create(&tb, NULL, getter_main, &b);
        /* b reads the clock under the cache lock before it looks the key
         * up; a publishes under that lock, so b finds the key in flight. */
        while (__atomic_load_n(&clock_calls, __ATOMIC_SEQ_CST) == calls)
                sched_yield();
        sem_post(&fetch_release);
        pthread_join(ta, NULL);
        /* Had b fetched too, it would wait here for a release. */
        sem_post(&fetch_release);
        pthread_join(tb, NULL);

        tap_ok(fetches == 1, "one fetch for two concurrent requests (%u)", fetches);
        tap_streq(a.text, "k#1", "the fetcher's value");
        tap_streq(b.text, "k#1", "the waiter got the same value");
        ttl_cache_free(a.c);
        sem_destroy(&fetch_started);
        sem_destroy(&fetch_release);
}

int main(void)
{
        test_freshness();
        test_errors();
        test_bounds();
        test_value_outlives_entry();
        test_single_flight();
        return tap_done();
}
