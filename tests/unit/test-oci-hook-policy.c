/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OCI hook's policy on config.json text, and the JSON reader under it. */
#include "json.h"
#include "lxcfs/macro.h"
#include "policy.h"
#include "tap.h"

#define MP "/var/lib/lxcfs"

static void check(const char *config, enum hook_decision want, const char *what)
{
        enum hook_decision got = hook_decide(config, MP);

        tap_ok(got == want, "%s: %s", what, hook_decision_to_string(got));
}

int main(void)
{
        _cleanup_free_ char *s = NULL;
        long long v = 0;

        check("{\"linux\": {\"resources\": {\"memory\": {\"limit\": 268435456}}}}",
              HOOK_INJECT_LIMIT, "memory limit");
        check("{\"linux\": {\"resources\": {\"cpu\": {\"quota\": 50000, \"period\": 100000}}}}",
              HOOK_INJECT_LIMIT, "CPU quota");
        check("{\"linux\": {\"resources\": {\"cpu\": {\"cpus\": \"0\"}}}}", HOOK_INJECT_LIMIT, "cpuset");
        check("{\"linux\": {\"resources\": {\"memory\": {\"limit\": -1}, \"cpu\": {\"quota\": -1, \"cpus\": \"\"}}}}",
              HOOK_SKIP_NO_LIMIT, "unlimited (-1, empty cpus)");
        check("{\"process\": {\"args\": [\"sh\"]}}", HOOK_SKIP_NO_LIMIT, "no resources");
        check("{\"annotations\": {\"io.lxcfs.enable\": \"true\"}}", HOOK_INJECT_ANNOTATION,
              "annotation true without a limit");
        check("{\"annotations\": {\"io.lxcfs.enable\": \"false\"}, \"linux\": {\"resources\": "
              "{\"memory\": {\"limit\": 1048576}}}}", HOOK_SKIP_OPT_OUT, "annotation false beats a limit");
        check("{\"mounts\": [{\"destination\": \"/proc/meminfo\", \"source\": \"" MP "/proc/meminfo\"}],"
              " \"linux\": {\"resources\": {\"memory\": {\"limit\": 1048576}}}}",
              HOOK_SKIP_ALREADY_BOUND, "binds lxcfs already");
        check("{\"mounts\": [{\"source\": \"" MP "x/proc/meminfo\"}], \"linux\": {\"resources\": "
              "{\"memory\": {\"limit\": 1048576}}}}", HOOK_INJECT_LIMIT, "a sibling path is not ours");
        check("{\"linux\": ", HOOK_SKIP_BAD_CONFIG, "truncated config");
        check("[1]", HOOK_SKIP_BAD_CONFIG, "not an object");

        tap_ok(json_valid(" {\"a\": [1, -2.5e3, true, null, {\"b\": \"c\\\"d\"}]} "), "valid JSON");
        tap_ok(!json_valid("{\"a\": 1,}") && !json_valid("{\"a\" 1}") && !json_valid("\"x") &&
               !json_valid("{} {}"), "malformed JSON refused");
        tap_ok(json_string(json_path("{\"x\": {\"y\": \"a\\\\b\\u0041\\n\"}}", "x", "y", NULL), &s) == 0 &&
               streq(s, "a\\bA\n"), "escapes decoded");
        tap_ok(json_int(json_path("{\"p\": {\"q\": 123}}", "p", "q", NULL), &v) == 0 && v == 123 &&
               json_int("1.5", &v) < 0 && json_int("\"1\"", &v) < 0, "integers only");
        return tap_done();
}
