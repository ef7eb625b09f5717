/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "lxcfs/mountopts.h"
#include "lxcfs/vfile.h"

#define DEFAULT_MOUNTPOINT "/var/lib/lxcfs"
#define DEFAULT_RUNTIME_DIR "/run"

struct daemon_options {
        struct lxcfs_options fs;
        bool debug;
        char *mountpoint;
        char *pidfile;        /* NULL: <runtime dir>/lxcfs.pid */
        char *runtime_dir;
        struct mount_opts mount;   /* from -o */
        bool single_thread;
        bool passthrough;     /* FUSE_PASSTHROUGH reads where the kernel has them */
};

enum parse_result {
        PARSE_RUN,
        PARSE_EXIT_OK,        /* --help, --version */
        PARSE_EXIT_USAGE,
};

enum parse_result options_parse(int argc, char **argv, struct daemon_options *ret);
void options_done(struct daemon_options *o);
