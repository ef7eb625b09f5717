/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "json.h"
#include "lxcfs/macro.h"
#include "policy.h"

static const char *const decision_names[] = {
        [HOOK_INJECT_LIMIT] = "the container has a memory or CPU limit",
        [HOOK_INJECT_ANNOTATION] = "annotation " HOOK_ANNOTATION "=true",
        [HOOK_SKIP_OPT_OUT] = "annotation " HOOK_ANNOTATION "=false",
        [HOOK_SKIP_NO_LIMIT] = "no memory or CPU limit and no " HOOK_ANNOTATION " annotation",
        [HOOK_SKIP_ALREADY_BOUND] = "its spec binds lxcfs files already",
        [HOOK_SKIP_BAD_CONFIG] = "config.json is not a JSON object",
};

const char *hook_decision_to_string(enum hook_decision d) { return decision_names[d]; }

/* 1 true, 0 false, -1 absent or neither. */
static int annotation(const char *config)
{
        _cleanup_free_ char *v = NULL;

        if (json_string(json_path(config, "annotations", HOOK_ANNOTATION, NULL), &v) < 0)
                return -1;
        if (streq(v, "true") || streq(v, "1"))
                return 1;
        if (streq(v, "false") || streq(v, "0"))
                return 0;
        return -1;
}

static bool positive(const char *value)
{
        long long v;

        return json_int(value, &v) == 0 && v > 0;
}

static bool has_limit(const char *config)
{
        const char *res = json_path(config, "linux", "resources", NULL);
        _cleanup_free_ char *cpus = NULL;

        if (!res)
                return false;
        if (positive(json_path(res, "memory", "limit", NULL)) ||
            positive(json_path(res, "cpu", "quota", NULL)))
                return true;
        return json_string(json_path(res, "cpu", "cpus", NULL), &cpus) == 0 && cpus[0];
}

static bool binds_lxcfs(const char *config, const char *mountpoint)
{
        size_t len = strlen(mountpoint);

        for (const char *m = json_first(json_get(config, "mounts")); m; m = json_next(m)) {
                _cleanup_free_ char *src = NULL;

                if (json_string(json_get(m, "source"), &src) == 0 && !strncmp(src, mountpoint, len) &&
                    (src[len] == '/' || src[len] == '\0'))
                        return true;
        }
        return false;
}

enum hook_decision hook_decide(const char *config, const char *mountpoint)
{
        int a;

        if (!json_valid(config) || config[strspn(config, " \t\r\n")] != '{')
                return HOOK_SKIP_BAD_CONFIG;
        a = annotation(config);
        if (a == 0)
                return HOOK_SKIP_OPT_OUT;
        if (binds_lxcfs(config, mountpoint))
                return HOOK_SKIP_ALREADY_BOUND;
        if (a == 1)
                return HOOK_INJECT_ANNOTATION;
        return has_limit(config) ? HOOK_INJECT_LIMIT : HOOK_SKIP_NO_LIMIT;
}
