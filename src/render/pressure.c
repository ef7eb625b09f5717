/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/pressure/{cpu,memory,io}. On cgroup v2 every cgroup has its own
 * cpu.pressure, memory.pressure and io.pressure, in the format of the
 * host's files: the reader's are shown as they are. cgroup v1 has none,
 * so there the reader sees the host's. One renderer serves the three
 * rows; the row names the cgroup and host files. */

#include <string.h>

#include "lxcfs/log.h"
#include "lxcfs/render.h"

/* Every line is "some ..." or "full ...": anything else is not a pressure
 * file, and showing it would mislead the programs that parse it. */
static bool pressure_text_valid(const char *text)
{
        if (text[0] == '\0')
                return false;
        for (const char *p = text; *p; ) {
                const char *nl = strchr(p, '\n');

                if (!startswith(p, "some ") && !startswith(p, "full "))
                        return false;
                if (!nl)
                        break;
                p = nl + 1;
        }
        return true;
}

/* Pressure files are in every cgroup2 cgroup whatever controllers it has;
 * CG_CPU on v2 stands for "the reader's cgroup on v2". */
static const struct cgroup_copy pressure_copy = {
        .controller = CG_CPU,
        .unified = true,
        .valid = pressure_text_valid,
};

int pressure_render(const struct pressure_input *in, struct strbuf *out)
{
        return cgroup_copy_render(&pressure_copy, in->host, in->cgroup, out);
}

int pressure_generate(struct render_ctx *ctx, struct strbuf *out)
{
        return cgroup_copy_generate(ctx, &pressure_copy, out);
}
