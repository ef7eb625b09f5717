/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/log.h"
#include "lxcfs/strbuf.h"
#include "options.h"

enum {
        ARG_ENABLE_CFS = 0x100,
        ARG_DISABLE_CFS,
        ARG_ENABLE_LOADAVG,
        ARG_DISABLE_LOADAVG,
        ARG_ENABLE_PIDFD,
        ARG_ENABLE_CGROUP,
        ARG_RUNTIME_DIR,
};

static const struct option long_options[] = {
        { "help",            no_argument,       NULL, 'h' },
        { "version",         no_argument,       NULL, 'v' },
        { "debug",           no_argument,       NULL, 'd' },
        { "foreground",      no_argument,       NULL, 'f' },
        { "single",          no_argument,       NULL, 's' },
        { "enable-loadavg",  no_argument,       NULL, 'l' },
        { "disable-loadavg", no_argument,       NULL, ARG_DISABLE_LOADAVG },
        { "enable-cfs",      no_argument,       NULL, ARG_ENABLE_CFS },
        { "disable-cfs",     no_argument,       NULL, ARG_DISABLE_CFS },
        { "disable-swap",    no_argument,       NULL, 'u' },
        { "pidfile",         required_argument, NULL, 'p' },
        { "runtime-dir",     required_argument, NULL, ARG_RUNTIME_DIR },
        { "enable-pidfd",    no_argument,       NULL, ARG_ENABLE_PIDFD },
        { "enable-cgroup",   no_argument,       NULL, ARG_ENABLE_CGROUP },
        {}
};

static void usage(FILE *f, const char *prog)
{
        fprintf(f,
"Usage: %s [OPTIONS] [MOUNTPOINT]\n"
"\n"
"Serve per-container views of /proc and /sys files at MOUNTPOINT\n"
"(default " DEFAULT_MOUNTPOINT "), computed from the cgroup of each reader.\n"
"Stays in the foreground.\n"
"\n"
"Options:\n"
"  -h, --help             show this help and exit\n"
"  -v, --version          print the version and exit\n"
"  -d, --debug            log every request (implies --foreground)\n"
"  -f, --foreground       accepted for compatibility; always the case\n"
"  -s, --single           serve requests from one thread\n"
"  -l, --enable-loadavg   per-container /proc/loadavg (default)\n"
"      --disable-loadavg  show the host's /proc/loadavg\n"
"      --enable-cfs       limit visible CPUs by the CFS quota (default)\n"
"      --disable-cfs      visible CPUs follow the cpuset only\n"
"  -u, --disable-swap     show no swap in meminfo and swaps\n"
"  -p, --pidfile FILE     pidfile, locked while running (default " DEFAULT_RUNTIME_DIR "/lxcfs.pid)\n"
"      --runtime-dir DIR  directory of the default pidfile (default " DEFAULT_RUNTIME_DIR ")\n"
"  -o OPTIONS             FUSE mount options (comma separated; 'nonempty' is ignored)\n"
"      --enable-pidfd, --enable-cgroup\n"
"                         accepted for compatibility; no effect\n",
                prog);
}

/* Drop options that FUSE 3 does not know or that we always set. */
static void add_fuse_opts(struct strbuf *sb, const char *arg)
{
        _cleanup_free_ char *copy = strdup(arg);
        char *save = NULL;

        if (!copy) {
                sb->oom = true;
                return;
        }
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                if (streq(o, "nonempty") || streq(o, "allow_other"))
                        continue;
                strbuf_printf(sb, "%s%s", sb->len ? "," : "", o);
        }
}

enum parse_result options_parse(int argc, char **argv, struct daemon_options *ret)
{
        _cleanup_strbuf_ struct strbuf fuse_opts = STRBUF_INIT;
        struct daemon_options o = {
                .fs = { .use_cfs = true, .use_swap = true, .use_loadavg = true },
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "hvdfslup:o:", long_options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        usage(stdout, argv[0]);
                        return PARSE_EXIT_OK;
                case 'v':
                        printf("%s\n", LXCFS_VERSION);
                        return PARSE_EXIT_OK;
                case 'd':
                        o.debug = true;
                        break;
                case 'f':
                case ARG_ENABLE_PIDFD:
                case ARG_ENABLE_CGROUP:
                        break;
                case 's':
                        o.single_thread = true;
                        break;
                case 'l':
                        o.fs.use_loadavg = true;
                        break;
                case ARG_DISABLE_LOADAVG:
                        o.fs.use_loadavg = false;
                        break;
                case ARG_ENABLE_CFS:
                        o.fs.use_cfs = true;
                        break;
                case ARG_DISABLE_CFS:
                        o.fs.use_cfs = false;
                        break;
                case 'u':
                        o.fs.use_swap = false;
                        break;
                case 'p':
                        free(o.pidfile);
                        o.pidfile = strdup(optarg);
                        break;
                case ARG_RUNTIME_DIR:
                        free(o.runtime_dir);
                        o.runtime_dir = strdup(optarg);
                        break;
                case 'o':
                        add_fuse_opts(&fuse_opts, optarg);
                        break;
                default:
                        fprintf(stderr, "Try '%s --help' for the list of options.\n", argv[0]);
                        options_done(&o);
                        return PARSE_EXIT_USAGE;
                }
        }

        if (argc - optind > 1) {
                fprintf(stderr, "%s: expected one MOUNTPOINT, got %d arguments. "
                        "Try '%s --help'.\n", argv[0], argc - optind, argv[0]);
                options_done(&o);
                return PARSE_EXIT_USAGE;
        }
        o.mountpoint = strdup(optind < argc ? argv[optind] : DEFAULT_MOUNTPOINT);
        if (!o.runtime_dir)
                o.runtime_dir = strdup(DEFAULT_RUNTIME_DIR);
        if (fuse_opts.len)
                o.fuse_opts = strbuf_steal(&fuse_opts, NULL);
        if (!o.mountpoint || !o.runtime_dir || strbuf_error(&fuse_opts) < 0) {
                fprintf(stderr, "%s: out of memory\n", argv[0]);
                options_done(&o);
                return PARSE_EXIT_USAGE;
        }
        *ret = o;
        return PARSE_RUN;
}

void options_done(struct daemon_options *o)
{
        free(o->mountpoint);
        free(o->pidfile);
        free(o->runtime_dir);
        free(o->fuse_opts);
        *o = (struct daemon_options) { 0 };
}
