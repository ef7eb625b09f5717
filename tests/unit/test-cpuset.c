/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lxcfs/cpuset.h"
#include "tap.h"

static void check_roundtrip(const char *in, const char *want)
{
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        struct cpuset s;
        int r = cpuset_parse(in, &s);

        tap_ok(r == 0, "parse '%s'", in);
        cpuset_format(&s, &sb);
        tap_streq(sb.data ? sb.data : "", want, "format");
}

int main(void)
{
        struct cpuset s;

        check_roundtrip("0\n", "0");
        check_roundtrip("0-1\n", "0-1");
        check_roundtrip("2,4-5", "2,4-5");
        check_roundtrip("0-3,5,7-9,63-65\n", "0-3,5,7-9,63-65");
        check_roundtrip("", "");
        check_roundtrip("3,1,2", "1-3");

        tap_ok(cpuset_parse("1-", &s) == -EINVAL, "'1-' is malformed");
        tap_ok(cpuset_parse("3-1", &s) == -EINVAL, "'3-1' is malformed");
        tap_ok(cpuset_parse("a", &s) == -EINVAL, "'a' is malformed");
        tap_ok(cpuset_parse("99999", &s) == -ERANGE, "id out of range");

        cpuset_parse("2,4-7,9", &s);
        tap_ok(cpuset_count(&s) == 6, "count");
        cpuset_keep_first(&s, 3);
        {
                _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
                cpuset_format(&s, &sb);
                tap_streq(sb.data, "2,4-5", "keep first 3 keeps real ids");
        }
        return tap_done();
}
