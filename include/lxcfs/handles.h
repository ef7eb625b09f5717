/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Open-file handles. The 64-bit handle given to the kernel is a slot index
 * plus a generation number seeded randomly per process, never a pointer:
 * a handle issued by a previous daemon process (connection handed over) or
 * a released one simply does not resolve, and the caller re-renders. Bit
 * 63 is left to the caller: it is ignored here. */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ttl_value;

struct content {
        unsigned refs;  /* atomic */
        size_t len;
        char *data;               /* never written once handed out */
        struct ttl_value *shared; /* set: data is this cached value's text */
};

struct handle_slot {
        uint32_t gen;
        uint64_t ino;
        struct content *content; /* NULL when the slot is free */
        bool read_at_zero;       /* offset 0 was served at least once */
};

struct handle_table {
        pthread_mutex_t lock;
        struct handle_slot *slots;
        size_t n_slots;
        size_t *free_list;
        size_t n_free;
        uint32_t next_gen;
};

int handle_table_init(struct handle_table *t);
void handle_table_done(struct handle_table *t);

/* Takes ownership of text (malloc'ed, len bytes). */
int content_new(char *text, size_t len, struct content **ret);
/* The text of a cached value, by reference (takes the reference v). */
int content_new_shared(struct ttl_value *v, struct content **ret);
void content_unref(struct content *c);

/* Store content for ino; returns the handle. -ENOMEM on failure (content
 * is then released). */
int handle_add(struct handle_table *t, uint64_t ino, struct content *c, uint64_t *ret_fh);
/* A new reference to the content of fh, or NULL if fh was not issued by
 * this process for this inode (or was released). */
struct content *handle_get(struct handle_table *t, uint64_t fh, uint64_t ino);
/* A read at offset 0 of fh: true when one was served before (the reader
 * seeked back to reread, as top and vmstat do), false the first time. */
bool handle_note_read_at_zero(struct handle_table *t, uint64_t fh);
/* Replace the content of fh (takes the reference c); dropped if fh is gone. */
void handle_set_content(struct handle_table *t, uint64_t fh, uint64_t ino, struct content *c);
/* Drop the handle; unknown handles are ignored. */
void handle_release(struct handle_table *t, uint64_t fh);
size_t handle_count(struct handle_table *t);
