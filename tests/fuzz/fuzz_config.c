/* libFuzzer target: the boot configuration (boot/config.c) on arbitrary
 * text: \hvboot.conf, then the load options, then config_check and
 * config_describe, as efi_main runs them.
 * Input: [flags u8][file_len u16 LE][file_len bytes of hvboot.conf][load options]
 *   flags bits 0-2: the error buffer's size: 256, 0, 1, 2, 17, 64, 100, 300
 *         bits 3-4: config_describe's buffer: 8192, 1, 37, 300 bytes
 *         bit 5:    no hvboot.conf
 *         bit 6:    no load options
 *         bit 7:    start from a configuration a good file already set
 *
 * Checked: the error buffer is always NUL-terminated within its size and
 * nothing is written past it (a guard follows it); a refused source leaves
 * the configuration exactly as it was (the parser promises all or
 * nothing) and says why in a sentence; an accepted one leaves "" and a
 * configuration within its documented ranges, whose sources the loaders'
 * own parsers accept again (a source accepted here is never refused later
 * for its form) and whose text is printable; config_check and
 * config_describe stay inside their buffers. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../../boot/config.h"
#include "../../net/url.h"
#include "../../payload/source.h"
#include "fuzz_common.h"

#define GUARD 32
#define FILL 0xa5

static const size_t err_sizes[8] = { HVB_CONF_ERR_MAX, 0, 1, 2, 17, 64, 100, 300 };
static const size_t describe_sizes[4] = { 8192, 1, 37, 300 };

static char err[300 + GUARD];
static char desc[8192 + GUARD];

static void check_buf(const char *buf, size_t len, size_t cap)
{
	if (len && !memchr(buf, '\0', len))
		__builtin_trap();
	for (size_t i = len; i < cap; i++)
		if ((uint8_t)buf[i] != FILL)
			__builtin_trap();
}

/* Printable ASCII or a tab: what a line or token may hold. */
static void check_text(const char *s, size_t cap)
{
	const char *nul = memchr(s, '\0', cap);

	if (!nul)
		__builtin_trap();
	for (; s < nul; s++)
		if (*s != '\t' && (*s < 0x20 || *s > 0x7e))
			__builtin_trap();
}

static void check_source(const struct hvb_conf_source *src)
{
	const char *why = "";

	check_text(src->text, sizeof(src->text));
	if (src->kind == HVB_SRC_SCSI) {
		struct disk_source ds;

		if (source_parse_quiet(src->text, &ds, &why) != 0 || ds.has_digest != src->has_digest ||
		    (ds.has_digest && memcmp(ds.digest, src->digest, 32) != 0))
			__builtin_trap();
	} else if (src->kind == HVB_SRC_NET) {
		struct net_url u;

		if (net_url_parse(src->text, &u, &why) != 0 || u.has_digest != src->has_digest ||
		    (u.has_digest && memcmp(u.digest, src->digest, 32) != 0))
			__builtin_trap();
	} else if (src->kind != HVB_SRC_NONE) {
		__builtin_trap();
	}
}

static void check_config(const struct hvb_config *c)
{
	check_source(&c->kernel);
	check_source(&c->initrd);
	check_text(c->cmdline, sizeof(c->cmdline));
	if (c->hv > HVB_HV_BRIDGE || c->mode > HVB_MODE_DIAG || c->console > HVB_CONSOLE_FB ||
	    c->progress > HVB_PROGRESS_OFF)
		__builtin_trap();
	if (c->timeout_s < 1 || c->timeout_s > 3600 || c->queue_depth < 1 || c->queue_depth > 256 ||
	    c->reset_timeout_s > 600)
		__builtin_trap();
}

typedef int (*parse_fn)(struct hvb_config *, const char *, size_t, char *, size_t);

/* One source through one parser, with everything the header promises. */
static void parse(parse_fn fn, struct hvb_config *c, const uint8_t *text, size_t len,
		  size_t errlen)
{
	static struct hvb_config before;
	int rc;

	memcpy(&before, c, sizeof(before));
	memset(err, FILL, sizeof(err));
	rc = fn(c, (const char *)text, len, err, errlen);
	check_buf(err, errlen, sizeof(err));
	if (rc == 0) {
		if (errlen && err[0])
			__builtin_trap();
		check_config(c);
	} else {
		if (rc != -EINVAL || memcmp(&before, c, sizeof(before)) != 0)
			__builtin_trap();
		if (errlen > 1 && !err[0])
			__builtin_trap(); /* a refusal without a sentence */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static const char good[] = "kernel=scsi:0/EFI/Linux/vmlinuz#sha256="
				   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
				   "initrd=tftp://10.0.2.2/initrd.img\ncmdline=\"console=ttyS0 quiet\"\n"
				   "hv=bridge\nmode=diag\ntimeout=5\nqueue_depth=7\nconsole=fb\n"
				   "progress=off\nreset_timeout=0\n";
	static struct hvb_config c;
	size_t flen, errlen, dlen;
	uint8_t flags;

	if (n < 3)
		return 0;
	flags = in[0];
	flen = (size_t)in[1] | (size_t)in[2] << 8;
	if (flen > n - 3)
		flen = n - 3;
	errlen = err_sizes[flags & 7];
	dlen = describe_sizes[(flags >> 3) & 3];

	config_defaults(&c);
	if ((flags & 0x80) && config_parse_file(&c, good, sizeof(good) - 1, err, sizeof(err)) != 0)
		__builtin_trap();
	if (!(flags & 0x20))
		parse(config_parse_file, &c, in + 3, flen, errlen);
	if (!(flags & 0x40))
		parse(config_parse_options, &c, in + 3 + flen, n - 3 - flen, errlen);

	memset(err, FILL, sizeof(err));
	config_check(&c, err, errlen);
	check_buf(err, errlen, sizeof(err));
	memset(desc, FILL, sizeof(desc));
	config_describe(&c, desc, dlen);
	check_buf(desc, dlen, sizeof(desc));
	return 0;
}
