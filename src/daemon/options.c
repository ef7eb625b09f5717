/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/conn.h"
#include "lxcfs/log.h"
#include "lxcfs/strbuf.h"
#include "lxcfs/vmirror.h"
#include "options.h"

enum {
        ARG_ENABLE_CFS = 0x100,
        ARG_DISABLE_CFS,
        ARG_ENABLE_LOADAVG,
        ARG_DISABLE_LOADAVG,
        ARG_ENABLE_PIDFD,
        ARG_ENABLE_CGROUP,
        ARG_RUNTIME_DIR,
        ARG_PASSTHROUGH,
        ARG_NO_PASSTHROUGH,
        ARG_DISABLE_FILE,
        ARG_LIST_FILES,
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
        { "passthrough",     no_argument,       NULL, ARG_PASSTHROUGH },
        { "no-passthrough",  no_argument,       NULL, ARG_NO_PASSTHROUGH },
        { "disable-file",    required_argument, NULL, ARG_DISABLE_FILE },
        { "list-files",      no_argument,       NULL, ARG_LIST_FILES },
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
"      --passthrough      let the kernel read the text rendered at open itself\n"
"                         (FUSE_PASSTHROUGH): faster, but a reader that reads an\n"
"                         open file again from offset 0 sees the old text\n"
"      --no-passthrough   serve every read from the daemon (default)\n"
"  -p, --pidfile FILE     pidfile, locked while running (default " DEFAULT_RUNTIME_DIR "/lxcfs.pid)\n"
"      --runtime-dir DIR  directory of the default pidfile (default " DEFAULT_RUNTIME_DIR ")\n"
"      --disable-file PATH  do not serve PATH (e.g. proc/slabinfo, or the host's entries\n"
"                           of sys/devices/system/cpu); repeatable\n"
"      --list-files       print the files served (with the options given) and exit\n"
"  -o OPTIONS             mount options (comma separated): ro, nosuid, noexec, ...,\n"
"                         default_permissions, max_read=N; see lxcfs(8)\n"
"      --enable-pidfd, --enable-cgroup\n"
"                         accepted for compatibility; no effect\n",
                prog);
}

/* -o may be given several times; each value is a comma separated list. */
static void add_mount_opts(struct strbuf *sb, const char *arg)
{
        strbuf_printf(sb, "%s%s", sb->len ? "," : "", arg);
}

/* --disable-file names a row of the table, as --list-files prints it. */
static int add_disabled_file(struct lxcfs_options *fs, const char *prog, const char *arg)
{
        char **list;

        while (arg[0] == '/')
                arg++;
        if (!vfile_find(arg) && !vmirror_find(arg)) {
                fprintf(stderr, "%s: --disable-file: '%s' is not a file lxcfs serves; "
                        "see '%s --list-files'.\n", prog, arg, prog);
                return -EINVAL;
        }
        list = reallocarray(fs->disabled_files, fs->n_disabled_files + 1, sizeof(*list));
        if (!list)
                return -ENOMEM;
        fs->disabled_files = list;
        list[fs->n_disabled_files] = strdup(arg);
        if (!list[fs->n_disabled_files])
                return -ENOMEM;
        fs->n_disabled_files++;
        return 0;
}

/* One line per file: path, mode, what it shows (tests and docs read it). */
static void list_files(const struct lxcfs_options *fs)
{
        const struct vfile *f;

        for (size_t i = 0; (f = vfile_row(i)); i++)
                if (!vfile_disabled(fs, f))
                        printf("%s\t%04o\t%s\n", f->path, (unsigned) f->mode, f->summary);
}

static void print_version(void)
{
        printf("%s\n", LXCFS_VERSION);
        printf("connection handover: systemd fd store (restart, upgrade and crash keep the mount)\n");
        printf("requests in flight at a crash: %s\n",
               kernel_has_fuse_resend() ? "resent by the kernel (FUSE_NOTIFY_RESEND)"
                                        : "replayed from the daemon's journal (kernel without "
                                          "FUSE_NOTIFY_RESEND)");
        printf("reads: %s\n",
               kernel_has_fuse_passthrough() ? "passthrough (FUSE_PASSTHROUGH; through the daemon if "
                                               "the kernel refuses it; only with --passthrough)"
                                             : "through the daemon (kernel without FUSE_PASSTHROUGH)");
}

enum parse_result options_parse(int argc, char **argv, struct daemon_options *ret)
{
        _cleanup_strbuf_ struct strbuf mount_opts = STRBUF_INIT;
        _cleanup_free_ char *bad = NULL;
        struct daemon_options o = {
                .fs = { .use_cfs = true, .use_swap = true, .use_loadavg = true },
                .passthrough = false,
        };
        bool list = false;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "hvdfslup:o:", long_options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        usage(stdout, argv[0]);
                        return PARSE_EXIT_OK;
                case 'v':
                        print_version();
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
                case ARG_PASSTHROUGH:
                        o.passthrough = true;
                        break;
                case ARG_NO_PASSTHROUGH:
                        o.passthrough = false;
                        break;
                case ARG_RUNTIME_DIR:
                        free(o.runtime_dir);
                        o.runtime_dir = strdup(optarg);
                        break;
                case 'o':
                        add_mount_opts(&mount_opts, optarg);
                        break;
                case ARG_DISABLE_FILE:
                        if (add_disabled_file(&o.fs, argv[0], optarg) < 0) {
                                options_done(&o);
                                return PARSE_EXIT_USAGE;
                        }
                        break;
                case ARG_LIST_FILES:
                        list = true;
                        break;
                default:
                        fprintf(stderr, "Try '%s --help' for the list of options.\n", argv[0]);
                        options_done(&o);
                        return PARSE_EXIT_USAGE;
                }
        }

        if (list) {
                list_files(&o.fs);
                options_done(&o);
                return PARSE_EXIT_OK;
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
        if (!o.mountpoint || !o.runtime_dir || strbuf_error(&mount_opts) < 0 ||
            mount_opts_parse(mount_opts.data, &o.mount, &bad) == -ENOMEM) {
                fprintf(stderr, "%s: out of memory\n", argv[0]);
                options_done(&o);
                return PARSE_EXIT_USAGE;
        }
        if (bad) {
                fprintf(stderr, "%s: unknown mount option '%s' in -o. Accepted: ro, rw, [no]suid, "
                        "[no]dev, [no]exec, [a]sync, dirsync, [no]atime, [no]diratime, [no]relatime, "
                        "strictatime, default_permissions, max_read=N, SELinux context options; "
                        "allow_other, nonempty, fsname=, subtype=, big_writes, direct_io are "
                        "accepted and ignored.\n", argv[0], bad);
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
        mount_opts_done(&o->mount);
        for (size_t i = 0; i < o->fs.n_disabled_files; i++)
                free(o->fs.disabled_files[i]);
        free(o->fs.disabled_files);
        *o = (struct daemon_options) { 0 };
}
