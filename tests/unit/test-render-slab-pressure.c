/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc/slabinfo and the proc/pressure files on the fixture trees: the reader's
 * cgroup file where that cgroup version has one, the host's otherwise,
 * and an error (never the host's text) for a damaged cgroup file. */
#include <stdlib.h>
#include <string.h>

#include "lxcfs/render.h"
#include "test-cgroup-util.h"

static char *render_slab(const char *host, const char *cgroup, int *ret)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

        *ret = slabinfo_render(&(struct slabinfo_input) { .host = host, .cgroup = cgroup }, &out);
        return strbuf_steal(&out, NULL);
}

static char *render_pressure(const char *host, const char *cgroup, int *ret)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;

        *ret = pressure_render(&(struct pressure_input) { .host = host, .cgroup = cgroup }, &out);
        return strbuf_steal(&out, NULL);
}

static char *reader_file(const struct cg_hierarchies *h, const char *reader_fixture, enum cg_controller c,
                         bool unified, const char *name, int *ret)
{
        struct cg_reader r = { 0 };
        char *text = NULL;

        load_reader(h, reader_fixture, &r);
        *ret = cg_reader_file(&r, c, unified, name, &text);
        cg_reader_done(&r);
        return text;
}

static void test_slabinfo_v1(void)
{
        _cleanup_free_ char *host = tap_fixture("proc/slabinfo");
        _cleanup_free_ char *old = tap_fixture("cgroup/v1/sys/fs/cgroup/memory/lxcfsfix/inherit/memory.kmem.slabinfo");
        _cleanup_free_ char *cg = NULL, *out = NULL, *cg2 = NULL, *out2 = NULL, *cg3 = NULL, *out3 = NULL;
        struct cg_hierarchies h;
        int r;

        tap_ok(open_tree(&h, "cgroup/v1", "mountinfo") == 0, "open the v1 tree");

        /* Linux 6.18: the file is there and empty. */
        cg = reader_file(&h, "cgroup/v1/proc-cgroup.limited", CG_MEMORY, false, "memory.kmem.slabinfo", &r);
        tap_ok(r == 0 && cg && cg[0] == '\0', "the 6.18 memory.kmem.slabinfo is empty");
        out = render_slab(host, cg, &r);
        tap_ok(r == 0 && streq(out, host), "empty cgroup file: the host's slabinfo, whole");

        /* Kernels before 5.9: the cgroup's own caches. */
        cg2 = reader_file(&h, "cgroup/v1/proc-cgroup.inherit", CG_MEMORY, false, "memory.kmem.slabinfo", &r);
        tap_ok(r == 0 && cg2 && streq(cg2, old), "the reader's own memory.kmem.slabinfo is read");
        out2 = render_slab(host, cg2, &r);
        tap_ok(r == 0 && streq(out2, old), "per-cgroup caches: shown as the kernel wrote them");

        /* A v1 file asked for on cgroup2, and the root cgroup: no view. */
        tap_ok(!reader_file(&h, "cgroup/v1/proc-cgroup.inherit", CG_MEMORY, true, "memory.kmem.slabinfo", &r) &&
               r == -ENOENT, "memory is not on cgroup2 here: -ENOENT");

        cg3 = tap_fixture("cgroup/v1/sys/fs/cgroup/memory/lxcfsfix/garbage/memory.kmem.slabinfo");
        out3 = render_slab(host, cg3, &r);
        tap_ok(r == -EINVAL, "damaged memory.kmem.slabinfo: -EINVAL, not the host's text");
        free(out3);
        out3 = render_slab(host, NULL, &r);
        tap_ok(r == 0 && streq(out3, host), "no cgroup file: the host's slabinfo");
        cg_hierarchies_close(&h);
}

static void test_pressure_v2(void)
{
        static const char *const kinds[] = { "cpu", "memory", "io" };
        _cleanup_free_ char *garbage = NULL;
        struct cg_hierarchies h;
        int r;

        tap_ok(open_tree(&h, "cgroup/v2", "mountinfo") == 0, "open the v2 tree");
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                _cleanup_free_ char *cg = NULL, *out = NULL, *want = NULL;
                char name[32], path[PATH_MAX];

                snprintf(name, sizeof(name), "%s.pressure", kinds[i]);
                snprintf(path, sizeof(path),
                         "cgroup/v2/sys/fs/cgroup/lxcfsfix.slice/lxcfsfix-limited.service/%s", name);
                want = tap_fixture(path);
                cg = reader_file(&h, "cgroup/v2/proc-cgroup.lxcfsfix-limited.service", CG_CPU, true, name, &r);
                tap_ok(r == 0 && cg, "%s of the reader's cgroup is read", name);
                out = render_pressure("host\n", cg, &r);
                tap_ok(r == 0 && out && streq(out, want), "%s: the cgroup's text, in the kernel's format", name);
        }
        {
                struct cg_reader root = { 0 };
                char *text = NULL;

                tap_ok(cg_reader_parse(&h, "0::/\n", &root) == 0, "parse a root-cgroup reader");
                r = cg_reader_file(&root, CG_CPU, true, "cpu.pressure", &text);
                tap_ok(r == -ENOENT && !text, "a reader in the root cgroup has no view (host file)");
                cg_reader_done(&root);
        }
        tap_ok(!reader_file(&h, "cgroup/v2/proc-cgroup.lxcfsfix-limited.service", CG_CPU, false, "cpu.pressure",
                            &r) && r == -ENOENT, "v2 tree: a v1 lookup finds nothing");
        garbage = tap_fixture("cgroup/v2/sys/fs/cgroup/lxcfsfix.slice/garbage.service/cpu.pressure");
        free(render_pressure("host\n", garbage, &r));
        tap_ok(r == -EINVAL, "damaged cpu.pressure: -EINVAL, not the host's text");
        free(render_pressure("host\n", "", &r));
        tap_ok(r == -EINVAL, "empty cpu.pressure: -EINVAL");
        cg_hierarchies_close(&h);
}

static void test_pressure_v1(void)
{
        _cleanup_free_ char *out = NULL;
        struct cg_hierarchies h;
        int r;

        tap_ok(open_tree(&h, "cgroup/v1", "mountinfo") == 0, "open the v1 (hybrid) tree");
        tap_ok(!reader_file(&h, "cgroup/v1/proc-cgroup.limited", CG_CPU, true, "cpu.pressure", &r) &&
               r == -ENOENT, "cpu is on v1: no per-cgroup pressure");
        out = render_pressure("some avg10=1.00 avg60=0.50 avg300=0.10 total=42\n", NULL, &r);
        tap_ok(r == 0 && streq(out, "some avg10=1.00 avg60=0.50 avg300=0.10 total=42\n"),
               "the host's file, unchanged");
        cg_hierarchies_close(&h);
}

int main(void)
{
        test_slabinfo_v1();
        test_pressure_v2();
        test_pressure_v1();
        return tap_done();
}
