/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdi.h"
#include "lxcfs/log.h"
#include "lxcfs/macro.h"

/* The /proc files runc (libcontainer's checkProcMount) lets a container
 * bind over; crun follows it. Anything else under /proc fails the start. */
static const char *const runc_proc_allowed[] = {
        "proc/cpuinfo", "proc/diskstats", "proc/meminfo", "proc/stat",
        "proc/swaps", "proc/uptime", "proc/loadavg", "proc/slabinfo",
};

bool cdi_path_allowed(const char *path)
{
        if (!startswith(path, "proc/"))
                return startswith(path, "sys/");
        for (size_t i = 0; i < ELEMENTSOF(runc_proc_allowed); i++)
                if (streq(path, runc_proc_allowed[i]))
                        return true;
        return false;
}

static void json_string(struct strbuf *out, const char *s)
{
        strbuf_puts(out, "\"");
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        strbuf_printf(out, "\\%c", *p);
                else if (*p < 0x20)
                        strbuf_printf(out, "\\u%04x", *p);
                else
                        strbuf_append(out, (const char *) p, 1);
        }
        strbuf_puts(out, "\"");
}

int cdi_spec_render(const char *mountpoint, const struct vfile *files, size_t n,
                    struct strbuf *out)
{
        bool first = true;
        size_t root_len = strlen(mountpoint);

        if (mountpoint[0] != '/')
                return -EINVAL;
        /* "/" as the mountpoint would give "//proc/...": drop the slash. */
        while (root_len > 0 && mountpoint[root_len - 1] == '/')
                root_len--;

        /* cdiVersion 0.3.0 and no mount "type": the CDI library of podman
         * 4.3 (v0.5) knows versions up to 0.5.0 and rejects unknown fields. */
        strbuf_puts(out, "{\n  \"cdiVersion\": \"0.3.0\",\n  \"kind\": \"" CDI_KIND "\",\n"
                         "  \"devices\": [\n    {\n      \"name\": \"" CDI_DEVICE "\",\n"
                         "      \"containerEdits\": {\n        \"mounts\": [");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *host = NULL;

                if (!cdi_path_allowed(files[i].path))
                        continue;
                if (asprintf(&host, "%.*s/%s", (int) root_len, mountpoint, files[i].path) < 0)
                        return -ENOMEM;
                strbuf_puts(out, first ? "\n" : ",\n");
                strbuf_puts(out, "          { \"hostPath\": ");
                json_string(out, host);
                strbuf_printf(out, ", \"containerPath\": \"/%s\", \"options\": "
                              "[\"ro\", \"nosuid\", \"nodev\", \"noexec\", \"bind\"] }",
                              files[i].path);
                first = false;
        }
        strbuf_puts(out, "\n        ]\n      }\n    }\n  ]\n}\n");
        return strbuf_error(out);
}

const char *cdi_spec_path(const char *mountpoint, const char *default_mountpoint)
{
        const char *env = getenv(CDI_SPEC_ENV);

        if (env)
                return env[0] ? env : NULL;
        return streq(mountpoint, default_mountpoint) ? CDI_DEFAULT_SPEC : NULL;
}

int cdi_spec_write(const char *path, const char *text)
{
        _cleanup_free_ char *dir = strdup(path), *tmp = NULL;
        _cleanup_close_ int fd = -1;
        size_t len = strlen(text);
        char *slash;

        if (!dir || asprintf(&tmp, "%s.XXXXXX", path) < 0)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Readers (runtimes, any user) need to read it; mkostemp made 0600. */
        errno = 0;
        if (fchmod(fd, 0644) < 0 || write(fd, text, len) != (ssize_t) len || fsync(fd) < 0 ||
            rename(tmp, path) < 0) {
                int r = errno ? -errno : -EIO;

                (void) unlink(tmp);
                return r;
        }
        return 0;
}

void cdi_publish(const char *mountpoint, const char *default_mountpoint, const struct vfile *files,
                 size_t n)
{
        _cleanup_strbuf_ struct strbuf text = STRBUF_INIT;
        _cleanup_free_ char *root = NULL;
        const char *path = cdi_spec_path(mountpoint, default_mountpoint);
        int r;

        if (!path)
                return;
        root = realpath(mountpoint, NULL);
        if (!root) {
                log_warning_errno(errno, "Failed to resolve %s for the CDI spec %s: %m",
                                  mountpoint, path);
                return;
        }
        r = cdi_spec_render(root, files, n, &text);
        if (r >= 0)
                r = cdi_spec_write(path, text.data);
        if (r < 0)
                log_warning_errno(r, "Failed to write the CDI spec %s: %m; containers cannot "
                                  "ask for " CDI_KIND "=" CDI_DEVICE ".", path);
        else
                log_info("Wrote the CDI spec %s (device " CDI_KIND "=" CDI_DEVICE ").", path);
}

void cdi_withdraw(const char *mountpoint, const char *default_mountpoint)
{
        const char *path = cdi_spec_path(mountpoint, default_mountpoint);

        if (path && unlink(path) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove the CDI spec %s: %m", path);
}
