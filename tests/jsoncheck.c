#include "jsoncheck.h"

#include <ctype.h>
#include <string.h>

static bool str(const char **p, const char *end)
{
	if (*p >= end || **p != '"')
		return false;
	for ((*p)++; *p < end; (*p)++) {
		unsigned char c = (unsigned char)**p;

		if (c == '"') {
			(*p)++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (++*p >= end)
			return false;
		if (**p == 'u') {
			for (int i = 0; i < 4; i++)
				if (++*p >= end || !isxdigit((unsigned char)**p))
					return false;
		} else if (!strchr("\"\\/bfnrt", **p)) {
			return false;
		}
	}
	return false;
}

static bool num(const char **p, const char *end)
{
	const char *s = *p;

	if (*p < end && **p == '-')
		(*p)++;
	if (*p >= end || !isdigit((unsigned char)**p))
		return false;
	if (**p == '0' && *p + 1 < end && isdigit((unsigned char)(*p)[1]))
		return false; /* no leading zeros */
	while (*p < end && isdigit((unsigned char)**p))
		(*p)++;
	if (*p < end && **p == '.') {
		(*p)++;
		if (*p >= end || !isdigit((unsigned char)**p))
			return false;
		while (*p < end && isdigit((unsigned char)**p))
			(*p)++;
	}
	return *p > s;
}

static bool word(const char **p, const char *end, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(end - *p) < n || memcmp(*p, w, n) != 0)
		return false;
	*p += n;
	return true;
}

bool json_line_ok(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	if (p >= end || *p++ != '{')
		return false;
	if (p < end && *p == '}')
		return p + 1 == end;
	for (;;) {
		if (!str(&p, end) || p >= end || *p++ != ':')
			return false;
		if (!(str(&p, end) || num(&p, end) || word(&p, end, "true") ||
		      word(&p, end, "false") || word(&p, end, "null")))
			return false;
		if (p >= end)
			return false;
		if (*p == '}')
			return p + 1 == end;
		if (*p++ != ',')
			return false;
	}
}
