/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/log.h"
#include "lxcfs/vtree.h"

/* FNV-1a, folded to 32 bits: inode numbers fit a 32-bit stat of old
 * binaries inside containers. */
uint64_t vtree_path_ino(const char *path)
{
        uint32_t h = 2166136261u;

        if (path[0] == '\0')
                return VTREE_ROOT_INO;
        for (const char *p = path; *p; p++) {
                h ^= (unsigned char) *p;
                h *= 16777619u;
        }
        /* Keep clear of the root and of the small numbers. */
        return (uint64_t) (h | 0x1000u);
}

const struct vnode *vtree_by_ino(const struct vtree *t, uint64_t ino)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->nodes[i].ino == ino)
                        return &t->nodes[i];
        return NULL;
}

const struct vnode *vtree_lookup(const struct vtree *t, uint64_t parent, const char *name)
{
        for (size_t i = 1; i < t->n; i++)
                if (t->nodes[i].parent_ino == parent && streq(t->nodes[i].name, name))
                        return &t->nodes[i];
        return NULL;
}

const struct vnode *vtree_child(const struct vtree *t, uint64_t dir, size_t index)
{
        for (size_t i = 1; i < t->n; i++)
                if (t->nodes[i].parent_ino == dir && index-- == 0)
                        return &t->nodes[i];
        return NULL;
}

static int add_node(struct vtree *t, size_t cap, const char *path, size_t len,
                    const struct vfile *file)
{
        _cleanup_free_ char *copy = strndup(path, len);
        struct vnode *n;
        char *slash;
        uint64_t ino;

        if (!copy)
                return -ENOMEM;
        ino = vtree_path_ino(copy);
        for (size_t i = 0; i < t->n; i++) {
                if (streq(t->nodes[i].path, copy))
                        return (file || t->nodes[i].file) ? -EEXIST : 0;
                if (t->nodes[i].ino == ino)
                        return -ENOTUNIQ; /* hash collision: rename the file */
        }
        if (t->n >= cap)
                return -ENOSPC;

        n = &t->nodes[t->n++];
        n->ino = ino;
        slash = strrchr(copy, '/');
        n->name = slash ? slash + 1 : copy;
        if (slash) {
                *slash = '\0';
                n->parent_ino = vtree_path_ino(copy);
                *slash = '/';
        } else
                n->parent_ino = VTREE_ROOT_INO;
        n->file = file;
        n->path = steal_pointer(&copy);
        return 0;
}

int vtree_build(const struct vfile *table, size_t n_files, struct vtree *ret)
{
        struct vtree t = { 0 };
        size_t cap = 1;
        int r;

        for (size_t i = 0; i < n_files; i++)
                cap += 1 + (size_t) strlen(table[i].path); /* generous: one per component */
        t.nodes = calloc(cap, sizeof(*t.nodes));
        if (!t.nodes)
                return -ENOMEM;
        t.nodes[0] = (struct vnode) { .ino = VTREE_ROOT_INO, .parent_ino = VTREE_ROOT_INO,
                                      .path = strdup(""), .name = "" };
        t.n = 1;
        if (!t.nodes[0].path) {
                vtree_free(&t);
                return -ENOMEM;
        }

        for (size_t i = 0; i < n_files; i++) {
                const char *path = table[i].path;

                /* Parent directories first, so readdir lists them in table order. */
                for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
                        r = add_node(&t, cap, path, (size_t) (p - path), NULL);
                        if (r < 0)
                                goto fail;
                }
                r = add_node(&t, cap, path, strlen(path), &table[i]);
                if (r < 0)
                        goto fail;
        }
        *ret = t;
        return 0;
fail:
        vtree_free(&t);
        return r;
}

int vtree_add_dir(struct vtree *t, const char *path)
{
        size_t cap = t->n + 1 + strlen(path);
        struct vnode *nodes;
        int r;

        nodes = reallocarray(t->nodes, cap, sizeof(*nodes));
        if (!nodes)
                return -ENOMEM;
        t->nodes = nodes;
        for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
                r = add_node(t, cap, path, (size_t) (p - path), NULL);
                if (r < 0)
                        return r;
        }
        return add_node(t, cap, path, strlen(path), NULL);
}

void vtree_free(struct vtree *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->nodes[i].path);
        free(t->nodes);
        *t = (struct vtree) { 0 };
}
