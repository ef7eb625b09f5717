/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A CDI (Container Device Interface) spec naming the files this daemon
 * serves: runtimes that read /run/cdi (podman, CRI-O, containerd with
 * enable_cdi, Docker 25+) bind them into a container that asks for the
 * device lxcfs.io/fs=all, with no edit of its spec.
 */

#include <stdbool.h>
#include <stddef.h>

#include "lxcfs/strbuf.h"
#include "lxcfs/vfile.h"

#define CDI_KIND "lxcfs.io/fs"
#define CDI_DEVICE "all"
#define CDI_DEFAULT_SPEC "/run/cdi/lxcfs.json"
/* Overrides the spec's path; empty: write none. */
#define CDI_SPEC_ENV "LXCFS_CDI_SPEC"

/* Whether a runtime accepts a bind of the served file path (relative to the
 * mount root) at /path: runc refuses binds under /proc except a short list. */
bool cdi_path_allowed(const char *path);

/* The spec's JSON for the files[] served at mountpoint (an absolute path). */
int cdi_spec_render(const char *mountpoint, const struct vfile *files, size_t n,
                    struct strbuf *out);

/* Where the daemon serving mountpoint writes its spec: $LXCFS_CDI_SPEC, else
 * CDI_DEFAULT_SPEC for the default mountpoint only (a second instance must
 * not replace the first one's device). NULL: none. */
const char *cdi_spec_path(const char *mountpoint, const char *default_mountpoint);

/* Write text to path atomically (a temporary file beside it, renamed). */
int cdi_spec_write(const char *path, const char *text);

/* At ready and at stop: log, never fail the daemon. */
/* files: the rows served (--disable-file ones are left out of the spec). */
void cdi_publish(const char *mountpoint, const char *default_mountpoint, const struct vfile *files,
                 size_t n);
void cdi_withdraw(const char *mountpoint, const char *default_mountpoint);
