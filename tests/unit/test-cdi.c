/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CDI spec the daemon writes: its exact text, what it leaves out, and
 * the atomic write. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cdi.h"
#include "lxcfs/fileio.h"
#include "tap.h"

static int no_render(struct render_ctx *ctx, struct strbuf *out) { return 0; }

static const struct vfile files[] = {
        { .path = "proc/meminfo", .mode = 0444, .generate = no_render },
        { .path = "proc/pressure/cpu", .mode = 0444, .generate = no_render },   /* runc refuses it: left out */
        { .path = "proc/uptime", .mode = 0444, .generate = no_render },
        { .path = "sys/devices/system/cpu/online", .mode = 0444, .generate = no_render },
};

static const char expected[] =
"{\n"
"  \"cdiVersion\": \"0.3.0\",\n"
"  \"kind\": \"lxcfs.io/fs\",\n"
"  \"devices\": [\n"
"    {\n"
"      \"name\": \"all\",\n"
"      \"containerEdits\": {\n"
"        \"mounts\": [\n"
"          { \"hostPath\": \"/var/lib/lx\\\"cfs\\\\/proc/meminfo\", \"containerPath\": \"/proc/meminfo\", \"options\": [\"ro\", \"nosuid\", \"nodev\", \"noexec\", \"bind\"] },\n"
"          { \"hostPath\": \"/var/lib/lx\\\"cfs\\\\/proc/uptime\", \"containerPath\": \"/proc/uptime\", \"options\": [\"ro\", \"nosuid\", \"nodev\", \"noexec\", \"bind\"] },\n"
"          { \"hostPath\": \"/var/lib/lx\\\"cfs\\\\/sys/devices/system/cpu/online\", \"containerPath\": \"/sys/devices/system/cpu/online\", \"options\": [\"ro\", \"nosuid\", \"nodev\", \"noexec\", \"bind\"] }\n"
"        ]\n"
"      }\n"
"    }\n"
"  ]\n"
"}\n";

static void test_render(void)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT, rel = STRBUF_INIT;

        tap_ok(cdi_spec_render("/var/lib/lx\"cfs\\/", files, ELEMENTSOF(files), &out) == 0 &&
               streq(out.data, expected), "spec text: escaped host paths, pressure left out");
        if (!out.data || !streq(out.data, expected))
                tap_diag_text(out.data);
        tap_ok(cdi_spec_render("var/lib/lxcfs", files, ELEMENTSOF(files), &rel) == -EINVAL,
               "a relative mountpoint is refused");
}

static void test_served_files(void)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        size_t n_allowed = 0, n_found = 0, n_mounts = 0;

        tap_ok(cdi_spec_render("/var/lib/lxcfs", vfile_table, vfile_table_size, &out) == 0,
               "spec of the daemon's own table renders");
        for (size_t i = 0; i < vfile_table_size; i++) {
                _cleanup_free_ char *needle = NULL;

                if (!cdi_path_allowed(vfile_table[i].path))
                        continue;
                n_allowed++;
                if (asprintf(&needle, "\"containerPath\": \"/%s\"", vfile_table[i].path) > 0 &&
                    strstr(out.data, needle))
                        n_found++;
        }
        for (const char *p = out.data; (p = strstr(p, "\"hostPath\"")); p++)
                n_mounts++;
        tap_ok(n_allowed == 9 && n_found == n_allowed && n_mounts == n_allowed,
               "one mount per served file runc accepts (%zu files)", n_allowed);
        tap_ok(cdi_path_allowed("proc/meminfo") && cdi_path_allowed("proc/loadavg") &&
               !cdi_path_allowed("proc/pressure/memory") && !cdi_path_allowed("proc/sys/kernel") &&
               cdi_path_allowed("sys/devices/system/cpu/online"),
               "runc's /proc list decides");
}

static void test_path(void)
{
        unsetenv(CDI_SPEC_ENV);
        tap_ok(streq(cdi_spec_path("/var/lib/lxcfs", "/var/lib/lxcfs"), CDI_DEFAULT_SPEC),
               "the default instance writes " CDI_DEFAULT_SPEC);
        tap_ok(cdi_spec_path("/tmp/x", "/var/lib/lxcfs") == NULL,
               "another mountpoint writes none by default");
        setenv(CDI_SPEC_ENV, "/tmp/s.json", 1);
        tap_ok(streq(cdi_spec_path("/tmp/x", "/var/lib/lxcfs"), "/tmp/s.json"),
               CDI_SPEC_ENV " names the file");
        setenv(CDI_SPEC_ENV, "", 1);
        tap_ok(cdi_spec_path("/var/lib/lxcfs", "/var/lib/lxcfs") == NULL,
               "an empty " CDI_SPEC_ENV " writes none");
        unsetenv(CDI_SPEC_ENV);
}

static void test_write(void)
{
        char dir[] = "/tmp/test-cdi.XXXXXX";
        _cleanup_free_ char *path = NULL, *text = NULL, *rm = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        struct stat st;
        int n_entries = 0;

        if (!mkdtemp(dir) || asprintf(&path, "%s/cdi/lxcfs.json", dir) < 0) {
                tap_ok(0, "temporary directory");
                return;
        }
        tap_ok(cdi_spec_write(path, "old\n") == 0 && cdi_spec_write(path, "{}\n") == 0,
               "written twice, creating its directory");
        tap_ok(read_file_at(AT_FDCWD, path, &text, NULL) == 0 && streq(text, "{}\n") &&
               stat(path, &st) == 0 && (st.st_mode & 07777) == 0644,
               "the second text replaced the first; mode 0644");
        path[strlen(path) - strlen("/lxcfs.json")] = '\0';
        d = opendir(path);
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        n_entries++;
        tap_ok(n_entries == 1, "no temporary file left beside it");
        tap_ok(cdi_spec_write("/proc/no/such/dir/lxcfs.json", "{}") < 0, "an unwritable path fails");
        if (asprintf(&rm, "rm -rf '%s'", dir) > 0 && system(rm) != 0)
                tap_diag_text("cleanup failed");
}

int main(void)
{
        test_render();
        test_served_files();
        test_path();
        test_write();
        tap_done();
}
