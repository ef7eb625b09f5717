/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OCI hook (createContainer stage): binds the files lxcfs serves into a
 * container as it is created, when policy.c says so. It reads the OCI state
 * on stdin and the bundle's config.json. A failure never fails the
 * container: it is logged and the hook exits 0.
 *
 *   lxcfs-oci-hook [MOUNTPOINT]     (default /var/lib/lxcfs)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "lxcfs/fileio.h"
#include "lxcfs/log.h"
#include "lxcfs/remount.h"
#include "lxcfs/vfile.h"
#include "policy.h"

#define DEFAULT_MOUNTPOINT "/var/lib/lxcfs"
#define MAX_STATE (1 << 20)

static int read_stdin(char **ret)
{
        _cleanup_free_ char *buf = malloc(MAX_STATE + 1);
        size_t len = 0;
        ssize_t n;

        if (!buf)
                return -ENOMEM;
        while (len < MAX_STATE && (n = read(STDIN_FILENO, buf + len, MAX_STATE - len)) != 0) {
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n > 0)
                        len += (size_t) n;
        }
        buf[len] = '\0';
        *ret = steal_pointer(&buf);
        return 0;
}

/* The rootfs as the runtime mounted it: config's root.path, under the
 * bundle when relative. Both come from the runtime, not the container. */
static int rootfs_path(const char *bundle, const char *config, char **ret)
{
        _cleanup_free_ char *root = NULL;

        if (json_string(json_path(config, "root", "path", NULL), &root) < 0)
                return -EINVAL;
        if (root[0] == '/') {
                *ret = steal_pointer(&root);
                return 0;
        }
        return asprintf(ret, "%s/%s", bundle, root) < 0 ? -ENOMEM : 0;
}

/* The OCI spec runs createContainer hooks in the container's mount
 * namespace, after the runtime mounted the rootfs and before pivot_root
 * (runc and crun do): the binds go there, and the lxcfs mount of the host
 * is still reachable. The state's pid cannot lead us elsewhere: runc
 * reports it as seen from the container's pid namespace. */
static int inject(const char *mountpoint, const char *rootfs, const char *id)
{
        struct remount_live live = REMOUNT_LIVE_INIT;
        const char *rel[32];
        int fds[32], results[32];
        size_t n = 0, bound = 0;
        _cleanup_close_ int root_fd = -1;
        int r;

        r = remount_live_open(mountpoint, &live);
        if (r < 0)
                return log_warning_errno(r, "Container %s: lxcfs is not live at %s (%m); nothing bound.",
                                         id, mountpoint);
        for (size_t i = 0; i < vfile_table_size && n < ELEMENTSOF(rel); i++)
                rel[n++] = vfile_table[i].path;
        remount_clone_files(&live, rel, n, fds);
        root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                r = log_warning_errno(errno, "Container %s: cannot open its rootfs %s: %m; nothing bound.",
                                      id, rootfs);
                goto out;
        }
        remount_attach_files(live.proc_fd, root_fd, rel, fds, n, results);
        for (size_t i = 0; i < n; i++) {
                if (results[i] == 0)
                        bound++;
                else if (results[i] == -ENOENT || results[i] == -EEXIST)
                        log_debug_errno(results[i], "Container %s: /%s not bound: %m", id, rel[i]);
                else
                        log_warning_errno(results[i], "Container %s: failed to bind /%s: %m", id, rel[i]);
        }
        log_info("Container %s: bound %zu lxcfs file%s from %s.", id, bound, bound == 1 ? "" : "s",
                 mountpoint);
out:
        for (size_t i = 0; i < n; i++)
                closep(&fds[i]);
        remount_live_done(&live);
        return r;
}

static int run(const char *mountpoint)
{
        _cleanup_free_ char *state = NULL, *bundle = NULL, *id = NULL, *config = NULL, *cfg_path = NULL,
                            *rootfs = NULL;
        enum hook_decision d;
        int r;

        r = read_stdin(&state);
        if (r < 0)
                return log_warning_errno(r, "Failed to read the OCI state on stdin: %m");
        if (!json_valid(state) || json_string(json_get(state, "bundle"), &bundle) < 0)
                return log_warning_errno(EINVAL, "The OCI state on stdin names no bundle; nothing bound.");
        if (json_string(json_get(state, "id"), &id) < 0)
                id = strdup("?");
        if (!id || asprintf(&cfg_path, "%s/config.json", bundle) < 0)
                return log_warning_errno(ENOMEM, "Out of memory.");
        r = read_file_at(AT_FDCWD, cfg_path, &config, NULL);
        if (r < 0)
                return log_warning_errno(r, "Container %s: failed to read %s: %m; nothing bound.", id, cfg_path);

        d = hook_decide(config, mountpoint);
        if (!hook_decision_injects(d)) {
                log_info("Container %s: not binding lxcfs: %s.", id, hook_decision_to_string(d));
                return 0;
        }
        r = rootfs_path(bundle, config, &rootfs);
        if (r < 0)
                return log_warning_errno(r, "Container %s: config.json names no root.path; nothing bound.", id);
        log_debug("Container %s: binding lxcfs: %s.", id, hook_decision_to_string(d));
        return inject(mountpoint, rootfs, id);
}

int main(int argc, char **argv)
{
        const char *mountpoint = argc > 1 ? argv[1] : DEFAULT_MOUNTPOINT;

        /* The runtime shows a hook's output nowhere useful: the journal when
         * there is one. LXCFS_HOOK_LOG=stderr for tests and debugging. */
        log_open(getenv("LXCFS_HOOK_LOG") && streq(getenv("LXCFS_HOOK_LOG"), "stderr") ? LOG_TARGET_STDERR :
                 access("/run/systemd/journal/socket", F_OK) == 0 ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR,
                 "lxcfs-oci-hook");
        log_add_field("LXCFS_MOUNTPOINT", mountpoint);
        (void) run(mountpoint);
        return EXIT_SUCCESS;   /* never fail the container */
}
