/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mountinfo text, as its two readers see it: lxcfs-remount's pick of
 * fuse.lxcfs entries (own line filter, then libmount) and the daemon's
 * cgroup hierarchy detection (mount points opened below the hybrid
 * fixture tree, so lines that name real fixture directories do open). */

#include <assert.h>

#include "fuzz.h"
#include "lxcfs/cgroup.h"
#include "lxcfs/remount.h"
#include "remount-internal.h"

static void remount_entries(const char *text)
{
        static const dev_t others[] = { 60, 61 };
        struct remount_entry *e;
        size_t n;

        if (remount_parse_mountinfo(text, 59, others, ELEMENTSOF(others), &e, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                assert(e[i].root && e[i].target);
                /* An entry whose root would leave the lxcfs tree is never healed. */
                assert(e[i].state != REMOUNT_STALE || remount_root_is_valid(e[i].root));
        }
        remount_entries_free(e, n);
}

static void cgroup_layout(const char *text)
{
        struct cg_hierarchies h;

        if (cg_hierarchies_open(&h, text, FIXTURES_DIR "/cgroup/hybrid") == 0)
                assert(h.layout != CG_LAYOUT_NONE);
        cg_hierarchies_close(&h);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_logs();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);

        remount_entries(text);
        cgroup_layout(text);
        return 0;
}
