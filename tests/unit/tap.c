/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>

#include "lxcfs/fileio.h"
#include "tap.h"

char *tap_fixture(const char *rel)
{
        char path[PATH_MAX];
        char *text = NULL;
        int r;

        snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, rel);
        r = read_file_at(AT_FDCWD, path, &text, NULL);
        if (r < 0) {
                printf("Bail out! cannot read fixture %s: %s\n", path, strerror(-r));
                exit(1);
        }
        return text;
}
