/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "mount-api.h"
#include "remount-internal.h"

static const char *const state_names[] = {
        [REMOUNT_LIVE]    = "live",
        [REMOUNT_STALE]   = "stale",
        [REMOUNT_FOREIGN] = "foreign",
        [REMOUNT_HIDDEN]  = "hidden",
        [REMOUNT_INVALID] = "invalid",
        [REMOUNT_UNKNOWN] = "unknown",
        [REMOUNT_MISSING] = "missing",
};

const char *remount_state_to_string(enum remount_state s)
{
        return (size_t) s < ELEMENTSOF(state_names) ? state_names[s] : "?";
}

static const char *const method_names[] = {
        [REMOUNT_METHOD_NONE]    = "none",
        [REMOUNT_METHOD_BENEATH] = "beneath",
        [REMOUNT_METHOD_REPLACE] = "replace",
        [REMOUNT_METHOD_ON_TOP]  = "on top",
        [REMOUNT_METHOD_RESTORE] = "restored",
};

const char *remount_method_to_string(enum remount_method m)
{
        return (size_t) m < ELEMENTSOF(method_names) ? method_names[m] : "?";
}

void remount_entries_free(struct remount_entry *e, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(e[i].target);
                free(e[i].root);
        }
        free(e);
}

bool remount_entry_needs_heal(const struct remount_entry *e)
{
        if (e->state == REMOUNT_MISSING)
                return true;
        return e->state == REMOUNT_STALE && e->probe == REMOUNT_PROBE_DEAD;
}

size_t remount_ns_count(const struct remount_ns *ns, enum remount_state s)
{
        size_t n = 0;

        for (size_t i = 0; i < ns->n_entries; i++)
                n += ns->entries[i].state == s;
        return n;
}

bool remount_root_is_valid(const char *root)
{
        /* Clones are taken at live->fd + root: a ".." would leave the tree. */
        if (!root || root[0] != '/')
                return false;
        for (const char *p = root; *p; ) {
                size_t len;

                while (*p == '/')
                        p++;
                len = strcspn(p, "/");
                if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += len;
        }
        return true;
}

uint64_t remount_attr_from_options(const char *vfs_opts)
{
        static const struct { const char *name; uint64_t attr; } table[] = {
                { "ro",     MOUNT_ATTR_RDONLY },
                { "nosuid", MOUNT_ATTR_NOSUID },
                { "nodev",  MOUNT_ATTR_NODEV  },
                { "noexec", MOUNT_ATTR_NOEXEC },
        };
        uint64_t attr = 0;

        for (size_t i = 0; vfs_opts && i < ELEMENTSOF(table); i++)
                if (mnt_optstr_get_option(vfs_opts, table[i].name, NULL, NULL) == 0)
                        attr |= table[i].attr;
        return attr;
}

static bool dev_in(dev_t dev, const dev_t *set, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (set[i] == dev)
                        return true;
        return false;
}

/* A mount whose child sits at the same mount point is hidden by it. */
bool remount_is_overmounted(struct libmnt_table *tb, struct libmnt_fs *fs)
{
        _cleanup_mnt_iter_ struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *child;
        int id = mnt_fs_get_id(fs);
        const char *target = mnt_fs_get_target(fs);

        if (!it || !target)
                return false;
        while (mnt_table_next_fs(tb, it, &child) == 0) {
                const char *t = mnt_fs_get_target(child);

                if (mnt_fs_get_parent_id(child) == id && mnt_fs_get_id(child) != id &&
                    t && streq(t, target))
                        return true;
        }
        return false;
}

static enum remount_state classify(struct libmnt_table *tb, struct libmnt_fs *fs, dev_t live_dev,
                                   const dev_t *others, size_t n_others)
{
        dev_t dev = mnt_fs_get_devno(fs);

        if (!remount_root_is_valid(mnt_fs_get_root(fs)) || !mnt_fs_get_target(fs))
                return REMOUNT_INVALID;
        if (remount_is_overmounted(tb, fs))
                return REMOUNT_HIDDEN;
        if (dev == live_dev)
                return REMOUNT_LIVE;
        if (dev_in(dev, others, n_others))
                return REMOUNT_FOREIGN;
        return REMOUNT_STALE;
}

static int entry_fill(struct remount_entry *e, struct libmnt_fs *fs, enum remount_state state)
{
        const char *root = mnt_fs_get_root(fs), *target = mnt_fs_get_target(fs);

        *e = (struct remount_entry) {
                .mount_id = mnt_fs_get_id(fs),
                .parent_id = mnt_fs_get_parent_id(fs),
                .dev = mnt_fs_get_devno(fs),
                .root = strdup(root ? root : ""),
                .target = strdup(target ? target : ""),
                .attr = remount_attr_from_options(mnt_fs_get_vfs_options(fs)),
                .state = state,
        };
        return e->root && e->target ? 0 : -ENOMEM;
}

/* The mount point field (the fifth) of a mountinfo line; its length in *len. */
static const char *line_mount_point(const char *line, const char *eol, size_t *len)
{
        const char *p = line;

        for (int field = 0; field < 4; field++) {
                p = memchr(p, ' ', (size_t) (eol - p));
                if (!p)
                        return NULL;
                p++;
        }
        *len = strcspn(p, " \n");
        return p + *len <= eol ? p : NULL;
}

static bool line_is_lxcfs(const char *line, const char *eol)
{
        /* Paths are escaped (a space is \040): " - " only separates the fields. */
        const char *sep = memmem(line, (size_t) (eol - line), " - " LXCFS_FSTYPE " ",
                                 strlen(" - " LXCFS_FSTYPE " "));
        return sep != NULL;
}

struct span {
        const char *p;
        size_t len;
};

static bool span_in(const struct span *set, size_t n, const char *p, size_t len)
{
        for (size_t i = 0; i < n; i++)
                if (set[i].len == len && memcmp(set[i].p, p, len) == 0)
                        return true;
        return false;
}

/* Only fuse.lxcfs lines, and the lines mounted at the same places (which may
 * hide them), matter: keep just those, so that libmount parses a few lines
 * instead of the whole namespace at each of 1,000 namespaces. */
static char *filter_lxcfs_lines(const char *text)
{
        _cleanup_free_ struct span *points = NULL;
        size_t n_points = 0, len = strlen(text), used = 0;
        /* Every kept line gets a newline, the last one too: + 2. */
        _cleanup_free_ char *out = malloc(len + 2);

        if (!out)
                return NULL;
        for (int pass = 0; pass < 2; pass++)
                for (const char *line = text, *eol; *line; line = eol + (*eol == '\n')) {
                        const char *mp;
                        size_t mp_len;

                        eol = strchrnul(line, '\n');
                        mp = line_mount_point(line, eol, &mp_len);
                        if (!mp)
                                continue;
                        if (pass == 0 && line_is_lxcfs(line, eol)) {
                                struct span *p = realloc(points, (n_points + 1) * sizeof(*p));
                                if (!p)
                                        return NULL;
                                points = p;
                                points[n_points++] = (struct span) { mp, mp_len };
                        } else if (pass == 1 && span_in(points, n_points, mp, mp_len)) {
                                memcpy(out + used, line, (size_t) (eol - line));
                                used += (size_t) (eol - line);
                                out[used++] = '\n';
                        }
                }
        out[used] = '\0';
        return steal_pointer(&out);
}

int remount_parse_mountinfo(const char *text, dev_t live_dev,
                            const dev_t *others, size_t n_others,
                            struct remount_entry **ret, size_t *ret_n)
{
        _cleanup_mnt_table_ struct libmnt_table *tb = NULL;
        _cleanup_mnt_iter_ struct libmnt_iter *it = NULL;
        _cleanup_free_ char *lines = NULL;
        struct remount_entry *entries = NULL;
        struct libmnt_fs *fs;
        size_t n = 0;
        int r;

        lines = filter_lxcfs_lines(text);
        if (!lines)
                return -ENOMEM;
        r = mountinfo_parse(lines, &tb);
        if (r < 0)
                return r;
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return -ENOMEM;

        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *type = mnt_fs_get_fstype(fs);
                struct remount_entry *p;

                if (!type || !streq(type, LXCFS_FSTYPE))
                        continue;
                p = realloc(entries, (n + 1) * sizeof(*entries));
                if (!p) {
                        remount_entries_free(entries, n);
                        return -ENOMEM;
                }
                entries = p;
                r = entry_fill(&entries[n], fs, classify(tb, fs, live_dev, others, n_others));
                n++;
                if (r < 0) {
                        remount_entries_free(entries, n);
                        return r;
                }
        }

        *ret = entries;
        *ret_n = n;
        return 0;
}
