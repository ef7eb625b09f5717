/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * After a heal, every namespace that had an lxcfs entry at a path must have
 * a live one there. Mount propagation can break that behind our back: a
 * detach in one namespace unmounts the peers' entries at the same place in
 * the others (shared, or a slave's master), an attach adds copies, and a
 * namespace healed first can lose its fresh entry to another's detach. So
 * the namespaces are surveyed before any change, and checked again after.
 */
#include <errno.h>
#include <string.h>

#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "remount-internal.h"

/* The entry now at target: the visible one if any, else a hidden one. */
static const struct remount_entry *now_at(const struct remount_entry *cur, size_t n, const char *target)
{
        const struct remount_entry *hidden = NULL;

        for (size_t i = 0; i < n; i++) {
                if (!streq(cur[i].target, target))
                        continue;
                if (cur[i].state != REMOUNT_HIDDEN)
                        return &cur[i];
                hidden = &cur[i];
        }
        return hidden;
}

int remount_verify(const struct remount_entry *before, size_t n, const char *mountinfo,
                   dev_t live_dev, const dev_t *others, size_t n_others,
                   enum remount_state *now, int *now_id)
{
        struct remount_entry *cur = NULL;
        size_t n_cur = 0;
        int r;

        r = remount_parse_mountinfo(mountinfo, live_dev, others, n_others, &cur, &n_cur);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const struct remount_entry *b = &before[i], *c;

                now[i] = b->state;
                now_id[i] = b->mount_id;
                /* Only what was ours to keep live: entries served by the live
                 * mount, and stale ones whose connection is dead. */
                if (b->state != REMOUNT_LIVE &&
                    !(b->state == REMOUNT_STALE && b->probe == REMOUNT_PROBE_DEAD))
                        continue;
                c = now_at(cur, n_cur, b->target);
                if (!c) {
                        now[i] = REMOUNT_MISSING;
                        now_id[i] = 0;
                        continue;
                }
                now_id[i] = c->mount_id;
                if (c->state == REMOUNT_STALE && b->state == REMOUNT_STALE && c->dev == b->dev)
                        now[i] = REMOUNT_STALE;         /* the same dead connection, still or again */
                else if (c->state == REMOUNT_STALE)
                        now[i] = REMOUNT_FOREIGN;       /* a device nobody said is dead: not ours */
                else
                        now[i] = c->state;              /* live, hidden, another instance's */
        }
        remount_entries_free(cur, n_cur);
        return 0;
}
