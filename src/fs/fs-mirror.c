/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs-mirror.h"
#include "lxcfs/log.h"

int fs_mirrors_init(struct lxcfs_fs *fs)
{
        int r;

        fs->mirrors = calloc(vmirror_table_size ?: 1, sizeof(*fs->mirrors));
        if (!fs->mirrors)
                return -ENOMEM;
        for (size_t i = 0; i < vmirror_table_size; i++) {
                const struct vmirror *row = &vmirror_table[i];
                struct mirror *m = &fs->mirrors[fs->n_mirrors];

                if (vmirror_disabled(fs->opts, row))
                        continue;
                r = mirror_init(m, row, vtree_path_ino(row->path));
                if (r < 0) {
                        /* A host without it (no sysfs in a test chroot):
                         * the rendered files under it are still served. */
                        log_warning_errno(r, "Cannot open %s: %m; %s shows only the files lxcfs renders.",
                                          row->host_dir, row->path);
                        continue;
                }
                r = vtree_add_dir(&fs->tree, row->path);
                if (r < 0) {
                        mirror_done(m);
                        return r;
                }
                fs->n_mirrors++;
        }
        return 0;
}

void fs_mirrors_done(struct lxcfs_fs *fs)
{
        for (size_t i = 0; i < fs->n_mirrors; i++)
                mirror_done(&fs->mirrors[i]);
        free(steal_pointer(&fs->mirrors));
        fs->n_mirrors = 0;
}

struct mirror *fs_mirror_of(struct lxcfs_fs *fs, uint64_t ino)
{
        for (size_t i = 0; i < fs->n_mirrors; i++)
                if (ino == fs->mirrors[i].root_ino)
                        return &fs->mirrors[i];
        /* Host entries of every row share one number space (the hash
         * covers the row's path); the table has one such row. */
        return (ino & MIRROR_INO_BIT) && fs->n_mirrors ? &fs->mirrors[0] : NULL;
}

/* What pid sees of m's row; a reader without a view of its own (gone, or
 * no cgroup for it) sees everything, as the host. */
static int load_reader_view(struct lxcfs_fs *fs, struct mirror *m, pid_t pid, struct vmirror_view *view)
{
        struct render_ctx ctx;
        int r;

        render_ctx_init(&ctx, pid, fs->opts, fs->cg, fs->loadavg, &fs->caches);
        r = m->row->load_view(&ctx, view);
        render_ctx_done(&ctx);
        if (r < 0 && render_view_missing(r)) {
                view->all = true;
                r = 0;
        }
        return r;
}

/* Whether the reader may see rel: its top-level entry passes the row's
 * filter with the reader's view. -ENOENT when hidden. */
static int check_visible(struct lxcfs_fs *fs, struct mirror *m, const char *rel, pid_t pid)
{
        _cleanup_free_ char *top = mirror_top_entry(rel);
        struct vmirror_view view = { 0 };
        int r;

        if (!top)
                return -ENOMEM;
        if (!top[0] || !m->row->entry_visible)
                return 0;
        r = load_reader_view(fs, m, pid, &view);
        if (r < 0) {
                log_debug_errno(r, "Cannot tell what pid %d sees of %s: %m", (int) pid, m->row->path);
                return -EIO;
        }
        return m->row->entry_visible(top, &view) ? 0 : -ENOENT;
}

/* The host path behind ino, if the reader may see it, and its stat. */
static int resolve_visible(struct lxcfs_fs *fs, struct mirror *m, uint64_t ino, pid_t pid,
                           char **ret_rel, struct stat *ret_st)
{
        _cleanup_free_ char *rel = NULL;
        int r;

        r = mirror_resolve(m, ino, &rel);
        if (r >= 0)
                r = check_visible(fs, m, rel, pid);
        if (r >= 0)
                r = mirror_stat(m, rel, ret_st);
        if (r < 0)
                return r;
        *ret_rel = steal_pointer(&rel);
        return 0;
}

void fs_mirror_lookup(fuse_req_t req, struct mirror *m, uint64_t parent, const char *name)
{
        struct lxcfs_fs *fs = fuse_req_userdata(req);
        struct fuse_entry_param e = { 0 };
        _cleanup_free_ char *rel = NULL;
        int r;

        r = mirror_lookup(m, parent, name, &e.attr, &rel);
        if (r >= 0)
                r = check_visible(fs, m, rel, fuse_req_ctx(req)->pid);
        if (r < 0) {
                /* Not cached: another reader may see this name. */
                fuse_reply_err(req, r == -ESTALE ? ESTALE : (r == -EIO || r == -ENOMEM ? -r : ENOENT));
                return;
        }
        e.ino = e.attr.st_ino;
        e.generation = 1;
        e.attr_timeout = MIRROR_ATTR_TIMEOUT;
        e.entry_timeout = 0;
        fuse_reply_entry(req, &e);
}

int fs_mirror_getattr(struct mirror *m, uint64_t ino, struct stat *ret)
{
        _cleanup_free_ char *rel = NULL;
        int r = mirror_resolve(m, ino, &rel);

        return r < 0 ? r : mirror_stat(m, rel, ret);
}

int fs_mirror_content(struct lxcfs_fs *fs, struct mirror *m, uint64_t ino, pid_t pid, uid_t uid,
                      struct content **ret)
{
        _cleanup_free_ char *rel = NULL;
        struct stat st;
        int r;

        r = resolve_visible(fs, m, ino, pid, &rel, &st);
        if (r < 0)
                return r;
        /* No default_permissions on the mount: the host's modes are
         * enforced here (cpufreq/cpuinfo_cur_freq is root's only). */
        if (uid != 0 && !(st.st_mode & S_IROTH))
                return -EACCES;
        r = mirror_read(m, rel, ret);
        if (r < 0)
                log_debug_errno(r, "Reading %s/%s for pid %d failed: %m", m->row->host_dir, rel, (int) pid);
        return r;
}

int fs_mirror_opendir(struct lxcfs_fs *fs, struct mirror *m, uint64_t ino, pid_t pid)
{
        _cleanup_free_ char *rel = NULL;
        struct stat st;
        int r;

        r = resolve_visible(fs, m, ino, pid, &rel, &st);
        if (r < 0)
                return r;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Offsets: 0 ".", 1 "..", then the rendered rows under the root, then the
 * host's entries the reader may see. The listing is read again for each
 * call; the host's order is stable between calls. */
void fs_mirror_readdir(fuse_req_t req, struct mirror *m, uint64_t ino, size_t size, off_t off)
{
        struct lxcfs_fs *fs = fuse_req_userdata(req);
        pid_t pid = fuse_req_ctx(req)->pid;
        _cleanup_free_ char *rel = NULL, *buf = NULL;
        struct mirror_dirent *list = NULL;
        struct vmirror_view view = { .all = true };
        size_t n = 0, used = 0, n_static = 0;
        const struct vnode *child;
        off_t i = 0;
        int r;

        r = mirror_resolve(m, ino, &rel);
        if (r >= 0)
                r = check_visible(fs, m, rel, pid);
        if (r >= 0)
                r = mirror_list(m, rel, &list, &n);
        if (r >= 0 && !rel[0] && m->row->load_view)
                r = load_reader_view(fs, m, pid, &view);
        if (r >= 0 && !(buf = malloc(size)))
                r = -ENOMEM;
        if (r < 0) {
                mirror_dirents_free(list, n);
                fuse_reply_err(req, r == -ESTALE || r == -ENOENT || r == -ENOMEM ? -r : EIO);
                return;
        }
        if (!rel[0])
                while (vtree_child(&fs->tree, ino, n_static))
                        n_static++;

        for (size_t k = 0; ; k++) {
                struct stat st = { 0 };
                const char *name;
                size_t need;

                if (k == 0) {
                        name = ".";
                        st.st_ino = ino;
                        st.st_mode = S_IFDIR;
                } else if (k == 1) {
                        const struct vnode *self = vtree_by_ino(&fs->tree, m->root_ino);
                        const char *slash = strrchr(rel, '/');

                        name = "..";
                        st.st_mode = S_IFDIR;
                        if (!rel[0])
                                st.st_ino = self ? self->parent_ino : m->root_ino;
                        else if (!slash)
                                st.st_ino = m->root_ino;
                        else {
                                _cleanup_free_ char *up = strndup(rel, (size_t) (slash - rel));

                                st.st_ino = up ? mirror_ino(m, up) : m->root_ino;
                        }
                } else if (k - 2 < n_static) {
                        child = vtree_child(&fs->tree, ino, k - 2);
                        name = child->name;
                        st.st_ino = child->ino;
                        st.st_mode = child->file ? S_IFREG : S_IFDIR;
                } else if (k - 2 - n_static < n) {
                        struct mirror_dirent *d = &list[k - 2 - n_static];

                        name = d->name;
                        st.st_ino = d->ino;
                        st.st_mode = d->type;
                        /* A rendered row takes the place of the host's file;
                         * hidden entries are listed as nothing at all, their
                         * offset kept so the numbering never shifts. */
                        if ((!rel[0] && vtree_lookup(&fs->tree, ino, name)) ||
                            (!rel[0] && m->row->entry_visible && !m->row->entry_visible(name, &view)))
                                continue;
                } else
                        break;
                if ((off_t) k < off)
                        continue;
                i = (off_t) k;
                need = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
                if (need > size - used)
                        break;
                used += need;
        }
        mirror_dirents_free(list, n);
        fuse_reply_buf(req, buf, used);
}

void fs_mirror_readlink(fuse_req_t req, fuse_ino_t ino)
{
        struct lxcfs_fs *fs = fuse_req_userdata(req);
        struct mirror *m = fs_mirror_of(fs, ino);
        _cleanup_free_ char *rel = NULL, *target = NULL;
        int r;

        if (!m || ino == m->root_ino) {
                fuse_reply_err(req, EINVAL);
                return;
        }
        r = mirror_resolve(m, ino, &rel);
        if (r >= 0)
                r = check_visible(fs, m, rel, fuse_req_ctx(req)->pid);
        if (r >= 0)
                r = mirror_readlink(m, rel, &target);
        if (r < 0) {
                fuse_reply_err(req, -r);
                return;
        }
        fuse_reply_readlink(req, target);
}
