/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lxcfs/handles.h"
#include "lxcfs/macro.h"
#include "lxcfs/ttl_cache.h"

#define FH_SLOT(fh) ((size_t) ((fh) & 0xffffffffu))
/* 31 bits: bit 63 of a handle belongs to the FUSE layer (passthrough.h). */
#define GEN_MASK    0x7fffffffu
#define FH_GEN(fh)  ((uint32_t) ((fh) >> 32) & GEN_MASK)

int handle_table_init(struct handle_table *t)
{
        *t = (struct handle_table) { 0 };
        if (getrandom(&t->next_gen, sizeof(t->next_gen), GRND_NONBLOCK) != sizeof(t->next_gen))
                t->next_gen = (uint32_t) getpid() * 2654435761u;
        return -pthread_mutex_init(&t->lock, NULL);
}

void handle_table_done(struct handle_table *t)
{
        for (size_t i = 0; i < t->n_slots; i++)
                if (t->slots[i].content)
                        content_unref(t->slots[i].content);
        free(t->slots);
        free(t->free_list);
        pthread_mutex_destroy(&t->lock);
}

int content_new(char *text, size_t len, struct content **ret)
{
        struct content *c = malloc(sizeof(*c));

        if (!c) {
                free(text);
                return -ENOMEM;
        }
        *c = (struct content) { .refs = 1, .len = len, .data = text };
        *ret = c;
        return 0;
}

int content_new_shared(struct ttl_value *v, struct content **ret)
{
        struct content *c = malloc(sizeof(*c));

        if (!c) {
                ttl_value_unref(v);
                return -ENOMEM;
        }
        /* strlen, not v->len: the same bytes a copy with strbuf_puts has. */
        *c = (struct content) { .refs = 1, .len = strlen(v->data), .data = v->data, .shared = v };
        *ret = c;
        return 0;
}

void content_unref(struct content *c)
{
        if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0) {
                if (c->shared)
                        ttl_value_unref(c->shared);
                else
                        free(c->data);
                free(c);
        }
}

static int grow(struct handle_table *t)
{
        size_t n = t->n_slots ? t->n_slots * 2 : 64;
        struct handle_slot *slots;
        size_t *free_list;

        if (n > 0xffffffffu)
                return -ENOSPC;
        slots = realloc(t->slots, n * sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        t->slots = slots;
        free_list = realloc(t->free_list, n * sizeof(*free_list));
        if (!free_list)
                return -ENOMEM;
        t->free_list = free_list;
        for (size_t i = n; i > t->n_slots; i--) {
                t->slots[i - 1] = (struct handle_slot) { 0 };
                t->free_list[t->n_free++] = i - 1;
        }
        t->n_slots = n;
        return 0;
}

int handle_add(struct handle_table *t, uint64_t ino, struct content *c, uint64_t *ret_fh)
{
        struct handle_slot *s;
        size_t idx;
        int r = 0;

        pthread_mutex_lock(&t->lock);
        if (t->n_free == 0)
                r = grow(t);
        if (r == 0) {
                idx = t->free_list[--t->n_free];
                s = &t->slots[idx];
                s->gen = t->next_gen++ & GEN_MASK;
                s->ino = ino;
                s->content = c;
                s->read_at_zero = false;
                *ret_fh = ((uint64_t) s->gen << 32) | idx;
        }
        pthread_mutex_unlock(&t->lock);
        if (r < 0)
                content_unref(c);
        return r;
}

static struct handle_slot *find_locked(struct handle_table *t, uint64_t fh)
{
        size_t idx = FH_SLOT(fh);

        if (idx >= t->n_slots || !t->slots[idx].content || t->slots[idx].gen != FH_GEN(fh))
                return NULL;
        return &t->slots[idx];
}

struct content *handle_get(struct handle_table *t, uint64_t fh, uint64_t ino)
{
        struct handle_slot *s;
        struct content *c = NULL;

        pthread_mutex_lock(&t->lock);
        s = find_locked(t, fh);
        if (s && s->ino == ino) {
                c = s->content;
                __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
        }
        pthread_mutex_unlock(&t->lock);
        return c;
}

bool handle_note_read_at_zero(struct handle_table *t, uint64_t fh)
{
        struct handle_slot *s;
        bool before = false;

        pthread_mutex_lock(&t->lock);
        s = find_locked(t, fh);
        if (s) {
                before = s->read_at_zero;
                s->read_at_zero = true;
        }
        pthread_mutex_unlock(&t->lock);
        return before;
}

void handle_set_content(struct handle_table *t, uint64_t fh, uint64_t ino, struct content *c)
{
        struct handle_slot *s;

        pthread_mutex_lock(&t->lock);
        s = find_locked(t, fh);
        if (s && s->ino == ino) {
                struct content *old = s->content;

                s->content = steal_pointer(&c);
                c = old;
        }
        pthread_mutex_unlock(&t->lock);
        content_unref(c);
}

void handle_release(struct handle_table *t, uint64_t fh)
{
        struct handle_slot *s;
        struct content *c = NULL;

        pthread_mutex_lock(&t->lock);
        s = find_locked(t, fh);
        if (s) {
                c = steal_pointer(&s->content);
                t->free_list[t->n_free++] = FH_SLOT(fh);
        }
        pthread_mutex_unlock(&t->lock);
        content_unref(c);
}

size_t handle_count(struct handle_table *t)
{
        size_t n;

        pthread_mutex_lock(&t->lock);
        n = t->n_slots - t->n_free;
        pthread_mutex_unlock(&t->lock);
        return n;
}
