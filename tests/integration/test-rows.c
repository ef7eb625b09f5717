/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A virtual file that exists only in the lxcfs-test-rows binary: one pure
 * renderer and one row, nothing else. table.sh reads it through a real
 * mount to show that the row is all the daemon needs. */
#include "lxcfs/render.h"
#include "lxcfs/vfile.h"

struct whoami_input {
        pid_t pid;
        const char *memory_cgroup; /* NULL: unknown */
};

static int whoami_render(const struct whoami_input *in, struct strbuf *out)
{
        strbuf_printf(out, "pid %d\nmemory %s\n", (int) in->pid,
                      in->memory_cgroup ? in->memory_cgroup : "?");
        return strbuf_error(out);
}

static int whoami_generate(struct render_ctx *ctx, struct strbuf *out)
{
        const struct cg_reader *reader;
        int r;

        r = render_ctx_reader(ctx, &reader);
        if (r < 0 && !render_view_missing(r))
                return r;
        return whoami_render(&(struct whoami_input) {
                                .pid = ctx->pid,
                                .memory_cgroup = r >= 0 ? reader->path[CG_MEMORY] : NULL },
                             out);
}

static const struct vfile rows[] = {
        { "test/whoami", 0440, HOST_UPTIME, NULL, "the reader's pid and memory cgroup",
          whoami_generate },
};

const struct vfile_rows vfile_test_rows = { rows, ELEMENTSOF(rows) };
