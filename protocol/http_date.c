/* Reason phrases and HTTP dates (RFC 9110 15, 5.6.7): no locale, no strptime.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "protocol/chars.h"
#include "protocol/http.h"

static const struct {
	int status;
	const char *reason;
} http_reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 206, "Partial Content" },
	{ 301, "Moved Permanently" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 416, "Range Not Satisfiable" },
	{ 417, "Expectation Failed" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(http_reasons) / sizeof(http_reasons[0]); i++)
		if (http_reasons[i].status == status)
			return http_reasons[i].reason;
	return "Unknown";
}

#define DATE_YEAR_MIN    1970
#define DATE_YEAR_MAX    9999
#define DATE_MAX         INT64_C(253402300799) /* 9999-12-31 23:59:59 */
#define DATE_RFC850_WRAP 50 /* RFC 9110 5.6.7: years ahead before a wrap */
#define SECS_PER_MIN     60
#define SECS_PER_HOUR    3600
#define SECS_PER_DAY     86400
#define HOUR_MAX         23
#define MIN_MAX          59
#define SEC_MAX          60 /* a leap second */
#define NAMES(a)         ((int)(sizeof(a) / sizeof((a)[0])))
#define TM_YEAR_BASE     1900
#define CENTURY          100
#define DATE_2DIGIT      2
#define DATE_4DIGIT      4
#define DATE_TIME_LEN    8 /* hh:mm:ss */

static const char *const wkday_short[7] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };
static const char *const wkday_long[7] = { "Sunday", "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday" };
static const char *const month_name[12] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Writes V as WIDTH decimal digits at P; returns the end. */
static char *
date_put(char *p, int v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

static char *
date_puts(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

void
http_date(char *out, int64_t t)
{
	struct tm tm;
	time_t tt;
	char *p = out;

	if (t < 0)
		t = 0;
	if (t > DATE_MAX)
		t = DATE_MAX;
	tt = (time_t)t;
	gmtime_r(&tt, &tm);
	p = date_puts(p, wkday_short[tm.tm_wday]);
	p = date_puts(p, ", ");
	p = date_put(p, tm.tm_mday, DATE_2DIGIT);
	*p++ = ' ';
	p = date_puts(p, month_name[tm.tm_mon]);
	*p++ = ' ';
	p = date_put(p, tm.tm_year + TM_YEAR_BASE, DATE_4DIGIT);
	*p++ = ' ';
	p = date_put(p, tm.tm_hour, DATE_2DIGIT);
	*p++ = ':';
	p = date_put(p, tm.tm_min, DATE_2DIGIT);
	*p++ = ':';
	p = date_put(p, tm.tm_sec, DATE_2DIGIT);
	p = date_puts(p, " GMT");
	*p = '\0';
}

struct civil {
	int year, month, day; /* month 1-12 */
	int hour, min, sec;
};

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	return days[m - 1] + (m == 2 && is_leap(y));
}

static int64_t
leaps_before(int64_t y)
{
	y--;
	return y / 4 - y / 100 + y / 400;
}

static int64_t
civil_to_time(const struct civil *c)
{
	static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243,
		273, 304, 334 };
	int64_t days;

	days = INT64_C(365) * (c->year - DATE_YEAR_MIN) +
	       leaps_before(c->year) - leaps_before(DATE_YEAR_MIN);
	days += before[c->month - 1] + (c->month > 2 && is_leap(c->year));
	days += c->day - 1;
	return days * SECS_PER_DAY + c->hour * SECS_PER_HOUR +
	       c->min * SECS_PER_MIN + c->sec;
}

/* N digits at S, or -1; a leading space stands for 0 when PAD is set. */
static int
date_num(const char *s, size_t n, bool pad)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (pad && i == 0 && s[i] == ' ' && n > 1)
			continue;
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Index of the name at S in NAMES, its length in *LEN; -1 when none. */
static int
date_name(const char *s, const char *const *names, int count, size_t *len)
{
	int i;

	for (i = 0; i < count; i++) {
		*len = strlen(names[i]);
		if (strncmp(s, names[i], *len) == 0)
			return i;
	}
	return -1;
}

static int
rfc850_year(int yy)
{
	struct tm tm;
	time_t now = time(NULL);
	int year;

	gmtime_r(&now, &tm);
	year = (tm.tm_year + TM_YEAR_BASE) / CENTURY * CENTURY + yy;
	if (year > tm.tm_year + TM_YEAR_BASE + DATE_RFC850_WRAP)
		year -= CENTURY;
	return year;
}

/* hh:mm:ss, S holding at least DATE_TIME_LEN bytes */
static bool
date_time(const char *s, struct civil *c)
{
	const char *m = s + DATE_2DIGIT + 1, *sec = m + DATE_2DIGIT + 1;

	if (m[-1] != ':' || sec[-1] != ':')
		return false;
	c->hour = date_num(s, DATE_2DIGIT, false);
	c->min = date_num(m, DATE_2DIGIT, false);
	c->sec = date_num(sec, DATE_2DIGIT, false);
	return c->hour >= 0 && c->min >= 0 && c->sec >= 0;
}

/*
 * One field of a date format: %a short day name, %A long day name, %b
 * month, %d day, %e space-padded day, %y two-digit year, %Y year, %T
 * hh:mm:ss. Returns how many bytes of S it took, 0 when it failed.
 */
static size_t
date_field(const char *s, char f, struct civil *c)
{
	size_t len;
	int i;

	switch (f) {
	case 'a':
		i = date_name(s, wkday_short, NAMES(wkday_short), &len);
		return i >= 0 ? len : 0;
	case 'A':
		i = date_name(s, wkday_long, NAMES(wkday_long), &len);
		return i >= 0 ? len : 0;
	case 'b':
		i = date_name(s, month_name, NAMES(month_name), &len);
		c->month = i + 1;
		return i >= 0 ? len : 0;
	case 'd':
	case 'e':
		if (s[0] == '\0')
			return 0;
		c->day = date_num(s, DATE_2DIGIT, f == 'e');
		return c->day >= 0 ? DATE_2DIGIT : 0;
	case 'y':
		if (s[0] == '\0' ||
		    (c->year = date_num(s, DATE_2DIGIT, false)) < 0)
			return 0;
		c->year = rfc850_year(c->year);
		return DATE_2DIGIT;
	case 'Y':
		if (strnlen(s, DATE_4DIGIT) < DATE_4DIGIT ||
		    (c->year = date_num(s, DATE_4DIGIT, false)) < 0)
			return 0;
		return DATE_4DIGIT;
	default: /* 'T' */
		if (strnlen(s, DATE_TIME_LEN) < DATE_TIME_LEN ||
		    !date_time(s, c))
			return 0;
		return DATE_TIME_LEN;
	}
}

static bool
date_match(const char *s, const char *fmt, struct civil *c)
{
	size_t n;

	for (; *fmt != '\0'; fmt++) {
		if (*fmt == '%') {
			if ((n = date_field(s, *++fmt, c)) == 0)
				return false;
			s += n;
		} else if (*s++ != *fmt)
			return false;
	}
	return *s == '\0';
}

/* IMF-fixdate, then the obsolete RFC 850 and asctime forms (RFC 9110 5.6.7) */
int64_t
http_date_parse(const char *s)
{
	static const char *const formats[] = {
		"%a, %d %b %Y %T GMT",
		"%A, %d-%b-%y %T GMT",
		"%a %b %e %T %Y",
	};
	struct civil c;
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&c, 0, sizeof(c));
		if (!date_match(s, formats[i], &c))
			continue;
		if (c.year < DATE_YEAR_MIN || c.year > DATE_YEAR_MAX ||
		    c.day < 1 || c.day > month_days(c.year, c.month) ||
		    c.hour > HOUR_MAX || c.min > MIN_MAX || c.sec > SEC_MAX)
			return -1;
		return civil_to_time(&c);
	}
	return -1;
}
