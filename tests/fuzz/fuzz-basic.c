/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The small parsers every reader builds on: numbers ("max" included),
 * "key value" and "Key: N kB" lookups, line iteration, cpuset range lists
 * (cpuset.cpus, .../cpu/online) and cgroup.procs/tasks pid lists. */

#include <assert.h>

#include "fuzz.h"
#include "loadavg-internal.h"
#include "lxcfs/cpuset.h"
#include "lxcfs/parse.h"
#include "lxcfs/strbuf.h"

/* What cpuset_format() writes, cpuset_parse() reads back to the same set. */
static void cpuset_roundtrip(const char *text)
{
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        struct cpuset set, again;

        if (cpuset_parse(text, &set) < 0)
                return;
        cpuset_format(&set, &out);
        assert(!out.oom);
        if (cpuset_parse(out.data ? out.data : "", &again) < 0 || memcmp(&set, &again, sizeof(set)) != 0)
                abort();
        assert(cpuset_count(&set) <= CPUSET_MAX);
}

static void lines(const char *text)
{
        const char *line, *end = text + strlen(text);
        size_t pos = 0, len;

        while ((line = next_line(text, &pos, &len)))
                assert(line >= text && line + len <= end && text + pos <= end);
}

static void pid_list(const char *text)
{
        unsigned count;
        pid_t max, pid;
        size_t pos = 0;

        if (task_list_summarize(text, &count, &max) == 0)
                assert(max >= 0);
        while (task_list_next(text, &pos, &pid) > 0)
                assert(pid > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        uint64_t u;
        int64_t i;

        (void) parse_u64(text, &u);
        (void) parse_i64(text, &i);
        (void) keyed_u64(text, "user", &u);
        (void) keyed_u64(text, "usage_usec", &u);
        (void) meminfo_kb(text, "MemTotal", &u);
        (void) meminfo_kb(text, "SwapFree", &u);
        lines(text);
        cpuset_roundtrip(text);
        pid_list(text);
        return 0;
}
