/* The boot configuration (config.h): \hvboot.conf, then the load options.
 * The text is written by a person at a console, often on another OS: every
 * mistake gets one sentence with the place, never a guess. Sources are
 * checked by the same parsers that load them (payload/source.c,
 * net/url.c), so a source accepted here is never refused later for its
 * form. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/sha256.h"
#include "../net/url.h"
#include "../payload/source.h"

enum key {
	K_KERNEL,
	K_INITRD,
	K_CMDLINE,
	K_SHA256_KERNEL,
	K_SHA256_INITRD,
	K_HV,
	K_MODE,
	K_TIMEOUT,
	K_QUEUE_DEPTH,
	K_CONSOLE,
	K_PROGRESS,
	K_RESET_TIMEOUT,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
	[K_KERNEL] = "kernel",
	[K_INITRD] = "initrd",
	[K_CMDLINE] = "cmdline",
	[K_SHA256_KERNEL] = "sha256.kernel",
	[K_SHA256_INITRD] = "sha256.initrd",
	[K_HV] = "hv",
	[K_MODE] = "mode",
	[K_TIMEOUT] = "timeout",
	[K_QUEUE_DEPTH] = "queue_depth",
	[K_CONSOLE] = "console",
	[K_PROGRESS] = "progress",
	[K_RESET_TIMEOUT] = "reset_timeout",
};

/* The words of the enumerated keys, in enum order (describe prints them). */
static const char *const hv_words[] = { "native", "bridge" };
static const char *const mode_words[] = { "boot", "diag" };
static const char *const console_words[] = { "both", "serial", "fb" };
static const char *const progress_words[] = { "auto", "on", "off" };

#define SOURCE_FORMS                                                                       \
	"scsi:<lun>/<path>, scsi:<lun>:<partition>/<path>, scsi:<lun>@<lba>+<count>, "     \
	"tftp://<host>[:<port>]/<path>, http://<host>[:<port>]/<path> or dhcp"

/* One source being parsed: a copy of the configuration that replaces the
 * caller's only when the whole source was good, and where each key was set
 * in this source (0 = not yet), for duplicates. */
struct parse {
	struct hvb_config cfg;
	unsigned set_at[K_COUNT];
	const char *source; /* "hvboot.conf" */
	const char *unit;   /* "line" */
	char *err;
	size_t errlen;
};

/* Writes "<source> <unit> <n>: <body>" and fails. */
static int fail(struct parse *ps, unsigned n, const char *body)
{
	if (ps->errlen)
		snprintf(ps->err, ps->errlen, "%s %s %u: %s", ps->source, ps->unit, n, body);
	return -EINVAL;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool same(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* A decimal number in min..max, nothing else (no sign, no unit): digits are
 * accumulated only while the value is still at most max, so no overflow. */
static bool parse_u32(const char *s, size_t n, uint32_t min, uint32_t max, uint32_t *out)
{
	uint32_t v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

/* One of words (an enum in table order). */
static bool parse_word(const char *s, size_t n, const char *const *words, size_t nwords,
		       int *out)
{
	for (size_t i = 0; i < nwords; i++)
		if (same(s, n, words[i])) {
			*out = (int)i;
			return true;
		}
	return false;
}

/* "dhcp" alone or with its "#sha256=" part, or a scheme net/url.c knows
 * (https:// included, so that its own sentence explains the refusal). */
static bool looks_net(const char *t)
{
	return strncmp(t, "tftp://", 7) == 0 || strncmp(t, "http://", 7) == 0 ||
	       strncmp(t, "https://", 8) == 0 ||
	       (strncmp(t, "dhcp", 4) == 0 && (t[4] == '\0' || t[4] == '#'));
}

static int set_source(struct parse *ps, unsigned at, const char *name,
		      struct hvb_conf_source *dst, const char *v, size_t n)
{
	char text[HVB_CONF_SOURCE_MAX];
	char body[HVB_CONF_ERR_MAX];
	const char *why = "";
	int rc;

	if (n == 0) {
		snprintf(body, sizeof(body), "%s needs a source: " SOURCE_FORMS, name);
		return fail(ps, at, body);
	}
	if (n >= sizeof(text)) {
		snprintf(body, sizeof(body), "%s is longer than %u bytes", name,
			 HVB_CONF_SOURCE_MAX - 1);
		return fail(ps, at, body);
	}
	memcpy(text, v, n);
	text[n] = '\0';
	if (strncmp(text, "scsi:", 5) == 0) {
		struct disk_source ds;

		rc = source_parse_quiet(text, &ds, &why);
		if (rc == 0) {
			dst->kind = HVB_SRC_SCSI;
			dst->has_digest = ds.has_digest;
			memcpy(dst->digest, ds.digest, sizeof(dst->digest));
		}
	} else if (looks_net(text)) {
		struct net_url u;

		rc = net_url_parse(text, &u, &why);
		if (rc == 0) {
			dst->kind = HVB_SRC_NET;
			dst->has_digest = u.has_digest;
			memcpy(dst->digest, u.digest, sizeof(dst->digest));
		}
	} else {
		snprintf(body, sizeof(body), "%s must be " SOURCE_FORMS, name);
		return fail(ps, at, body);
	}
	if (rc) {
		snprintf(body, sizeof(body), "%s: %s", name, why);
		return fail(ps, at, body);
	}
	memcpy(dst->text, text, n + 1);
	return 0;
}

static int set_digest(struct parse *ps, unsigned at, const char *name, bool *has,
		      uint8_t digest[32], const char *v, size_t n)
{
	char hex[SHA256_HEX_LEN];
	char body[HVB_CONF_ERR_MAX];

	if (n != SHA256_HEX_LEN - 1)
		goto bad;
	memcpy(hex, v, n);
	hex[n] = '\0';
	if (sha256_parse_hex(hex, digest) != 0)
		goto bad;
	*has = true;
	return 0;
bad:
	snprintf(body, sizeof(body), "%s must be 64 hex digits", name);
	return fail(ps, at, body);
}

/* Sets key k from the value v (n bytes, quotes already removed). */
static int set_value(struct parse *ps, unsigned at, enum key k, const char *v, size_t n)
{
	struct hvb_config *c = &ps->cfg;
	char body[HVB_CONF_ERR_MAX];
	int w;

	switch (k) {
	case K_KERNEL:
		return set_source(ps, at, "kernel", &c->kernel, v, n);
	case K_INITRD:
		return set_source(ps, at, "initrd", &c->initrd, v, n);
	case K_CMDLINE:
		if (n >= sizeof(c->cmdline)) {
			snprintf(body, sizeof(body), "cmdline is longer than %u bytes",
				 HVB_CONF_CMDLINE_MAX - 1);
			return fail(ps, at, body);
		}
		memcpy(c->cmdline, v, n);
		c->cmdline[n] = '\0';
		return 0;
	case K_SHA256_KERNEL:
		return set_digest(ps, at, "sha256.kernel", &c->has_sha256_kernel,
				  c->sha256_kernel, v, n);
	case K_SHA256_INITRD:
		return set_digest(ps, at, "sha256.initrd", &c->has_sha256_initrd,
				  c->sha256_initrd, v, n);
	case K_HV:
		if (!parse_word(v, n, hv_words, 2, &w))
			return fail(ps, at, "hv must be native or bridge");
		c->hv = (enum hvb_conf_hv)w;
		return 0;
	case K_MODE:
		if (!parse_word(v, n, mode_words, 2, &w))
			return fail(ps, at, "mode must be boot or diag");
		c->mode = (enum hvb_conf_mode)w;
		return 0;
	case K_TIMEOUT:
		if (!parse_u32(v, n, 1, 3600, &c->timeout_s))
			return fail(ps, at, "timeout must be 1..3600 seconds");
		return 0;
	case K_QUEUE_DEPTH:
		if (!parse_u32(v, n, 1, 256, &c->queue_depth))
			return fail(ps, at, "queue_depth must be 1..256");
		return 0;
	case K_CONSOLE:
		if (!parse_word(v, n, console_words, 3, &w))
			return fail(ps, at, "console must be serial, fb or both");
		c->console = (enum hvb_conf_console)w;
		return 0;
	case K_PROGRESS:
		if (!parse_word(v, n, progress_words, 3, &w))
			return fail(ps, at, "progress must be auto, on or off");
		c->progress = (enum hvb_conf_progress)w;
		return 0;
	case K_RESET_TIMEOUT:
		if (!parse_u32(v, n, 0, 600, &c->reset_timeout_s))
			return fail(ps, at, "reset_timeout must be 0..600 seconds");
		return 0;
	case K_COUNT:
		break;
	}
	return fail(ps, at, "internal error: no such key");
}

/* key (kn bytes) = value (vn bytes), both trimmed and unquoted. */
static int apply(struct parse *ps, unsigned at, const char *key, size_t kn, const char *v,
		 size_t vn)
{
	char body[HVB_CONF_ERR_MAX];

	if (kn == 0)
		return fail(ps, at, "there is no key before '='");
	for (int k = 0; k < K_COUNT; k++) {
		if (!same(key, kn, key_names[k]))
			continue;
		if (ps->set_at[k]) {
			snprintf(body, sizeof(body), "%s was already set at %s %u", key_names[k],
				 ps->unit, ps->set_at[k]);
			return fail(ps, at, body);
		}
		ps->set_at[k] = at;
		return set_value(ps, at, (enum key)k, v, vn);
	}
	snprintf(body, sizeof(body), "unknown key \"%.*s\"", kn > 40 ? 40 : (int)kn, key);
	return fail(ps, at, body);
}

static void parse_begin(struct parse *ps, const struct hvb_config *c, const char *source,
			const char *unit, char *err, size_t errlen)
{
	memset(ps->set_at, 0, sizeof(ps->set_at));
	ps->cfg = *c;
	ps->source = source;
	ps->unit = unit;
	ps->err = err;
	ps->errlen = errlen;
	if (errlen)
		err[0] = '\0';
}

/* A byte a line or token may not hold (tab and space aside): a sentence
 * for it into body. Control bytes would reach the kernel command line or
 * the console; above 0x7e the console has no glyphs. A CR or LF reaches
 * here only alone in a file line (the line end is cut off) or inside
 * double quotes in the load options. */
static bool bad_byte(unsigned char b, bool quoted, char *body, size_t len)
{
	if (b == 0)
		snprintf(body, len, "a NUL byte (the file must be text)");
	else if ((b == '\r' || b == '\n') && quoted)
		snprintf(body, len, "a line break inside double quotes");
	else if (b == '\r')
		snprintf(body, len, "a carriage return not followed by a line feed");
	else if (b < 0x20 || b > 0x7e)
		snprintf(body, len, "the byte 0x%02x, which is not printable ASCII", b);
	else
		return false;
	return true;
}

/* One line of the file, without its line end. */
static int file_line(struct parse *ps, unsigned at, const char *s, size_t n)
{
	const char *eq, *v;
	size_t kn, vn;

	while (n && is_blank(*s))
		s++, n--;
	while (n && is_blank(s[n - 1]))
		n--;
	if (n == 0 || s[0] == '#')
		return 0;
	eq = memchr(s, '=', n);
	if (!eq) {
		char body[HVB_CONF_ERR_MAX];

		snprintf(body, sizeof(body), "\"%.*s\" is not key=value", n > 40 ? 40 : (int)n, s);
		return fail(ps, at, body);
	}
	kn = (size_t)(eq - s);
	while (kn && is_blank(s[kn - 1]))
		kn--;
	v = eq + 1;
	vn = n - (size_t)(v - s);
	while (vn && is_blank(*v))
		v++, vn--;
	/* cmdline="a b" as in the load options: the same line works in both
	 * places. Only a value that is one quoted string loses its quotes, so
	 * a command line such as init="/bin/sh" x stays verbatim. */
	if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"' && !memchr(v + 1, '"', vn - 2))
		v++, vn -= 2;
	return apply(ps, at, s, kn, v, vn);
}

int config_parse_file(struct hvb_config *c, const char *text, size_t len, char *err,
		      size_t errlen)
{
	struct parse ps;
	size_t pos = 0;
	unsigned line;

	parse_begin(&ps, c, "hvboot.conf", "line", err, errlen);
	if (len > HVB_CONF_FILE_MAX) {
		if (errlen)
			snprintf(err, errlen, "hvboot.conf is larger than %u bytes",
				 HVB_CONF_FILE_MAX);
		return -EINVAL;
	}
	/* Windows editors save "Unicode" as UTF-16 with a byte order mark; say
	 * so rather than report its NUL bytes. A UTF-8 mark is harmless. */
	if (len >= 2 && ((text[0] == '\xff' && text[1] == '\xfe') ||
			 (text[0] == '\xfe' && text[1] == '\xff'))) {
		if (errlen)
			snprintf(err, errlen, "hvboot.conf is UTF-16 text; save it as ASCII");
		return -EINVAL;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	for (line = 1; pos < len; line++) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		char body[HVB_CONF_ERR_MAX];
		int rc;

		pos += n + (nl ? 1 : 0);
		if (n && s[n - 1] == '\r')
			n--;
		if (n > HVB_CONF_LINE_MAX) {
			snprintf(body, sizeof(body), "longer than %u bytes", HVB_CONF_LINE_MAX);
			return fail(&ps, line, body);
		}
		for (size_t i = 0; i < n; i++)
			if (s[i] != '\t' && bad_byte((unsigned char)s[i], false, body, sizeof(body)))
				return fail(&ps, line, body);
		rc = file_line(&ps, line, s, n);
		if (rc)
			return rc;
	}
	*c = ps.cfg;
	return 0;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int config_parse_options(struct hvb_config *c, const char *text, size_t len, char *err,
			 size_t errlen)
{
	const char *nul = len ? memchr(text, '\0', len) : NULL;
	struct parse ps;
	unsigned tok = 0;
	size_t i = 0;

	parse_begin(&ps, c, "load options", "token", err, errlen);
	if (len == 0) /* no options at all; text may then be NULL */
		return 0;
	if (nul)
		len = (size_t)(nul - text);
	for (;;) {
		char body[HVB_CONF_ERR_MAX];
		const char *s, *eq, *v;
		size_t n, vn, quotes = 0;
		bool quoted = false;
		int rc;

		while (i < len && is_space(text[i]))
			i++;
		if (i == len)
			break;
		tok++;
		s = text + i;
		/* A token runs to whitespace outside double quotes. */
		for (; i < len && (quoted || !is_space(text[i])); i++) {
			if (!is_blank(text[i]) &&
			    bad_byte((unsigned char)text[i], quoted, body, sizeof(body)))
				return fail(&ps, tok, body);
			if (text[i] == '"') {
				quoted = !quoted;
				quotes++;
			}
		}
		if (quoted)
			return fail(&ps, tok, "the double quote is not closed");
		n = (size_t)(text + i - s);
		if (n > HVB_CONF_LINE_MAX) {
			snprintf(body, sizeof(body), "longer than %u bytes", HVB_CONF_LINE_MAX);
			return fail(&ps, tok, body);
		}
		eq = memchr(s, '=', n);
		if (!eq) {
			/* The shell passes the image's own path first. */
			if (tok == 1)
				continue;
			snprintf(body, sizeof(body),
				 "\"%.*s\" is not key=value (kernel arguments go in cmdline=\"...\")",
				 n > 40 ? 40 : (int)n, s);
			return fail(&ps, tok, body);
		}
		v = eq + 1;
		vn = n - (size_t)(v - s);
		/* Quotes enclose a whole value or nothing: then no escapes are
		 * needed (backslashes are path separators in UEFI). */
		if (quotes) {
			if (memchr(s, '"', (size_t)(eq - s)) || quotes != 2 || vn < 2 ||
			    v[0] != '"' || v[vn - 1] != '"')
				return fail(&ps, tok, "a double quote may only enclose a whole value");
			v++;
			vn -= 2;
		}
		rc = apply(&ps, tok, s, (size_t)(eq - s), v, vn);
		if (rc)
			return rc;
	}
	*c = ps.cfg;
	return 0;
}

void config_defaults(struct hvb_config *c)
{
	memset(c, 0, sizeof(*c));
	c->hv = HVB_HV_NATIVE;
	c->mode = HVB_MODE_BOOT;
	c->timeout_s = 30;
	c->queue_depth = 32;
	c->console = HVB_CONSOLE_BOTH;
	c->progress = HVB_PROGRESS_AUTO;
	c->reset_timeout_s = 10;
}

static int check_fail(char *err, size_t errlen, const char *what)
{
	if (errlen)
		snprintf(err, errlen, "configuration: %s", what);
	return -EINVAL;
}

int config_check(const struct hvb_config *c, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (c->mode == HVB_MODE_BOOT && c->kernel.kind == HVB_SRC_NONE)
		return check_fail(err, errlen,
				  "mode=boot needs kernel= (in hvboot.conf or the load options)");
	if (c->has_sha256_kernel && c->kernel.kind == HVB_SRC_NONE)
		return check_fail(err, errlen, "sha256.kernel is set but kernel= is not");
	if (c->has_sha256_initrd && c->initrd.kind == HVB_SRC_NONE)
		return check_fail(err, errlen, "sha256.initrd is set but initrd= is not");
	if (c->has_sha256_kernel && c->kernel.has_digest &&
	    memcmp(c->sha256_kernel, c->kernel.digest, 32) != 0)
		return check_fail(err, errlen,
				  "the kernel's #sha256= and sha256.kernel are different digests");
	if (c->has_sha256_initrd && c->initrd.has_digest &&
	    memcmp(c->sha256_initrd, c->initrd.digest, 32) != 0)
		return check_fail(err, errlen,
				  "the initrd's #sha256= and sha256.initrd are different digests");
	return 0;
}

/* snprintf at *at, keeping *at inside buf so that later calls only cut. */
static void put(char *buf, size_t len, size_t *at, const char *key, const char *val,
		const char *quote)
{
	int n;

	if (*at >= len)
		return;
	n = snprintf(buf + *at, len - *at, "%s%s=%s%s%s", *at ? " " : "", key, quote, val,
		     quote);
	if (n < 0)
		return;
	*at += (size_t)n;
	if (*at >= len)
		*at = len - 1;
}

static void put_digest(char *buf, size_t len, size_t *at, const char *key, bool has,
		       const uint8_t d[32])
{
	char hex[SHA256_HEX_LEN];

	if (!has) {
		put(buf, len, at, key, "(none)", "");
		return;
	}
	sha256_hex(d, hex);
	memcpy(hex + 16, "...", 4);
	put(buf, len, at, key, hex, "");
}

static void put_u32(char *buf, size_t len, size_t *at, const char *key, uint32_t v)
{
	char num[12];

	snprintf(num, sizeof(num), "%u", (unsigned)v);
	put(buf, len, at, key, num, "");
}

void config_describe(const struct hvb_config *c, char *buf, size_t len)
{
	size_t at = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	put(buf, len, &at, "kernel", c->kernel.kind ? c->kernel.text : "(none)", "");
	put(buf, len, &at, "initrd", c->initrd.kind ? c->initrd.text : "(none)", "");
	put(buf, len, &at, "cmdline", c->cmdline, "\"");
	put_digest(buf, len, &at, "sha256.kernel", c->has_sha256_kernel, c->sha256_kernel);
	put_digest(buf, len, &at, "sha256.initrd", c->has_sha256_initrd, c->sha256_initrd);
	put(buf, len, &at, "hv", hv_words[c->hv == HVB_HV_BRIDGE], "");
	put(buf, len, &at, "mode", mode_words[c->mode == HVB_MODE_DIAG], "");
	put_u32(buf, len, &at, "timeout", c->timeout_s);
	put_u32(buf, len, &at, "queue_depth", c->queue_depth);
	put(buf, len, &at, "console",
	    console_words[c->console <= HVB_CONSOLE_FB ? c->console : 0], "");
	put(buf, len, &at, "progress",
	    progress_words[c->progress <= HVB_PROGRESS_OFF ? c->progress : 0], "");
	put_u32(buf, len, &at, "reset_timeout", c->reset_timeout_s);
}
