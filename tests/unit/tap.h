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

/* A test that cannot run here: TAP's own skip directive, never a pass. */
static inline void tap_skip(const char *reason, const char *fmt, ...)
{
        va_list ap;

        tap_n++;
        printf("ok %d - ", tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf(" # SKIP %s\n", reason);
        fflush(stdout);
}

/* Print text as TAP diagnostics, "# " before every line. */
static inline void tap_diag_text(const char *text)
{
        const char *p = text ? text : "(null)";

        while (*p) {
                size_t n = strcspn(p, "\n");
                printf("# %.*s\n", (int) n, p);
                p += n;
                if (*p == '\n')
                        p++;
        }
}

/* Compare whole texts; on mismatch print both as TAP diagnostics. */
static inline void tap_streq(const char *got, const char *want, const char *name)
{
        int same = got && want && strcmp(got, want) == 0;

        tap_ok(same, "%s", name);
        if (!same) {
                printf("# --- want ---\n");
                tap_diag_text(want);
                printf("# --- got ---\n");
                tap_diag_text(got);
        }
}

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}

/* Read a fixture file under tests/fixtures (FIXTURES_DIR is set by meson). */
char *tap_fixture(const char *rel);
