/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lxcfs/log.h"
#include "lxcfs/mirror.h"

#define WALK_DEPTH_MAX   8
#define WALK_ENTRIES_MAX (1u << 20)
#define WALK_INTERVAL_NS 1000000000ull

uint64_t mirror_ino(const struct mirror *m, const char *rel)
{
        uint64_t h = UINT64_C(14695981039346656037);

        /* The path in the mount: the same number whatever the host dir. */
        for (const char *p = m->row->path; *p; p++)
                h = (h ^ (unsigned char) *p) * UINT64_C(1099511628211);
        h = (h ^ '/') * UINT64_C(1099511628211);
        for (const char *p = rel; *p; p++)
                h = (h ^ (unsigned char) *p) * UINT64_C(1099511628211);
        return h | MIRROR_INO_BIT;
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

int mirror_init(struct mirror *m, const struct vmirror *row, uint64_t root_ino)
{
        *m = (struct mirror) { .row = row, .root_ino = root_ino };
        m->host_fd = open(row->host_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (m->host_fd < 0)
                return -errno;
        pthread_mutex_init(&m->lock, NULL);
        return 0;
}

void mirror_forget_all(struct mirror *m)
{
        for (size_t i = 0; i < m->n_slots; i++)
                free(m->slots[i].rel);
        free(m->slots);
        m->slots = NULL;
        m->n_slots = m->n_used = 0;
        m->last_walk_ns = 0;
}

void mirror_done(struct mirror *m)
{
        if (!m->row)
                return;
        mirror_forget_all(m);
        pthread_mutex_destroy(&m->lock);
        closep(&m->host_fd);
        m->row = NULL;
}

static struct mirror_slot *slot_of(struct mirror_slot *slots, size_t n, uint64_t ino)
{
        size_t i = (size_t) (ino ^ (ino >> 29)) & (n - 1);

        while (slots[i].ino && slots[i].ino != ino)
                i = (i + 1) & (n - 1);
        return &slots[i];
}

static int grow(struct mirror *m)
{
        size_t n = m->n_slots ? m->n_slots * 2 : 256;
        struct mirror_slot *slots = calloc(n, sizeof(*slots));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_slots; i++)
                if (m->slots[i].ino)
                        *slot_of(slots, n, m->slots[i].ino) = m->slots[i];
        free(m->slots);
        m->slots = slots;
        m->n_slots = n;
        return 0;
}

/* Under the lock. A hash collision (two paths, one number) is refused:
 * the second entry answers ENOENT rather than alias the first. */
static int remember_locked(struct mirror *m, uint64_t ino, const char *rel)
{
        struct mirror_slot *s;
        int r;

        if ((m->n_used + 1) * 2 > m->n_slots) {
                r = grow(m);
                if (r < 0)
                        return r;
        }
        s = slot_of(m->slots, m->n_slots, ino);
        if (s->ino)
                return streq(s->rel, rel) ? 0 : -ENOTUNIQ;
        s->rel = strdup(rel);
        if (!s->rel)
                return -ENOMEM;
        s->ino = ino;
        m->n_used++;
        return 0;
}

static int remember(struct mirror *m, uint64_t ino, const char *rel)
{
        int r;

        pthread_mutex_lock(&m->lock);
        r = remember_locked(m, ino, rel);
        pthread_mutex_unlock(&m->lock);
        return r;
}

static bool valid_name(const char *name)
{
        return name[0] && !streq(name, ".") && !streq(name, "..") && !strchr(name, '/');
}

/* An O_PATH descriptor of directory rel, reached one component at a time
 * with O_NOFOLLOW: a symlink anywhere on the way is ELOOP/ENOTDIR, never
 * followed. */
static int open_dir(const struct mirror *m, const char *rel)
{
        _cleanup_free_ char *copy = strdup(rel);
        _cleanup_close_ int fd = -1;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        fd = openat(m->host_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next;

                if (!valid_name(c))
                        return -EINVAL;
                next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                closep(&fd);
                fd = next;
        }
        return steal_fd(&fd);
}

/* The directory holding rel, and the name of rel in it (rel is not ""). */
static int open_parent_of(const struct mirror *m, const char *rel, const char **ret_name)
{
        const char *slash = strrchr(rel, '/');
        _cleanup_free_ char *dir = strndup(rel, slash ? (size_t) (slash - rel) : 0);

        if (!dir)
                return -ENOMEM;
        *ret_name = slash ? slash + 1 : rel;
        if (!valid_name(*ret_name))
                return -EINVAL;
        return open_dir(m, dir);
}

static void make_read_only(struct stat *st, uint64_t ino)
{
        /* Shown as it is, minus the write bits: nothing is writable here. */
        if (!S_ISLNK(st->st_mode))
                st->st_mode &= ~(mode_t) 0222;
        st->st_ino = ino;
        st->st_dev = 0;
}

int mirror_stat(struct mirror *m, const char *rel, struct stat *ret)
{
        _cleanup_close_ int dfd = -1;
        const char *name;

        if (rel[0] == '\0') {
                if (fstat(m->host_fd, ret) < 0)
                        return -errno;
                make_read_only(ret, m->root_ino);
                return 0;
        }
        dfd = open_parent_of(m, rel, &name);
        if (dfd < 0)
                return dfd;
        if (fstatat(dfd, name, ret, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        make_read_only(ret, mirror_ino(m, rel));
        return 0;
}

int mirror_lookup(struct mirror *m, uint64_t parent, const char *name, struct stat *ret,
                  char **ret_rel)
{
        _cleanup_free_ char *dir = NULL, *rel = NULL;
        int r;

        if (!valid_name(name))
                return -ENOENT;
        r = mirror_resolve(m, parent, &dir);
        if (r < 0)
                return r;
        if (asprintf(&rel, "%s%s%s", dir, dir[0] ? "/" : "", name) < 0)
                return -ENOMEM;
        r = mirror_stat(m, rel, ret);
        if (r < 0)
                return r;
        r = remember(m, ret->st_ino, rel);
        if (r < 0)
                return r == -ENOTUNIQ ? -ENOENT : r;
        if (ret_rel)
                *ret_rel = steal_pointer(&rel);
        return 0;
}

static int walk(struct mirror *m, int dfd, const char *rel, unsigned depth, size_t *budget)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd;

        fd = openat(dfd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d)) && *budget > 0) {
                _cleanup_free_ char *child = NULL;

                if (!valid_name(de->d_name))
                        continue;
                if (asprintf(&child, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) < 0)
                        return -ENOMEM;
                (*budget)--;
                (void) remember_locked(m, mirror_ino(m, child), child);
                if (de->d_type == DT_DIR && depth + 1 < WALK_DEPTH_MAX)
                        (void) walk(m, dfd, child, depth + 1, budget);
        }
        return 0;
}

int mirror_resolve(struct mirror *m, uint64_t ino, char **ret)
{
        struct mirror_slot *s;
        size_t budget = WALK_ENTRIES_MAX;
        uint64_t now;

        if (ino == m->root_ino) {
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        pthread_mutex_lock(&m->lock);
        s = m->n_slots ? slot_of(m->slots, m->n_slots, ino) : NULL;
        if (!s || !s->ino) {
                /* Given out by a previous process (or the entry is gone):
                 * hash the host's paths again. */
                now = now_ns();
                if (!m->last_walk_ns || now - m->last_walk_ns >= WALK_INTERVAL_NS) {
                        m->last_walk_ns = now;
                        (void) walk(m, m->host_fd, "", 0, &budget);
                        log_debug("Walked %s for inode %#llx: %zu entries known", m->row->host_dir,
                                  (unsigned long long) ino, m->n_used);
                }
                s = m->n_slots ? slot_of(m->slots, m->n_slots, ino) : NULL;
        }
        *ret = s && s->ino ? strdup(s->rel) : NULL;
        pthread_mutex_unlock(&m->lock);
        if (!s || !s->ino)
                return -ESTALE;
        return *ret ? 0 : -ENOMEM;
}

char *mirror_top_entry(const char *rel)
{
        return strndup(rel, strcspn(rel, "/"));
}

int mirror_read(struct mirror *m, const char *rel, struct content **ret)
{
        _cleanup_close_ int dfd = -1, fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 4096;
        const char *name;
        struct stat st;

        dfd = open_parent_of(m, rel, &name);
        if (dfd < 0)
                return dfd;
        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
        buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *bigger;

                        if (cap >= MIRROR_READ_MAX)
                                return -EFBIG;
                        bigger = realloc(buf, cap * 2);
                        if (!bigger)
                                return -ENOMEM;
                        buf = bigger;
                        cap *= 2;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        return content_new(steal_pointer(&buf), len, ret);
}

int mirror_readlink(struct mirror *m, const char *rel, char **ret)
{
        _cleanup_close_ int dfd = -1;
        char target[PATH_MAX];
        const char *name;
        ssize_t n;

        dfd = open_parent_of(m, rel, &name);
        if (dfd < 0)
                return dfd;
        n = readlinkat(dfd, name, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        *ret = strdup(target);
        return *ret ? 0 : -ENOMEM;
}

static mode_t type_of(unsigned char d_type)
{
        switch (d_type) {
        case DT_DIR: return S_IFDIR;
        case DT_LNK: return S_IFLNK;
        default:     return S_IFREG;
        }
}

void mirror_dirents_free(struct mirror_dirent *d, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(d[i].name);
        free(d);
}

int mirror_list(struct mirror *m, const char *rel, struct mirror_dirent **ret, size_t *ret_n)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct mirror_dirent *list = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        int fd, r = 0;

        fd = open_dir(m, rel);
        if (fd >= 0) {
                /* Reopened for reading: an O_PATH descriptor cannot list. */
                int lfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                r = lfd < 0 ? -errno : 0;
                close(fd);
                fd = lfd;
        }
        if (fd < 0)
                return r < 0 ? r : fd;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *child = NULL;

                if (!valid_name(de->d_name))
                        continue;
                if (n == cap) {
                        struct mirror_dirent *bigger = reallocarray(list, cap ? cap * 2 : 32, sizeof(*list));

                        if (!bigger) {
                                r = -ENOMEM;
                                break;
                        }
                        list = bigger;
                        cap = cap ? cap * 2 : 32;
                }
                if (asprintf(&child, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) < 0 ||
                    !(list[n].name = strdup(de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                list[n].type = type_of(de->d_type);
                list[n].ino = mirror_ino(m, child);
                n++;
        }
        if (r < 0) {
                mirror_dirents_free(list, n);
                return r;
        }
        *ret = list;
        *ret_n = n;
        return 0;
}
