/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Minimal TAP producer for the C unit tests (meson test protocol: 'tap'). */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_ok(int cond, const char *fmt, ...)
{
        va_list ap;

        tap_n++;
        if (!cond)
                tap_failed++;
        printf("%sok %d - ", cond ? "" : "not ", tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
}

/* Compare whole texts; on mismatch print both as TAP diagnostics. */
static inline void tap_streq(const char *got, const char *want, const char *name)
{
        int same = got && want && strcmp(got, want) == 0;

        tap_ok(same, "%s", name);
        if (!same) {
                printf("# --- want ---\n# %s\n# --- got ---\n# %s\n",
                       want ? want : "(null)", got ? got : "(null)");
        }
}

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}

/* Read a fixture file under tests/fixtures (FIXTURES_DIR is set by meson). */
char *tap_fixture(const char *rel);
