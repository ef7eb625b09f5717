/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/render_cache.h"
#include "lxcfs/vmirror.h"

/* "cpu" followed by a decimal id and nothing else: cpu0, cpu12 (not
 * cpufreq, cpuidle, nor cpu01, which the kernel never names). */
static bool parse_cpu_entry(const char *name, unsigned *ret)
{
        unsigned long id;
        char *end;

        if (!startswith(name, "cpu") || !isdigit((unsigned char) name[3]))
                return false;
        if (name[3] == '0' && name[4] != '\0')
                return false;
        errno = 0;
        id = strtoul(name + 3, &end, 10);
        if (*end || (errno && errno != ERANGE))
                return false;
        if (errno == ERANGE)
                id = CPUSET_MAX;
        /* Beyond what a cpuset can name: in no reader's view. */
        *ret = id < CPUSET_MAX ? (unsigned) id : CPUSET_MAX;
        return true;
}

bool cpu_dir_entry_visible(const char *name, const struct vmirror_view *view)
{
        unsigned id;

        if (view->all || !parse_cpu_entry(name, &id))
                return true;
        return id < CPUSET_MAX && cpuset_has(&view->shown, id);
}

static bool covers(const struct cpuset *a, const struct cpuset *b)
{
        CPUSET_FOREACH(cpu, b)
                if (!cpuset_has(a, (unsigned) cpu))
                        return false;
        return true;
}

int cpu_dir_load_view(struct render_ctx *ctx, struct vmirror_view *ret)
{
        _cleanup_ttl_value_ struct ttl_value *text = NULL;
        struct cpuset online;
        int r;

        r = render_ctx_visible_cpus(ctx, &ret->shown);
        if (r >= 0)
                r = host_file_get(ctx->caches, HOST_CPU_ONLINE, &text);
        if (r >= 0)
                r = cpuset_parse(text->data, &online);
        if (r < 0)
                return r;
        /* A reader that sees every online CPU (the host, a container
         * without a cpuset or quota) gets the directory unfiltered, with
         * the cpuN entries of offline CPUs as the kernel lists them. */
        ret->all = covers(&ret->shown, &online);
        return 0;
}
