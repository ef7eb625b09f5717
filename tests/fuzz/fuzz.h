/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the libFuzzer harnesses. The parsers take NUL-terminated text
 * (what the readers make of a kernel file), so every input is copied into a
 * fresh heap block of exactly size + 1 bytes: ASan then flags any read past
 * the terminator. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lxcfs/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline char *fuzz_text(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);

        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* Inputs of the form "NAME\nCONTENT": the first line names the file the rest
 * stands for (seeds are made that way from the fixtures by tests/fuzz/run).
 * Returns 0 and points name and content into text, or -1 without a newline. */
static inline int fuzz_split_name(char *text, const char **name, const char **content)
{
        char *nl = strchr(text, '\n');

        if (!nl)
                return -1;
        *nl = '\0';
        *name = text;
        *content = nl + 1;
        return 0;
}

/* Parsers log malformed input; a fuzzer would print millions of lines. */
static inline void fuzz_quiet_logs(void)
{
        log_set_max_level(LOG_EMERG);
}
