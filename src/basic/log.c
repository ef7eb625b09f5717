/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
/* Our entries carry the caller's CODE_FILE/CODE_LINE/CODE_FUNC; without
 * this, sd_journal_sendv() adds its own (log.c) a second time. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "lxcfs/log.h"

#define MAX_FIELDS 8

static enum log_target target = LOG_TARGET_STDERR;
static int max_level = LOG_INFO;
static const char *ident = "lxcfs";
static char *fields[MAX_FIELDS];
static size_t n_fields;

enum log_target log_target_auto(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        /* systemd sets JOURNAL_STREAM=dev:ino of the stream it gave us. */
        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return LOG_TARGET_STDERR;
        if (fstat(STDERR_FILENO, &st) < 0)
                return LOG_TARGET_STDERR;
        if (st.st_dev != (dev_t) dev || st.st_ino != (ino_t) ino)
                return LOG_TARGET_STDERR;
        return LOG_TARGET_JOURNAL;
}

/* The unit we run in, from our cgroup ("0::/system.slice/lxcfs.service").
 * journald finds the unit of a message from the sender's cgroup, which it
 * can no longer read once a short-lived sender (ExecStopPost=, a daemon that
 * exits right after its last line) is gone; OBJECT_SYSTEMD_UNIT= from a root
 * sender is what `journalctl -u` matches then. */
static bool is_unit_name(const char *s)
{
        size_t n = strlen(s);

        return (n > 8 && streq(s + n - 8, ".service")) || (n > 6 && streq(s + n - 6, ".scope"));
}

static void add_unit_field(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
        char line[4096], *unit;

        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (!startswith(line, "0::") && !strstr(line, ":name=systemd:"))
                        continue;
                while ((unit = strrchr(line, '/'))) {
                        if (is_unit_name(unit + 1)) {
                                log_add_field("OBJECT_SYSTEMD_UNIT", unit + 1);
                                return;
                        }
                        *unit = '\0';
                }
        }
}

void log_open(enum log_target t, const char *id)
{
        target = t;
        if (id)
                ident = id;
        if (t == LOG_TARGET_JOURNAL && geteuid() == 0)
                add_unit_field();
}

void log_set_max_level(int level) { max_level = level; }
int log_get_max_level(void) { return max_level; }

static bool has_field(const char *name, size_t n)
{
        size_t len = strlen(name);

        for (size_t i = 0; i < n; i++)
                if (strncmp(fields[i], name, len) == 0 && fields[i][len] == '=')
                        return true;
        return false;
}

void log_add_field(const char *name, const char *value)
{
        size_t n = __atomic_load_n(&n_fields, __ATOMIC_ACQUIRE);
        char *f;

        /* The first value of a field wins: journal filters such as
         * LXCFS_MOUNTPOINT= must match exactly one value per entry. */
        if (n >= MAX_FIELDS || has_field(name, n))
                return;
        if (asprintf(&f, "%s=%s", name, value) < 0)
                return;
        fields[n] = f;
        /* Publish after the slot is written: threads that log meanwhile see
         * either the old count or a complete field. Adders are serialized by
         * the caller (startup code). */
        __atomic_store_n(&n_fields, n + 1, __ATOMIC_RELEASE);
}

static void log_to_journal(int level, int error, const char *file, int line,
                           const char *func, const char *msg)
{
        char prio[32], code_line[32], errno_field[32], code_file[512], code_func[256];
        char message[4096], ident_field[64];
        struct iovec iov[8 + MAX_FIELDS];
        size_t n = 0;

        snprintf(message, sizeof(message), "MESSAGE=%s", msg);
        snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
        snprintf(code_file, sizeof(code_file), "CODE_FILE=%s", file);
        snprintf(code_line, sizeof(code_line), "CODE_LINE=%d", line);
        snprintf(code_func, sizeof(code_func), "CODE_FUNC=%s", func);
        snprintf(ident_field, sizeof(ident_field), "SYSLOG_IDENTIFIER=%s", ident);
        iov[n++] = (struct iovec) { message, strlen(message) };
        iov[n++] = (struct iovec) { prio, strlen(prio) };
        iov[n++] = (struct iovec) { code_file, strlen(code_file) };
        iov[n++] = (struct iovec) { code_line, strlen(code_line) };
        iov[n++] = (struct iovec) { code_func, strlen(code_func) };
        iov[n++] = (struct iovec) { ident_field, strlen(ident_field) };
        if (error != 0) {
                snprintf(errno_field, sizeof(errno_field), "ERRNO=%d", error);
                iov[n++] = (struct iovec) { errno_field, strlen(errno_field) };
        }
        for (size_t i = 0, nf = __atomic_load_n(&n_fields, __ATOMIC_ACQUIRE); i < nf; i++)
                iov[n++] = (struct iovec) { fields[i], strlen(fields[i]) };

        if (sd_journal_sendv(iov, (int) n) < 0)
                fprintf(stderr, "%s: %s\n", ident, msg);
}

int log_internal(int level, int error, const char *file, int line,
                 const char *func, const char *fmt, ...)
{
        char msg[2048];
        int saved = errno;
        va_list ap;

        error = abs(error);
        errno = error;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        if (target == LOG_TARGET_JOURNAL)
                log_to_journal(level, error, file, line, func, msg);
        else
                fprintf(stderr, "%s: %s\n", ident, msg);

        errno = saved;
        return -error;
}
