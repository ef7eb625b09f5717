/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether the OCI hook binds lxcfs into a container, from its config.json. */

#define HOOK_ANNOTATION "io.lxcfs.enable"

enum hook_decision {
        HOOK_INJECT_LIMIT,        /* a memory or CPU limit */
        HOOK_INJECT_ANNOTATION,   /* io.lxcfs.enable=true */
        HOOK_SKIP_OPT_OUT,        /* io.lxcfs.enable=false */
        HOOK_SKIP_NO_LIMIT,       /* nothing to show: the host's values are right */
        HOOK_SKIP_ALREADY_BOUND,  /* its spec binds files of the mountpoint */
        HOOK_SKIP_BAD_CONFIG,     /* not a JSON object */
};

const char *hook_decision_to_string(enum hook_decision d);
static inline int hook_decision_injects(enum hook_decision d) { return d <= HOOK_INJECT_ANNOTATION; }
/* Pure: config is config.json's text, mountpoint the live lxcfs mount. */
enum hook_decision hook_decide(const char *config, const char *mountpoint);
