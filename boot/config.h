/* The boot configuration of the UEFI image. Two sources, read in order:
 *   1. the file \hvboot.conf on the volume the image was loaded from;
 *   2. the image's load options (UEFI shell arguments, converted to ASCII
 *      by the caller), which override the file key by key.
 * The file: one key=value per line; blank lines and lines whose first
 * non-blank byte is '#' are ignored (there are no comments after a value:
 * sources hold "#sha256=" and command lines may hold '#'); whitespace
 * around the line, the key and the value is trimmed; CRLF and a UTF-8 BOM
 * are accepted. The load options: the same keys as whitespace-separated
 * tokens, a value may be enclosed in double quotes to hold spaces; the
 * first token is skipped when it has no '=' (the image's own path).
 * A key given twice in one source is an error; given in both, the load
 * options win.
 *
 * Pure code without I/O or allocation, so the same file builds hosted for
 * the tests and freestanding into the image. The caller reads the file:
 * it refuses a file larger than HVB_CONF_FILE_MAX before reading it (the
 * parser refuses one too). Errors are one sentence naming the source and
 * the line or token, e.g. "hvboot.conf line 3: unknown key "kernl"". */
#ifndef BOOT_CONFIG_H
#define BOOT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HVB_CONF_FILE_MAX 65536   /* bytes of \hvboot.conf */
#define HVB_CONF_LINE_MAX 4096    /* bytes of one line or token, line end excluded */
#define HVB_CONF_SOURCE_MAX 1400  /* kernel= and initrd= text, with the NUL: the longest
				   * URL net/url.c accepts (host 253, path 1024) fits */
#define HVB_CONF_CMDLINE_MAX 2048 /* 2047 bytes of kernel command line and the NUL */
#define HVB_CONF_ERR_MAX 256      /* an error buffer of this size never truncates a
				   * message, except for quoted user text, which is cut */

enum hvb_conf_src_kind {
	HVB_SRC_NONE, /* not given */
	HVB_SRC_SCSI, /* scsi:...: payload/source.h */
	HVB_SRC_NET,  /* tftp://, http://, dhcp: net/url.h */
};

enum hvb_conf_hv { HVB_HV_NATIVE, HVB_HV_BRIDGE };
enum hvb_conf_mode { HVB_MODE_BOOT, HVB_MODE_DIAG };
enum hvb_conf_console { HVB_CONSOLE_BOTH, HVB_CONSOLE_SERIAL, HVB_CONSOLE_FB };
enum hvb_conf_progress { HVB_PROGRESS_AUTO, HVB_PROGRESS_ON, HVB_PROGRESS_OFF };

/* A kernel= or initrd= value: validated by the parser of its kind, kept as
 * text for diskload / net_load, which parse it again when they load. */
struct hvb_conf_source {
	enum hvb_conf_src_kind kind;
	char text[HVB_CONF_SOURCE_MAX];
	bool has_digest;    /* the text ends in #sha256=<digest> */
	uint8_t digest[32];
};

struct hvb_config {
	struct hvb_conf_source kernel, initrd;
	char cmdline[HVB_CONF_CMDLINE_MAX]; /* default "" */
	/* sha256.kernel= / sha256.initrd=: a digest in hvboot.conf stays in
	 * force when the load options name another file (a check is never
	 * dropped silently; the load then fails on the mismatch). */
	bool has_sha256_kernel, has_sha256_initrd;
	uint8_t sha256_kernel[32], sha256_initrd[32];
	enum hvb_conf_hv hv;             /* default native */
	enum hvb_conf_mode mode;         /* default boot */
	uint32_t timeout_s;              /* 1..3600, default 30: every wait for the host or network */
	uint32_t queue_depth;            /* 1..256, default 32 */
	enum hvb_conf_console console;   /* default both */
	enum hvb_conf_progress progress; /* default auto */
	uint32_t reset_timeout_s;        /* 0..600, default 10: an error stays this long before the reset */
};

void config_defaults(struct hvb_config *c);

/* Each returns 0, or -EINVAL with the sentence in err (errlen bytes, always
 * NUL-terminated when errlen > 0) and *c unchanged: a source is taken whole
 * or not at all. config_parse_file refuses len > HVB_CONF_FILE_MAX, a line
 * longer than HVB_CONF_LINE_MAX, a NUL or other control byte (tab aside) or a
 * byte above 0x7e. config_parse_options stops at the first NUL (UEFI load
 * options are NUL-terminated and their size often counts it). */
int config_parse_file(struct hvb_config *c, const char *text, size_t len, char *err,
		      size_t errlen);
int config_parse_options(struct hvb_config *c, const char *text, size_t len, char *err,
			 size_t errlen);

/* What no single source can say: mode=boot without kernel=, a digest for a
 * file not named, two different digests for one file. 0 or -EINVAL. */
int config_check(const struct hvb_config *c, char *err, size_t errlen);

/* One line for the log: every key with its value (digests shortened to
 * their first 16 hex digits), cut to len. */
void config_describe(const struct hvb_config *c, char *buf, size_t len);

#endif
