/* Check suite for lib/buf.c: the string builder and its log escaping. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "tests/unit/ck.h"

#define SMALL 8

START_TEST(test_fixed_cuts_and_fails)
{
	char mem[SMALL];
	struct buf b;

	buf_fixed(&b, mem, sizeof(mem));
	buf_str(&b, "abc");
	ck_assert(!b.failed);
	buf_str(&b, "defghij");
	ck_assert(b.failed);
	ck_assert_uint_eq(b.len, SMALL);
	ck_assert(memcmp(mem, "abcdefgh", SMALL) == 0);
	buf_str(&b, "x");
	ck_assert_uint_eq(b.len, SMALL);
}
END_TEST

START_TEST(test_heap_grows)
{
	struct buf b;
	size_t len, i;
	char *p;

	buf_init(&b);
	for (i = 0; i < 1000; i++)
		buf_str(&b, "0123456789");
	ck_assert(!b.failed);
	p = buf_take(&b, &len);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(len, 10000);
	ck_assert_uint_eq(strlen(p), 10000);
	ck_assert(memcmp(p + 9990, "0123456789", 10) == 0);
	free(p);
	ck_assert_ptr_null(b.p);
}
END_TEST

struct num_row {
	int line;
	int64_t v;
	const char *text;
};

START_TEST(test_numbers)
{
	static const struct num_row rows[] = {
		{ CK_ROW, 0, "0" },
		{ CK_ROW, 7, "7" },
		{ CK_ROW, -42, "-42" },
		{ CK_ROW, INT64_MAX, "9223372036854775807" },
		{ CK_ROW, INT64_MIN, "-9223372036854775808" },
	};
	char mem[64];
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		buf_fixed(&b, mem, sizeof(mem));
		buf_int(&b, rows[i].v);
		ck_assert_msg(b.len == strlen(rows[i].text) &&
				  memcmp(mem, rows[i].text, b.len) == 0,
		    "row at line %d: \"%.*s\"", rows[i].line, (int)b.len, mem);
	}
}
END_TEST

START_TEST(test_printf_fixed_and_heap)
{
	char mem[SMALL];
	struct buf b;
	size_t len;
	char *p;

	buf_fixed(&b, mem, sizeof(mem));
	buf_printf(&b, "%d-%s", 12, "ab");
	ck_assert(!b.failed);
	ck_assert_uint_eq(b.len, 5);
	buf_printf(&b, "%s", "xyzw");
	ck_assert(b.failed);
	ck_assert_uint_eq(b.len, SMALL - 1); /* vsnprintf keeps its NUL */
	buf_init(&b);
	buf_printf(&b, "%0300d", 1);
	p = buf_take(&b, &len);
	ck_assert_uint_eq(len, 300);
	ck_assert(p[299] == '1' && p[0] == '0');
	free(p);
}
END_TEST

struct esc_row {
	int line;
	const char *in;
	size_t inlen;
	size_t max;
	const char *out;
};

#define IN(s) s, sizeof(s) - 1

typedef void escape_fn(struct buf *b, const char *s, size_t n, size_t max);

static void
check_rows(const struct esc_row *rows, size_t n, escape_fn *fn)
{
	char mem[128];
	struct buf b;
	size_t i;

	for (i = 0; i < n; i++) {
		buf_fixed(&b, mem, sizeof(mem));
		fn(&b, rows[i].in, rows[i].inlen, rows[i].max);
		ck_assert_msg(b.len == strlen(rows[i].out) &&
				  memcmp(mem, rows[i].out, b.len) == 0,
		    "row at line %d: \"%.*s\"", rows[i].line, (int)b.len, mem);
	}
}

START_TEST(test_escaped)
{
	static const struct esc_row rows[] = {
		{ CK_ROW, IN("GET /"), 100, "GET /" },
		{ CK_ROW, IN("a\"b\\c"), 100, "a\\\"b\\\\c" },
		{ CK_ROW, IN("\n\r\t\b\v"), 100, "\\n\\r\\t\\b\\v" },
		{ CK_ROW, IN("x\x01\x7f\xff"), 100, "x\\x01\\x7f\\xff" },
		{ CK_ROW, IN("a\0b"), 100, "a\\x00b" },
		/* a forged log line stays on one line */
		{ CK_ROW, IN("x\n[Sat] [mpmd:emerg] y"), 100,
		    "x\\n[Sat] [mpmd:emerg] y" },
		/* never half an escape */
		{ CK_ROW, IN("ab\n"), 3, "ab" },
		{ CK_ROW, IN("ab\n"), 4, "ab\\n" },
		{ CK_ROW, IN("\xff"), 3, "" },
	};

	check_rows(rows, sizeof(rows) / sizeof(rows[0]), buf_escaped);
}
END_TEST

START_TEST(test_escaped_fixed_room)
{
	char mem[4];
	struct buf b;

	buf_fixed(&b, mem, sizeof(mem));
	buf_escaped(&b, IN("abc\n"), 100);
	ck_assert_uint_eq(b.len, 3); /* "\n" needs two bytes: not cut */
	ck_assert(b.failed);
}
END_TEST

START_TEST(test_json)
{
	static const struct esc_row rows[] = {
		{ CK_ROW, IN("ok"), 100, "\"ok\"" },
		{ CK_ROW, IN(""), 100, "\"\"" },
		{ CK_ROW, IN("a\"b\\c/"), 100, "\"a\\\"b\\\\c/\"" },
		{ CK_ROW, IN("\b\f\n\r\t"), 100, "\"\\b\\f\\n\\r\\t\"" },
		/* no \v or \x in JSON: the code point instead */
		{ CK_ROW, IN("\v\x01\x1f"), 100, "\"\\u000b\\u0001\\u001f\"" },
		{ CK_ROW, IN("a\0b"), 100, "\"a\\u0000b\"" },
		/* bytes that are not ASCII: valid JSON whatever they are */
		{ CK_ROW, IN("\x7f\xc3\xa9\xff"), 100,
		    "\"\\u007f\\u00c3\\u00a9\\u00ff\"" },
		/* never half an escape; the quotes close it anyway */
		{ CK_ROW, IN("ab\n"), 3, "\"ab\"" },
		{ CK_ROW, IN("ab\n"), 4, "\"ab\\n\"" },
		{ CK_ROW, IN("a\x01"), 6, "\"a\"" },
		{ CK_ROW, IN("a\x01"), 7, "\"a\\u0001\"" },
	};

	check_rows(rows, sizeof(rows) / sizeof(rows[0]), buf_json);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fixed_cuts_and_fails);
	tcase_add_test(tc, test_heap_grows);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_printf_fixed_and_heap);
	tcase_add_test(tc, test_escaped);
	tcase_add_test(tc, test_escaped_fixed_room);
	tcase_add_test(tc, test_json);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ck_run(buf_suite());
}
