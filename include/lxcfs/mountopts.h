/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* -o OPTIONS of the daemon, split into mount(2) flags and the fuse mount
 * data we add to ours (fd=, rootmode=, user_id=, group_id=, allow_other). */

struct mount_opts {
        unsigned long flags;     /* MS_* to set */
        char *data;              /* comma separated, NULL when none */
};

/* 0, or -EINVAL with *bad set to a copy of the first option we do not
 * accept (the caller frees it). */
int mount_opts_parse(const char *opts, struct mount_opts *ret, char **bad);
void mount_opts_done(struct mount_opts *o);
