/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "lxcfs/macro.h"
#include "lxcfs/mountopts.h"
#include "lxcfs/strbuf.h"

static const struct {
        const char *name;
        unsigned long set, clear;
} flag_options[] = {
        { "ro",          MS_RDONLY,      0 },
        { "rw",          0,              MS_RDONLY },
        { "nosuid",      MS_NOSUID,      0 },
        { "suid",        0,              MS_NOSUID },
        { "nodev",       MS_NODEV,       0 },
        { "dev",         0,              MS_NODEV },
        { "noexec",      MS_NOEXEC,      0 },
        { "exec",        0,              MS_NOEXEC },
        { "sync",        MS_SYNCHRONOUS, 0 },
        { "async",       0,              MS_SYNCHRONOUS },
        { "dirsync",     MS_DIRSYNC,     0 },
        { "noatime",     MS_NOATIME,     0 },
        { "atime",       0,              MS_NOATIME },
        { "nodiratime",  MS_NODIRATIME,  0 },
        { "diratime",    0,              MS_NODIRATIME },
        { "relatime",    MS_RELATIME,    0 },
        { "norelatime",  0,              MS_RELATIME },
        { "strictatime", MS_STRICTATIME, 0 },
};

/* Understood by the kernel's fuse mount code; passed on as given. */
static const char *const data_options[] = {
        "default_permissions", "max_read=", "context=", "fscontext=", "defcontext=", "rootcontext=",
};

/* Always set by us (allow_other) or meaningless here: accepted so that
 * command lines written for other lxcfs versions keep working. */
static const char *const ignored_options[] = {
        "allow_other", "nonempty", "fsname=", "subtype=", "big_writes", "direct_io",
};

static bool matches(const char *opt, const char *name)
{
        size_t n = strlen(name);

        return name[n - 1] == '=' ? strncmp(opt, name, n) == 0 && opt[n] : streq(opt, name);
}

static bool in_list(const char *opt, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (matches(opt, list[i]))
                        return true;
        return false;
}

static bool apply_flag(const char *opt, unsigned long *flags)
{
        for (size_t i = 0; i < ELEMENTSOF(flag_options); i++)
                if (streq(opt, flag_options[i].name)) {
                        *flags = (*flags & ~flag_options[i].clear) | flag_options[i].set;
                        return true;
                }
        return false;
}

static bool valid_max_read(const char *opt)
{
        const char *v = opt + strlen("max_read=");
        char *end;

        errno = 0;
        return strtoul(v, &end, 10) > 0 && !errno && *end == '\0' && *v != '-';
}

int mount_opts_parse(const char *opts, struct mount_opts *ret, char **bad)
{
        _cleanup_strbuf_ struct strbuf data = STRBUF_INIT;
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        *ret = (struct mount_opts) { 0 };
        *bad = NULL;
        if (!opts || !*opts)
                return 0;
        copy = strdup(opts);
        if (!copy)
                return -ENOMEM;
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                if (apply_flag(o, &ret->flags) || in_list(o, ignored_options, ELEMENTSOF(ignored_options)))
                        continue;
                if (in_list(o, data_options, ELEMENTSOF(data_options)) &&
                    (!startswith(o, "max_read=") || valid_max_read(o))) {
                        strbuf_printf(&data, "%s%s", data.len ? "," : "", o);
                        continue;
                }
                *bad = strdup(o);
                mount_opts_done(ret);
                return *bad ? -EINVAL : -ENOMEM;
        }
        if (strbuf_error(&data) < 0)
                return -ENOMEM;
        if (data.len)
                ret->data = strbuf_steal(&data, NULL);
        return 0;
}

void mount_opts_done(struct mount_opts *o)
{
        free(o->data);
        *o = (struct mount_opts) { 0 };
}
