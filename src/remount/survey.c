/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Survey, heal, verify. Every namespace with lxcfs entries is recorded
 * before anything changes: a heal in one namespace can take a stale entry
 * of another away by propagation, and a walk that came later would no
 * longer see that the other ever had one. After the heal every recorded
 * namespace is read again (verify.c); an entry that is gone or still stale
 * is healed again, a few times at most.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lxcfs/fileio.h"
#include "lxcfs/macro.h"
#include "lxcfs/remount.h"
#include "remount-internal.h"

void remount_survey_done(struct remount_survey *s)
{
        for (size_t i = 0; i < s->n; i++) {
                struct remount_survey_ns *sn = &s->v[i];

                remount_entries_free(sn->ns.entries, sn->ns.n_entries);
                closep(&sn->ns.pid_dir_fd);
                free(sn->now);
                free(sn->now_id);
                free(sn->attempted);
        }
        free(s->v);
        *s = (struct remount_survey) {};
}

int remount_survey_add(struct remount_survey *s, struct remount_ns *ns)
{
        struct remount_survey_ns *v = realloc(s->v, (s->n + 1) * sizeof(*v)), *sn;
        size_t n = ns->n_entries;

        if (!v)
                return -ENOMEM;
        s->v = v;
        sn = &s->v[s->n];
        *sn = (struct remount_survey_ns) {
                .now = calloc(n, sizeof(*sn->now)),
                .now_id = calloc(n, sizeof(*sn->now_id)),
                .attempted = calloc(n, sizeof(*sn->attempted)),
        };
        if (!sn->now || !sn->now_id || !sn->attempted) {
                free(sn->now);
                free(sn->now_id);
                free(sn->attempted);
                return -ENOMEM;
        }
        /* Only /proc/PID is kept (it pins the process): the namespace and
         * its root are opened again when a job is sent, so that 1,000
         * namespaces do not hold 3,000 fds. */
        sn->ns = *ns;
        sn->ns.index = s->n;
        closep(&sn->ns.ns_fd);
        closep(&sn->ns.root_fd);
        for (size_t i = 0; i < n; i++) {
                struct remount_entry *e = &sn->ns.entries[i];

                sn->now[i] = e->state;
                sn->now_id[i] = e->mount_id;
                /* A stale entry that its path does not lead to is not healed:
                 * what its probe got is its result. */
                e->result = e->state == REMOUNT_STALE && e->probe != REMOUNT_PROBE_DEAD ?
                            (e->probe_err ?: -ESTALE) : 0;
        }
        *ns = (struct remount_ns) { .ns_fd = -1, .root_fd = -1, .pid_dir_fd = -1 };
        s->n++;
        return 0;
}

/* Entry i of sn as the next pass sees it. Entries whose last try timed out
 * are not tried again: that would cost another timeout. */
static bool wants_heal(const struct remount_survey_ns *sn, size_t i)
{
        const struct remount_entry *e = &sn->ns.entries[i];

        if (sn->gone || e->result == -ETIMEDOUT || e->result == -ECANCELED)
                return false;
        if (sn->now[i] == REMOUNT_MISSING)
                return true;
        return sn->now[i] == REMOUNT_STALE && e->probe == REMOUNT_PROBE_DEAD;
}

static bool ns_wants_heal(const struct remount_survey_ns *sn)
{
        for (size_t i = 0; i < sn->ns.n_entries; i++)
                if (wants_heal(sn, i))
                        return true;
        return false;
}

/* A job for the pool: a copy of sn's entries as they are now, with the
 * namespace and its root opened again. -ESRCH: the process is gone. */
static int make_job(const struct remount_survey_ns *sn, struct remount_ns *job)
{
        struct stat st;

        *job = (struct remount_ns) {
                .ino = sn->ns.ino, .pid = sn->ns.pid, .index = sn->ns.index,
                .ns_fd = openat(sn->ns.pid_dir_fd, "ns/mnt", O_RDONLY | O_CLOEXEC),
                .root_fd = -1, .pid_dir_fd = -1,
        };
        if (job->ns_fd < 0 || fstat(job->ns_fd, &st) < 0 || st.st_ino != sn->ns.ino)
                return -ESRCH;          /* gone, or moved to another namespace */
        job->root_fd = openat(sn->ns.pid_dir_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (job->root_fd < 0)
                return -ESRCH;
        job->entries = calloc(sn->ns.n_entries, sizeof(*job->entries));
        if (!job->entries)
                return -ENOMEM;
        for (size_t i = 0; i < sn->ns.n_entries; i++) {
                struct remount_entry *e = &job->entries[i];

                *e = sn->ns.entries[i];
                e->target = strdup(e->target);
                e->root = strdup(e->root);
                job->n_entries = i + 1;
                if (!e->target || !e->root)
                        return -ENOMEM;
                e->mount_id = sn->now_id[i];
                e->state = wants_heal(sn, i) ? sn->now[i] : REMOUNT_LIVE;
        }
        return 0;
}

static void job_done(struct remount_ns *job)
{
        remount_entries_free(job->entries, job->n_entries);
        closep(&job->ns_fd);
        closep(&job->root_fd);
}

/* The pool hands a job back: keep what its worker did. */
void remount_survey_take_results(struct remount_survey *s, const struct remount_ns *job)
{
        struct remount_survey_ns *sn = &s->v[job->index];

        for (size_t i = 0; i < job->n_entries && i < sn->ns.n_entries; i++) {
                const struct remount_entry *j = &job->entries[i];

                if (!remount_entry_needs_heal(j))
                        continue;
                sn->ns.entries[i].result = j->result;
                sn->ns.entries[i].method = j->method;
                sn->attempted[i] = true;
        }
}

int remount_survey_submit(struct remount_survey *s, struct remount_pool *pool, size_t *ret_n)
{
        size_t n = 0;

        for (size_t k = 0; k < s->n; k++) {
                struct remount_survey_ns *sn = &s->v[k];
                struct remount_ns job;
                int r;

                if (!ns_wants_heal(sn))
                        continue;
                r = make_job(sn, &job);
                if (r == -ESRCH)
                        sn->gone = true;
                if (r == 0)
                        r = remount_pool_submit(pool, &job);
                job_done(&job);
                if (r < 0 && r != -ESRCH)
                        return r;
                n += r == 0;
        }
        *ret_n = n;
        return 0;
}

int remount_survey_verify(struct remount_survey *s, const struct remount_live *live, size_t *ret_todo)
{
        size_t todo = 0;

        for (size_t k = 0; k < s->n; k++) {
                struct remount_survey_ns *sn = &s->v[k];
                _cleanup_free_ char *text = NULL;
                int r;

                if (sn->gone)
                        continue;
                if (read_file_at(sn->ns.pid_dir_fd, "mountinfo", &text, NULL) < 0) {
                        sn->gone = true;        /* the container exited */
                        continue;
                }
                r = remount_verify(sn->ns.entries, sn->ns.n_entries, text, live->dev,
                                   live->others, live->n_others, sn->now, sn->now_id);
                if (r < 0)
                        return r;
                todo += ns_wants_heal(sn);
        }
        *ret_todo = todo;
        return 0;
}
