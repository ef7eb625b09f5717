/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The FUSE layer's own state, without the kernel: inode numbers that stay
 * fixed per path, and handles that never resolve unless this process
 * issued them (a handle from a previous daemon must not crash or alias). */
#include <stdlib.h>
#include <string.h>

#include "lxcfs/handles.h"
#include "lxcfs/vtree.h"
#include "tap.h"

#define PROC_MEMINFO_INO 0x8cacd7f3u

static int dummy_generate(struct render_ctx *ctx, struct strbuf *out) { return 0; }

static const struct vfile files[] = {
        { .path = "proc/meminfo", .mode = 0444, .generate = dummy_generate },
        { .path = "proc/stat", .mode = 0444, .generate = dummy_generate },
        { .path = "sys/devices/system/cpu/online", .mode = 0444, .generate = dummy_generate },
};

static void test_tree(void)
{
        struct vtree t;
        const struct vnode *proc, *meminfo, *online, *n;

        tap_ok(vtree_build(files, ELEMENTSOF(files), &t) == 0, "tree builds");
        tap_ok(t.n == 1 + 2 + 1 + 4 + 1, "root, proc + 2 files, sys/devices/system/cpu + online (%zu nodes)", t.n);

        proc = vtree_lookup(&t, VTREE_ROOT_INO, "proc");
        tap_ok(proc && !proc->file, "proc is a directory");
        meminfo = proc ? vtree_lookup(&t, proc->ino, "meminfo") : NULL;
        tap_ok(meminfo && meminfo->file == &files[0], "proc/meminfo resolves to its table row");
        tap_ok(meminfo && meminfo->ino == vtree_path_ino("proc/meminfo"), "inode is the hash of the path");
        /* Pinned: a change here renumbers every inode across an upgrade. */
        tap_ok(vtree_path_ino("proc/meminfo") == PROC_MEMINFO_INO, "inode of proc/meminfo is pinned (%#llx)",
               (unsigned long long) vtree_path_ino("proc/meminfo"));
        tap_ok(vtree_lookup(&t, VTREE_ROOT_INO, "meminfo") == NULL, "no meminfo at the top");
        tap_ok(vtree_lookup(&t, VTREE_ROOT_INO, "nope") == NULL, "unknown name");

        n = vtree_lookup(&t, VTREE_ROOT_INO, "sys");
        n = n ? vtree_lookup(&t, n->ino, "devices") : NULL;
        n = n ? vtree_lookup(&t, n->ino, "system") : NULL;
        n = n ? vtree_lookup(&t, n->ino, "cpu") : NULL;
        online = n ? vtree_lookup(&t, n->ino, "online") : NULL;
        tap_ok(online && online->file == &files[2], "sys/devices/system/cpu/online resolves");

        tap_ok(vtree_child(&t, proc->ino, 0) == meminfo, "readdir order follows the table (0)");
        tap_ok(vtree_child(&t, proc->ino, 1) && streq(vtree_child(&t, proc->ino, 1)->name, "stat"),
               "readdir order follows the table (1)");
        tap_ok(vtree_child(&t, proc->ino, 2) == NULL, "readdir ends");
        tap_ok(vtree_by_ino(&t, 424242) == NULL, "unknown inode");
        vtree_free(&t);

        /* A second build (a new daemon process) gives the same numbers. */
        struct vtree t2;
        vtree_build(files, ELEMENTSOF(files), &t2);
        n = vtree_by_ino(&t2, vtree_path_ino("proc/stat"));
        tap_ok(n && streq(n->path, "proc/stat"), "same inode, same path in a new tree");
        vtree_free(&t2);
}

static void test_duplicate(void)
{
        static const struct vfile dup[] = {
                { .path = "proc/meminfo", .mode = 0444, .generate = dummy_generate },
                { .path = "proc/meminfo", .mode = 0444, .generate = dummy_generate },
        };
        struct vtree t;

        tap_ok(vtree_build(dup, ELEMENTSOF(dup), &t) == -EEXIST, "a path listed twice is refused");
}

static struct content *make_content(const char *s)
{
        struct content *c;

        if (content_new(strdup(s), strlen(s), &c) < 0)
                abort();
        return c;
}

static void test_handles(void)
{
        struct handle_table t, other;
        uint64_t fh1, fh2, fh3, fh4, foreign;
        struct content *c;

        tap_ok(handle_table_init(&t) == 0, "table init");
        tap_ok(handle_add(&t, 10, make_content("one"), &fh1) == 0, "add 1");
        tap_ok(handle_add(&t, 11, make_content("two"), &fh2) == 0, "add 2");

        c = handle_get(&t, fh1, 10);
        tap_ok(c && streq(c->data, "one"), "get returns the content");
        content_unref(c);

        /* A reread at offset 0 is told apart from the first read, and the
         * handle then serves the content rendered for it. */
        tap_ok(handle_add(&t, 13, make_content("four"), &fh4) == 0, "add 4");
        tap_ok(!handle_note_read_at_zero(&t, fh4), "first read at 0 of a handle");
        tap_ok(handle_note_read_at_zero(&t, fh4), "second read at 0 is a reread");
        handle_set_content(&t, fh4, 13, make_content("four, again"));
        c = handle_get(&t, fh4, 13);
        tap_ok(c && streq(c->data, "four, again"), "the handle serves the new content");
        content_unref(c);
        handle_set_content(&t, fh4, 10, make_content("wrong inode"));
        c = handle_get(&t, fh4, 13);
        tap_ok(c && streq(c->data, "four, again"), "a replacement for another inode is dropped");
        content_unref(c);
        handle_release(&t, fh4);
        tap_ok(handle_get(&t, fh1, 11) == NULL, "a handle used with another inode does not resolve");
        tap_ok(handle_get(&t, fh1 ^ (UINT64_C(1) << 40), 10) == NULL, "wrong generation does not resolve");
        tap_ok(handle_get(&t, 0xffffffffu, 10) == NULL, "slot out of range does not resolve");
        tap_ok(handle_get(&t, 0, 10) == NULL, "handle 0 does not resolve");

        /* A reference taken before release stays valid after it. */
        c = handle_get(&t, fh2, 11);
        handle_release(&t, fh2);
        tap_ok(c && streq(c->data, "two"), "content outlives the release while referenced");
        content_unref(c);
        tap_ok(handle_get(&t, fh2, 11) == NULL, "released handle does not resolve");
        handle_release(&t, fh2); /* twice: ignored */
        tap_ok(handle_count(&t) == 1, "double release is harmless");

        /* Slot reuse gets a new generation: the old handle stays dead. */
        tap_ok(handle_add(&t, 11, make_content("three"), &fh3) == 0, "add 3");
        tap_ok((fh3 & 0xffffffffu) == (fh2 & 0xffffffffu) && fh3 != fh2, "slot reused with a new generation");
        tap_ok(handle_get(&t, fh2, 11) == NULL, "the old handle of a reused slot does not resolve");

        /* Handles of another table (another daemon process) do not resolve. */
        handle_table_init(&other);
        /* Tables are seeded at random; make sure this one's differs from
         * the generation of fh1, the handle in the same slot of t. */
        other.next_gen = (uint32_t) (fh1 >> 32) + 1;
        handle_add(&other, 10, make_content("other"), &foreign);
        c = handle_get(&t, foreign, 10);
        tap_ok((foreign & 0xffffffffu) == (fh1 & 0xffffffffu) && c == NULL,
               "a foreign handle naming a used slot resolves to nothing");
        content_unref(c);
        handle_release(&t, foreign);
        handle_table_done(&other);

        /* Many handles: the table grows. */
        uint64_t many[1000];
        int okc = 1;
        for (int i = 0; i < 1000; i++)
                okc &= handle_add(&t, 12, make_content("x"), &many[i]) == 0;
        for (int i = 0; i < 1000; i++)
                handle_release(&t, many[i]);
        tap_ok(okc && handle_count(&t) == 2, "1000 handles added and released");
        handle_table_done(&t);
}

int main(void)
{
        test_tree();
        test_duplicate();
        test_handles();
        return tap_done();
}
