/* Disk source specs: see source.h for the forms. The text comes from the
 * boot configuration; it is still bounded and checked character by
 * character, since a typo must give a sentence, not a wrong disk. */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"

#define FORMS                                                                              \
	"the forms are scsi:<lun>/<path>, scsi:<lun>:<partition>/<path> and "              \
	"scsi:<lun>@<lba>+<count>, each optionally followed by #sha256=<64 hex digits>"

/* Sets the phrase source_parse_quiet hands back. */
static int bad(const char **why, const char *what)
{
	*why = what;
	return -EINVAL;
}

/* A decimal number of at most max at *p; advances *p past it. */
static bool parse_num(const char **p, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > max || v > (max - d) / 10)
			return false; /* stops at the first digit too many */
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return true;
}

static int parse_path(const char **why, const char **p, struct disk_source *out)
{
	const char *s = *p;
	size_t len = 0;

	while (s[len] && s[len] != '#') {
		if ((unsigned char)s[len] < 0x20 || (unsigned char)s[len] >= 0x7f)
			return bad(why, "the path has a character that is not printable ASCII");
		if (++len >= SOURCE_PATH_MAX)
			return bad(why, "the path is longer than 255 characters");
	}
	if (len < 2)
		return bad(why, "the path names no file");
	if (s[len - 1] == '/')
		return bad(why, "the path ends in '/' and so names a directory, not a file");
	memcpy(out->path, s, len);
	out->path[len] = '\0';
	*p = s + len;
	return 0;
}

int source_parse_quiet(const char *spec, struct disk_source *out, const char **why)
{
	static const char digest_tag[] = "#sha256=";
	const char *p = spec;
	uint64_t v;
	int rc;

	memset(out, 0, sizeof(*out));
	*why = "";
	if (strncmp(p, "scsi:", 5) != 0)
		return bad(why, "it does not start with \"scsi:\"");
	p += 5;
	if (!parse_num(&p, SOURCE_LUN_MAX, &v))
		return bad(why, "the LUN is not a number in 0..255");
	out->lun = (unsigned)v;
	switch (*p) {
	case ':':
		p++;
		if (!parse_num(&p, SOURCE_PART_MAX, &v) || v == 0)
			return bad(why, "the partition is not a number in 1..8192");
		out->partition = (unsigned)v;
		if (*p != '/')
			return bad(why, "the partition number is not followed by /<path>");
		/* fall through */
	case '/':
		out->kind = SOURCE_FILE;
		rc = parse_path(why, &p, out);
		if (rc)
			return rc;
		break;
	case '@':
		p++;
		out->kind = SOURCE_RAW;
		if (!parse_num(&p, UINT64_MAX, &out->lba))
			return bad(why, "the LBA is not a 64-bit decimal number");
		if (*p != '+')
			return bad(why, "the LBA is not followed by +<count>");
		p++;
		if (!parse_num(&p, UINT64_MAX - out->lba, &out->count) || out->count == 0)
			return bad(why, "the block count is not a number from 1 up to 2^64 - LBA");
		break;
	default:
		return bad(why, "the LUN is not followed by /, : or @");
	}
	if (*p == '\0')
		return 0;
	if (strncmp(p, digest_tag, sizeof(digest_tag) - 1) != 0)
		return bad(why, "only #sha256=<digest> may follow the location");
	if (sha256_parse_hex(p + sizeof(digest_tag) - 1, out->digest) != 0)
		return bad(why, "the SHA-256 digest is not exactly 64 hex digits");
	out->has_digest = true;
	return 0;
}

int source_parse(const char *spec, struct disk_source *out)
{
	const char *why;
	int rc = source_parse_quiet(spec, out, &why);

	if (rc)
		log_err("disk source \"%.120s\": %s; %s", spec, why, FORMS);
	return rc;
}

void source_format(const struct disk_source *s, char *out, size_t len)
{
	char hex[SHA256_HEX_LEN] = "";
	int n;

	if (s->has_digest)
		sha256_hex(s->digest, hex);
	if (s->kind == SOURCE_RAW)
		n = snprintf(out, len, "scsi:%u@%llu+%llu", s->lun, (unsigned long long)s->lba,
			     (unsigned long long)s->count);
	else if (s->partition)
		n = snprintf(out, len, "scsi:%u:%u%s", s->lun, s->partition, s->path);
	else
		n = snprintf(out, len, "scsi:%u%s", s->lun, s->path);
	if (s->has_digest && n >= 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, "#sha256=%s", hex);
}
