/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-mirror.h"
#include "lxcfs/fs.h"
#include "lxcfs/log.h"
#include "lxcfs/render_cache.h"

/* Every operation below replies exactly once: do_*() return 0 or a
 * negative errno, the op wrapper sends the one reply. */

static struct lxcfs_fs *fs_of(fuse_req_t req)
{
        return fuse_req_userdata(req);
}

int lxcfs_fs_init(struct lxcfs_fs *fs, const struct lxcfs_options *opts,
                  const struct cg_hierarchies *cg, struct loadavg_sampler *loadavg)
{
        int r;

        *fs = (struct lxcfs_fs) { .opts = opts, .cg = cg, .loadavg = loadavg,
                                  .attr_timeout = 86400.0 };
        fs->save_text_dir = getenv("LXCFS_TEST_SAVE_TEXT");
        r = vfile_rows_served(opts, &fs->rows, &fs->n_rows);
        if (r >= 0)
                r = vtree_build(fs->rows, fs->n_rows, &fs->tree);
        if (r >= 0) {
                r = fs_mirrors_init(fs);
                if (r < 0)
                        vtree_free(&fs->tree);
        }
        if (r < 0) {
                fs_mirrors_done(fs);
                free(steal_pointer(&fs->rows));
                return log_error_errno(r, "Failed to build the file tree: %m");
        }
        passthrough_init(&fs->pt);
        r = handle_table_init(&fs->handles);
        if (r < 0) {
                fs_mirrors_done(fs);
                vtree_free(&fs->tree);
                free(steal_pointer(&fs->rows));
                return log_error_errno(r, "Failed to set up the handle table: %m");
        }
        r = render_caches_init(&fs->caches, NULL);
        if (r < 0) {
                handle_table_done(&fs->handles);
                fs_mirrors_done(fs);
                vtree_free(&fs->tree);
                free(steal_pointer(&fs->rows));
                return log_error_errno(r, "Failed to set up the caches: %m");
        }
        return 0;
}

void lxcfs_fs_done(struct lxcfs_fs *fs)
{
        render_caches_done(&fs->caches);
        handle_table_done(&fs->handles);
        passthrough_done(&fs->pt);
        fs_mirrors_done(fs);
        vtree_free(&fs->tree);
        free(steal_pointer(&fs->rows));
}

static void fill_stat(const struct vnode *n, struct stat *st)
{
        *st = (struct stat) { 0 };
        st->st_ino = n->ino;
        if (n->file) {
                /* Size 0 like the kernel's /proc: readers read to EOF. */
                st->st_mode = S_IFREG | (n->file->mode & 0444);
                st->st_nlink = 1;
        } else {
                st->st_mode = S_IFDIR | 0555;
                st->st_nlink = 2;
        }
}

int lxcfs_fs_render(struct lxcfs_fs *fs, const struct vnode *node, pid_t pid,
                    struct content **ret)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        struct render_ctx ctx;
        struct ttl_value *as_is;
        size_t len;
        char *text;
        int r;

        render_ctx_init(&ctx, pid, fs->opts, fs->cg, fs->loadavg, &fs->caches);
        /* A host file shown as it is stays the cache's text: no copy. */
        ctx.share_as_is = true;
        r = vfile_generate(node->file, &ctx, &out);
        as_is = steal_pointer(&ctx.as_is);
        render_ctx_done(&ctx);
        if (r < 0) {
                ttl_value_unref(as_is);
                return log_debug_errno(r, "Rendering %s for pid %d failed: %m", node->path, (int) pid);
        }
        if (as_is)
                return content_new_shared(as_is, ret);
        r = strbuf_error(&out);
        if (r < 0)
                return r;
        text = strbuf_steal(&out, &len);
        if (!text)
                return -ENOMEM;
        return content_new(text, len, ret);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
        /* Reads of one file never depend on each other. */
        if (conn->capable & FUSE_CAP_ASYNC_READ)
                conn->want |= FUSE_CAP_ASYNC_READ;
        /* No page cache for these files: each open shows fresh values. */
        conn->want &= ~(unsigned) FUSE_CAP_AUTO_INVAL_DATA;
}

/* Test hook (lxcfs(8), ENVIRONMENT): the next open of the file named by
 * LXCFS_TEST_HANG_OPEN hangs for good once the file named by
 * LXCFS_TEST_HANG_TRIGGER exists (which it removes): a request read and
 * never answered, as when the daemon dies in the middle of one. */
static void maybe_hang(const char *path)
{
        const char *file = getenv("LXCFS_TEST_HANG_OPEN");
        const char *trigger = getenv("LXCFS_TEST_HANG_TRIGGER");

        if (!file || !trigger || !streq(file, path) || unlink(trigger) < 0)
                return;
        log_notice("Test hook: the open of %s hangs.", path);
        for (;;)
                pause();
}

/* Test hook (lxcfs(8), ENVIRONMENT): LXCFS_TEST_SAVE_TEXT=DIR keeps the
 * text rendered for each open as DIR/<path with '_' for '/'>.<pid>, so a
 * test compares what a reader got with what was rendered, byte for byte,
 * whichever path the reads took. */
static void maybe_save_text(const struct lxcfs_fs *fs, const struct vnode *n, pid_t pid,
                            const struct content *c)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;

        if (!fs->save_text_dir || asprintf(&path, "%s/%s.%d", fs->save_text_dir, n->path, (int) pid) < 0)
                return;
        for (char *p = path + strlen(fs->save_text_dir) + 1; *p; p++)
                if (*p == '/')
                        *p = '_';
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, c->data, c->len) != (ssize_t) c->len)
                log_warning_errno(errno, "Test hook: saving %s failed: %m", path);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct lxcfs_fs *fs = fs_of(req);
        const struct vnode *n = vtree_lookup(&fs->tree, parent, name);
        struct mirror *m = fs_mirror_of(fs, parent);
        struct fuse_entry_param e = { 0 };

        if (!n && m) {
                fs_mirror_lookup(req, m, parent, name);
                return;
        }
        if (!n) {
                /* A negative entry, cached as long as positive ones. */
                e.entry_timeout = fs->attr_timeout;
                fuse_reply_entry(req, &e);
                return;
        }
        e.ino = n->ino;
        e.generation = 1;
        e.attr_timeout = fs->attr_timeout;
        e.entry_timeout = fs->attr_timeout;
        fill_stat(n, &e.attr);
        fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct lxcfs_fs *fs = fs_of(req);
        const struct vnode *n = vtree_by_ino(&fs->tree, ino);
        struct mirror *m = n ? NULL : fs_mirror_of(fs, ino);
        struct stat st;
        int r;

        if (m) {
                r = fs_mirror_getattr(m, ino, &st);
                if (r < 0)
                        fuse_reply_err(req, -r);
                else
                        fuse_reply_attr(req, &st, MIRROR_ATTR_TIMEOUT);
                return;
        }
        if (!n) {
                fuse_reply_err(req, ENOENT);
                return;
        }
        fill_stat(n, &st);
        fuse_reply_attr(req, &st, fs->attr_timeout);
}

/* A host file of a mirror row: its bytes now, served from the daemon
 * (never passthrough: the text is the host's, not rendered). */
static int do_open_mirrored(struct lxcfs_fs *fs, struct mirror *m, uint64_t ino,
                            const struct fuse_ctx *caller, struct fuse_file_info *fi)
{
        struct content *c;
        int r;

        r = fs_mirror_content(fs, m, ino, caller->pid, caller->uid, &c);
        if (r < 0)
                return r;
        r = handle_add(&fs->handles, ino, c, &fi->fh);
        if (r < 0)
                return r;
        fi->direct_io = 1;
        fi->keep_cache = 0;
        fi->noflush = 1;
        return 0;
}

static int do_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
                   struct passthrough_open *pto)
{
        struct lxcfs_fs *fs = fs_of(req);
        const struct vnode *n = vtree_by_ino(&fs->tree, ino);
        const struct fuse_ctx *caller = fuse_req_ctx(req);
        struct mirror *m = n ? NULL : fs_mirror_of(fs, ino);
        struct content *c;
        int r;

        *pto = (struct passthrough_open) { .kind = PT_OPEN_PLAIN, .ino = ino };
        if (m)
                return (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC) ? -EACCES :
                       do_open_mirrored(fs, m, ino, caller, fi);
        if (!n)
                return -ENOENT;
        if (!n->file)
                return -EISDIR;
        if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
                return -EACCES;
        /* The mount has no default_permissions unless asked: a file the
         * host keeps for root (slabinfo) is refused to others here. */
        if (!(n->file->mode & S_IROTH) && caller->uid != 0)
                return -EACCES;
        maybe_hang(n->path);

        r = lxcfs_fs_render(fs, n, caller->pid, &c);
        if (r < 0)
                return r;
        maybe_save_text(fs, n, caller->pid, c);
        passthrough_open(&fs->pt, n->ino, c, pto);
        log_debug("open %s by pid %d: %zu bytes, %s", n->path, (int) caller->pid, c->len,
                  passthrough_kind_name(pto->kind));
        r = handle_add(&fs->handles, n->ino, c, &fi->fh);
        if (r < 0) {
                if (pto->kind != PT_OPEN_PLAIN)
                        passthrough_release(&fs->pt, n->ino);
                return r;
        }
        if (pto->kind != PT_OPEN_PLAIN)
                fi->fh |= PASSTHROUGH_FH_USER;
        /* Content was rendered for this open: bypass the page cache, and
         * skip the FLUSH round trip on close. A passthrough reply is
         * adjusted on its way out (passthrough.h). */
        fi->direct_io = 1;
        fi->keep_cache = 0;
        fi->noflush = 1;
        return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct lxcfs_fs *fs = fs_of(req);
        struct passthrough_open pto;
        int r = do_open(req, ino, fi, &pto);

        if (r < 0) {
                fuse_reply_err(req, -r);
                return;
        }
        passthrough_arm(&pto);
        r = fuse_reply_open(req, fi);
        passthrough_disarm();
        if (r == -ENOENT) {
                /* The opener was interrupted, or the request was already
                 * answered before a handover: nobody will release this. */
                if (fi->fh & PASSTHROUGH_FH_USER)
                        passthrough_release(&fs->pt, ino);
                handle_release(&fs->handles, fi->fh);
        }
}

static void reply_slice(fuse_req_t req, const struct content *c, size_t size, off_t off)
{
        if (off < 0 || (size_t) off >= c->len) {
                fuse_reply_buf(req, NULL, 0);
                return;
        }
        fuse_reply_buf(req, c->data + off, MIN(size, c->len - (size_t) off));
}

/* The text of ino for the reader of req, made anew: rendered, or read
 * from the host for a mirrored file. */
static int content_for(fuse_req_t req, fuse_ino_t ino, struct content **ret)
{
        struct lxcfs_fs *fs = fs_of(req);
        const struct vnode *n = vtree_by_ino(&fs->tree, ino);
        const struct fuse_ctx *caller = fuse_req_ctx(req);
        struct mirror *m = n ? NULL : fs_mirror_of(fs, ino);

        if (m)
                return fs_mirror_content(fs, m, ino, caller->pid, caller->uid, ret);
        if (!n || !n->file)
                return -EBADF;
        return lxcfs_fs_render(fs, n, caller->pid, ret);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
        struct lxcfs_fs *fs = fs_of(req);
        struct content *c = handle_get(&fs->handles, fi->fh, ino);
        int r;

        log_debug("read inode %llu: %zu bytes at %lld", (unsigned long long) ino, size, (long long) off);
        if (!c) {
                /* Not a handle of this process (e.g. issued before a
                 * connection handover): render again for this reader. */
                r = content_for(req, ino, &c);
                if (r < 0) {
                        fuse_reply_err(req, -r);
                        return;
                }
                log_debug("read inode %llu with unknown handle %#llx: rendered again",
                          (unsigned long long) ino, (unsigned long long) fi->fh);
        } else if (off == 0 && handle_note_read_at_zero(&fs->handles, fi->fh)) {
                /* A reader that seeks back and reads again (top, vmstat and
                 * procps keep /proc/stat open) wants the current values, as
                 * the kernel's own files give them. */
                struct content *fresh;

                r = content_for(req, ino, &fresh);
                if (r < 0) {
                        content_unref(c);
                        fuse_reply_err(req, -r);
                        return;
                }
                content_unref(c);
                c = fresh;
                /* One reference for this reply, one for the handle. */
                __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
                handle_set_content(&fs->handles, fi->fh, ino, fresh);
        }
        reply_slice(req, c, size, off);
        content_unref(c);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        /* The bit also marks handles of a previous process. */
        if (fi->fh & PASSTHROUGH_FH_USER)
                passthrough_release(&fs_of(req)->pt, ino);
        handle_release(&fs_of(req)->handles, fi->fh);
        fuse_reply_err(req, 0);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        fuse_reply_err(req, 0);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct lxcfs_fs *fs = fs_of(req);
        const struct vnode *n = vtree_by_ino(&fs->tree, ino);
        struct mirror *m = fs_mirror_of(fs, ino);
        int r;

        if (m) {
                /* Listed per reader: the kernel keeps no copy. */
                r = n ? 0 : fs_mirror_opendir(fs, m, ino, fuse_req_ctx(req)->pid);
                if (r < 0)
                        fuse_reply_err(req, -r);
                else
                        fuse_reply_open(req, fi);
        } else if (!n)
                fuse_reply_err(req, ENOENT);
        else if (n->file)
                fuse_reply_err(req, ENOTDIR);
        else {
                fi->cache_readdir = 1;
                fi->keep_cache = 1;
                fuse_reply_open(req, fi);
        }
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
        struct lxcfs_fs *fs = fs_of(req);
        const struct vnode *dir = vtree_by_ino(&fs->tree, ino);
        struct mirror *m = fs_mirror_of(fs, ino);
        _cleanup_free_ char *buf = NULL;
        size_t used = 0;

        if (m) {
                fs_mirror_readdir(req, m, ino, size, off);
                return;
        }
        if (!dir || dir->file) {
                fuse_reply_err(req, ENOTDIR);
                return;
        }
        buf = malloc(size);
        if (!buf) {
                fuse_reply_err(req, ENOMEM);
                return;
        }
        /* Offsets: 0 ".", 1 "..", 2+i the i-th child. */
        for (off_t i = off; ; i++) {
                const struct vnode *child = NULL;
                const char *name;
                struct stat st = { 0 };
                size_t need;

                if (i == 0) {
                        name = ".";
                        st.st_ino = dir->ino;
                        st.st_mode = S_IFDIR;
                } else if (i == 1) {
                        name = "..";
                        st.st_ino = dir->parent_ino;
                        st.st_mode = S_IFDIR;
                } else {
                        child = vtree_child(&fs->tree, dir->ino, (size_t) (i - 2));
                        if (!child)
                                break;
                        name = child->name;
                        fill_stat(child, &st);
                }
                need = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
                if (need > size - used)
                        break;
                used += need;
        }
        fuse_reply_buf(req, buf, used);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        fuse_reply_err(req, 0);
}

/* The tree is read-only: every change is refused. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi) { fuse_reply_err(req, EROFS); }
static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                     dev_t rdev) { fuse_reply_err(req, EROFS); }
static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{ fuse_reply_err(req, EROFS); }
static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{ fuse_reply_err(req, EROFS); }
static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{ fuse_reply_err(req, EROFS); }
static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                      const char *newname, unsigned int flags) { fuse_reply_err(req, EROFS); }
static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{ fuse_reply_err(req, EROFS); }
static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi) { fuse_reply_err(req, EACCES); }
static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi) { fuse_reply_err(req, EROFS); }
static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                        size_t size, int flags) { fuse_reply_err(req, EROFS); }
static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{ fuse_reply_err(req, EROFS); }

const struct fuse_lowlevel_ops lxcfs_fs_ops = {
        .init = op_init,
        .lookup = op_lookup,
        .getattr = op_getattr,
        .open = op_open,
        .read = op_read,
        .flush = op_flush,
        .release = op_release,
        .readlink = fs_mirror_readlink,
        .opendir = op_opendir,
        .readdir = op_readdir,
        .releasedir = op_releasedir,
        .setattr = op_setattr,
        .mknod = op_mknod,
        .mkdir = op_mkdir,
        .unlink = op_unlink,
        .rmdir = op_unlink,
        .symlink = op_symlink,
        .rename = op_rename,
        .link = op_link,
        .write = op_write,
        .create = op_create,
        .setxattr = op_setxattr,
        .removexattr = op_removexattr,
};
