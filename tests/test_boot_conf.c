/* The boot configuration (boot/config.c): every key from both sources,
 * the override order, quoting, line ends and comments, and every error
 * with its exact sentence, since that sentence is all a user at the
 * console gets. */
#include <errno.h>
#include <string.h>

#include "../boot/config.h"
#include "harness.h"

#define DIGEST_A "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define DIGEST_B "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Parses text (a literal or a buffer of n bytes) into *c from defaults. */
static int file(struct hvb_config *c, const char *text, size_t n, char *err)
{
	config_defaults(c);
	return config_parse_file(c, text, n, err, HVB_CONF_ERR_MAX);
}

static int opts(struct hvb_config *c, const char *text, size_t n, char *err)
{
	config_defaults(c);
	return config_parse_options(c, text, n, err, HVB_CONF_ERR_MAX);
}

/* An error case: the source must be refused with exactly msg, and the
 * configuration must be left as it was (the defaults). */
static void expect_err(int line, bool is_file, const char *text, size_t n, const char *msg)
{
	struct hvb_config c, d;
	char err[HVB_CONF_ERR_MAX];
	int rc = is_file ? file(&c, text, n, err) : opts(&c, text, n, err);

	if (rc != -EINVAL)
		test_fail(__FILE__, line, "accepted \"%.60s\"", text);
	if (strcmp(err, msg) != 0)
		test_fail(__FILE__, line, "got \"%s\", want \"%s\"", err, msg);
	config_defaults(&d);
	if (memcmp(&c, &d, sizeof(c)) != 0)
		test_fail(__FILE__, line, "a refused source changed the configuration");
}

#define FILE_ERR(text, msg) expect_err(__LINE__, true, text, sizeof(text) - 1, msg)
#define OPTS_ERR(text, msg) expect_err(__LINE__, false, text, sizeof(text) - 1, msg)
#define FILE_OK(c, text, err) CHECK_MSG(file(c, text, sizeof(text) - 1, err) == 0, "%s", err)
#define OPTS_OK(c, text, err) CHECK_MSG(opts(c, text, sizeof(text) - 1, err) == 0, "%s", err)

TEST(conf_defaults)
{
	struct hvb_config c;
	char err[HVB_CONF_ERR_MAX];

	config_defaults(&c);
	CHECK(c.kernel.kind == HVB_SRC_NONE && c.initrd.kind == HVB_SRC_NONE);
	CHECK(c.cmdline[0] == '\0');
	CHECK(!c.has_sha256_kernel && !c.has_sha256_initrd);
	CHECK(c.hv == HVB_HV_NATIVE && c.mode == HVB_MODE_BOOT);
	CHECK_EQ(c.timeout_s, 30);
	CHECK_EQ(c.queue_depth, 32);
	CHECK(c.console == HVB_CONSOLE_BOTH && c.progress == HVB_PROGRESS_AUTO);
	CHECK_EQ(c.reset_timeout_s, 10);
	/* An empty file, blank lines and comments change nothing. */
	FILE_OK(&c, "", err);
	FILE_OK(&c, "\n\n   \t\n# kernel=scsi:0/x\n  # timeout=5\n", err);
	CHECK(c.kernel.kind == HVB_SRC_NONE);
	CHECK_EQ(c.timeout_s, 30);
	OPTS_OK(&c, "", err);
	OPTS_OK(&c, "  \t \r\n ", err);
	/* No file and no options at all. */
	CHECK_EQ(config_parse_file(&c, NULL, 0, err, sizeof(err)), 0);
	CHECK_EQ(config_parse_options(&c, NULL, 0, err, sizeof(err)), 0);
	CHECK(err[0] == '\0');
}

TEST(conf_every_key_from_the_file)
{
	struct hvb_config c;
	char err[HVB_CONF_ERR_MAX];

	FILE_OK(&c,
		"# hvboot.conf\n"
		"kernel=scsi:0/EFI/Linux/vmlinuz 6.1.efi\n"
		"initrd = http://10.0.2.2:8080/initrd.img\n"
		"cmdline=console=ttyS0 root=/dev/sda2  quiet # not a comment\n"
		"sha256.kernel=" DIGEST_A "\n"
		"sha256.initrd=" DIGEST_B "\n"
		"hv=bridge\n"
		"mode=diag\n"
		"timeout=3600\n"
		"queue_depth=256\n"
		"console=serial\n"
		"progress=off\n"
		"reset_timeout=0\n",
		err);
	CHECK(c.kernel.kind == HVB_SRC_SCSI && !c.kernel.has_digest);
	CHECK(strcmp(c.kernel.text, "scsi:0/EFI/Linux/vmlinuz 6.1.efi") == 0);
	CHECK(c.initrd.kind == HVB_SRC_NET);
	CHECK(strcmp(c.initrd.text, "http://10.0.2.2:8080/initrd.img") == 0);
	CHECK(strcmp(c.cmdline, "console=ttyS0 root=/dev/sda2  quiet # not a comment") == 0);
	CHECK(c.has_sha256_kernel && c.sha256_kernel[0] == 0xba && c.sha256_kernel[31] == 0xad);
	CHECK(c.has_sha256_initrd && c.sha256_initrd[0] == 0xe3 && c.sha256_initrd[31] == 0x55);
	CHECK(c.hv == HVB_HV_BRIDGE && c.mode == HVB_MODE_DIAG);
	CHECK_EQ(c.timeout_s, 3600);
	CHECK_EQ(c.queue_depth, 256);
	CHECK(c.console == HVB_CONSOLE_SERIAL && c.progress == HVB_PROGRESS_OFF);
	CHECK_EQ(c.reset_timeout_s, 0);

	/* The other words and the low ends of the ranges. */
	FILE_OK(&c, "hv=native\nmode=boot\nconsole=fb\nprogress=on\ntimeout=1\nqueue_depth=1\n"
		    "reset_timeout=600\nkernel=dhcp\n", err);
	CHECK(c.hv == HVB_HV_NATIVE && c.mode == HVB_MODE_BOOT);
	CHECK(c.console == HVB_CONSOLE_FB && c.progress == HVB_PROGRESS_ON);
	CHECK_EQ(c.timeout_s, 1);
	CHECK_EQ(c.queue_depth, 1);
	CHECK_EQ(c.reset_timeout_s, 600);
	CHECK(c.kernel.kind == HVB_SRC_NET);
	FILE_OK(&c, "console=both\nprogress=auto\ntimeout=0030\n", err);
	CHECK(c.console == HVB_CONSOLE_BOTH && c.progress == HVB_PROGRESS_AUTO);
	CHECK_EQ(c.timeout_s, 30);
}

TEST(conf_sources)
{
	static const struct {
		const char *text;
		enum hvb_conf_src_kind kind;
		bool digest;
	} ok[] = {
		{ "scsi:0/boot/vmlinuz", HVB_SRC_SCSI, false },
		{ "scsi:3:2/EFI/Linux/linux.efi", HVB_SRC_SCSI, false },
		{ "scsi:0@2048+16384", HVB_SRC_SCSI, false },
		{ "scsi:1/initrd.img#sha256=" DIGEST_A, HVB_SRC_SCSI, true },
		{ "tftp://10.0.2.2/vmlinuz", HVB_SRC_NET, false },
		{ "tftp://boot.example:6969/pxe/vmlinuz", HVB_SRC_NET, false },
		{ "http://boot.example/k#sha256=" DIGEST_A, HVB_SRC_NET, true },
		{ "dhcp", HVB_SRC_NET, false },
		{ "dhcp#sha256=" DIGEST_A, HVB_SRC_NET, true },
	};
	char text[HVB_CONF_LINE_MAX + 64];
	char err[HVB_CONF_ERR_MAX];
	struct hvb_config c;

	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int n = snprintf(text, sizeof(text), "initrd=%s\n", ok[i].text);

		CHECK_MSG(file(&c, text, (size_t)n, err) == 0, "%s: %s", ok[i].text, err);
		CHECK(c.initrd.kind == ok[i].kind && c.initrd.has_digest == ok[i].digest);
		CHECK(strcmp(c.initrd.text, ok[i].text) == 0);
		if (ok[i].digest)
			CHECK(c.initrd.digest[0] == 0xba && c.initrd.digest[31] == 0xad);
	}

	/* Each parser's own reason, after the key. */
	FILE_ERR("kernel=", "hvboot.conf line 1: kernel needs a source: scsi:<lun>/<path>, "
			    "scsi:<lun>:<partition>/<path>, scsi:<lun>@<lba>+<count>, "
			    "tftp://<host>[:<port>]/<path>, http://<host>[:<port>]/<path> or dhcp");
	FILE_ERR("kernel=/boot/vmlinuz",
		 "hvboot.conf line 1: kernel must be scsi:<lun>/<path>, "
		 "scsi:<lun>:<partition>/<path>, scsi:<lun>@<lba>+<count>, "
		 "tftp://<host>[:<port>]/<path>, http://<host>[:<port>]/<path> or dhcp");
	FILE_ERR("initrd=dhcpd", "hvboot.conf line 1: initrd must be scsi:<lun>/<path>, "
				 "scsi:<lun>:<partition>/<path>, scsi:<lun>@<lba>+<count>, "
				 "tftp://<host>[:<port>]/<path>, http://<host>[:<port>]/<path> or dhcp");
	FILE_ERR("kernel=scsi:0/", "hvboot.conf line 1: kernel: the path names no file");
	FILE_ERR("kernel=scsi:256/k", "hvboot.conf line 1: kernel: the LUN is not a number in 0..255");
	FILE_ERR("kernel=scsi:0@5+0",
		 "hvboot.conf line 1: kernel: the block count is not a number from 1 up to 2^64 - LBA");
	FILE_ERR("kernel=scsi:0/k#sha256=12",
		 "hvboot.conf line 1: kernel: the SHA-256 digest is not exactly 64 hex digits");
	FILE_ERR("initrd=https://x/y",
		 "hvboot.conf line 1: initrd: https is not supported (use http with #sha256=)");
	FILE_ERR("kernel=http://host", "hvboot.conf line 1: kernel: there is no path after the host");
	FILE_ERR("kernel=tftp://1.2.3.256/x",
		 "hvboot.conf line 1: kernel: the host is not a valid IPv4 address");
	FILE_ERR("kernel=http://h:0/x", "hvboot.conf line 1: kernel: the port is not a number 1-65535");
	FILE_ERR("kernel=dhcp#sha256=12",
		 "hvboot.conf line 1: kernel: the part after '#' is not sha256= and 64 hex digits");

	/* Long sources: the URL parser's limit (1024 bytes of path) comes
	 * first, then the field's. */
	memset(text, 'a', sizeof(text));
	memcpy(text, "kernel=tftp://h/", 16);
	CHECK_MSG(file(&c, text, 16 + 1024, err) == 0, "%s", err);
	CHECK_EQ(strlen(c.kernel.text), 9 + 1024);
	expect_err(__LINE__, true, text, 16 + 1025, "hvboot.conf line 1: kernel: the path is too long");
	expect_err(__LINE__, true, text, 7 + HVB_CONF_SOURCE_MAX,
		   "hvboot.conf line 1: kernel is longer than 1399 bytes");
}

TEST(conf_value_errors)
{
	FILE_ERR("\n\nkernl=scsi:0/k", "hvboot.conf line 3: unknown key \"kernl\"");
	FILE_ERR("Kernel=scsi:0/k", "hvboot.conf line 1: unknown key \"Kernel\"");
	FILE_ERR("a_key_that_goes_on_and_on_and_on_and_on_and_on=1",
		 "hvboot.conf line 1: unknown key \"a_key_that_goes_on_and_on_and_on_and_on_\"");
	FILE_ERR("sha256.kernel=abc", "hvboot.conf line 1: sha256.kernel must be 64 hex digits");
	FILE_ERR("sha256.kernel=" DIGEST_A "0",
		 "hvboot.conf line 1: sha256.kernel must be 64 hex digits");
	FILE_ERR("mode=diag\n\n\n\nsha256.kernel="
		 "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		 "hvboot.conf line 5: sha256.kernel must be 64 hex digits");
	FILE_ERR("sha256.initrd=", "hvboot.conf line 1: sha256.initrd must be 64 hex digits");
	static const char *bad_timeout[] = { "0", "3601", "", "-1", "+5", "30s", "3 0", "99999999999",
					     "4294967326", "0x10" };
	for (unsigned i = 0; i < sizeof(bad_timeout) / sizeof(bad_timeout[0]); i++) {
		char line[64];
		int n = snprintf(line, sizeof(line), "timeout=%s", bad_timeout[i]);

		expect_err(__LINE__, true, line, (size_t)n,
			   "hvboot.conf line 1: timeout must be 1..3600 seconds");
	}
	FILE_ERR("queue_depth=0", "hvboot.conf line 1: queue_depth must be 1..256");
	FILE_ERR("queue_depth=257", "hvboot.conf line 1: queue_depth must be 1..256");
	FILE_ERR("reset_timeout=601", "hvboot.conf line 1: reset_timeout must be 0..600 seconds");
	FILE_ERR("reset_timeout=", "hvboot.conf line 1: reset_timeout must be 0..600 seconds");
	FILE_ERR("hv=hyperv", "hvboot.conf line 1: hv must be native or bridge");
	FILE_ERR("hv=", "hvboot.conf line 1: hv must be native or bridge");
	FILE_ERR("mode=Boot", "hvboot.conf line 1: mode must be boot or diag");
	FILE_ERR("mode=boots", "hvboot.conf line 1: mode must be boot or diag");
	FILE_ERR("console=vga", "hvboot.conf line 1: console must be serial, fb or both");
	FILE_ERR("progress=yes", "hvboot.conf line 1: progress must be auto, on or off");
	FILE_ERR("just some words", "hvboot.conf line 1: \"just some words\" is not key=value");
	FILE_ERR("=5", "hvboot.conf line 1: there is no key before '='");
	FILE_ERR("  = 5", "hvboot.conf line 1: there is no key before '='");
}

TEST(conf_file_syntax)
{
	struct hvb_config c;
	char err[HVB_CONF_ERR_MAX];

	/* CRLF, trailing blanks, tabs around '=', a last line without a line
	 * end, and a CR just before the end of the file. */
	FILE_OK(&c, "\tkernel\t=\tscsi:0/k \r\ntimeout = 7\t\r\n\r\nmode=diag\r", err);
	CHECK(strcmp(c.kernel.text, "scsi:0/k") == 0);
	CHECK_EQ(c.timeout_s, 7);
	CHECK(c.mode == HVB_MODE_DIAG);
	FILE_OK(&c, "queue_depth=8", err);
	CHECK_EQ(c.queue_depth, 8);
	/* A UTF-8 byte order mark (Notepad) is skipped; UTF-16 is named. */
	FILE_OK(&c, "\xef\xbb\xbfqueue_depth=9\n", err);
	CHECK_EQ(c.queue_depth, 9);
	FILE_ERR("\xff\xfeq\0", "hvboot.conf is UTF-16 text; save it as ASCII");
	FILE_ERR("\xfe\xff\0q", "hvboot.conf is UTF-16 text; save it as ASCII");

	/* Quotes: a value that is one quoted string loses them (as in the
	 * load options); anything else stays verbatim. */
	FILE_OK(&c, "cmdline=\"console=ttyS0 quiet\"\n", err);
	CHECK(strcmp(c.cmdline, "console=ttyS0 quiet") == 0);
	FILE_OK(&c, "cmdline=init=\"/bin/sh\" x\n", err);
	CHECK(strcmp(c.cmdline, "init=\"/bin/sh\" x") == 0);
	FILE_OK(&c, "cmdline=\"a\" \"b\"\n", err);
	CHECK(strcmp(c.cmdline, "\"a\" \"b\"") == 0);
	FILE_OK(&c, "cmdline=\"\"\n", err);
	CHECK(strcmp(c.cmdline, "") == 0);
	FILE_OK(&c, "cmdline=\n", err);
	CHECK(strcmp(c.cmdline, "") == 0);
	FILE_OK(&c, "timeout=\"12\"\n", err);
	CHECK_EQ(c.timeout_s, 12);

	/* Bytes a text file does not hold. */
	FILE_ERR("mode=diag\nkern\0el=x", "hvboot.conf line 2: a NUL byte (the file must be text)");
	FILE_ERR("cmdline=a\x1b[0m", "hvboot.conf line 1: the byte 0x1b, which is not printable ASCII");
	FILE_ERR("cmdline=caf\xc3\xa9", "hvboot.conf line 1: the byte 0xc3, which is not printable ASCII");
	FILE_ERR("cmdline=\x7f", "hvboot.conf line 1: the byte 0x7f, which is not printable ASCII");
	FILE_ERR("mode=diag\rtimeout=5",
		 "hvboot.conf line 1: a carriage return not followed by a line feed");
	/* Even in a comment: the rule is about the file, not the keys. */
	FILE_ERR("# \x01\n", "hvboot.conf line 1: the byte 0x01, which is not printable ASCII");
}

TEST(conf_file_bounds)
{
	static char big[HVB_CONF_FILE_MAX + 2];
	struct hvb_config c;
	char err[HVB_CONF_ERR_MAX];
	size_t n;

	/* A 4096-byte line (CRLF after it) is fine, 4097 is not. */
	memset(big, 'x', sizeof(big));
	big[0] = '#';
	memcpy(big + 4096, "\r\n#", 3);
	CHECK_MSG(file(&c, big, 4096 + 2 + 4096, err) == 0, "%s", err);
	expect_err(__LINE__, true, big, 4096 + 2 + 4097, "hvboot.conf line 2: longer than 4096 bytes");
	/* The whole file: 65536 bytes are read, 65537 refused. */
	memset(big, '\n', sizeof(big));
	memcpy(big + HVB_CONF_FILE_MAX - 10, "timeout=9", 9);
	CHECK_MSG(file(&c, big, HVB_CONF_FILE_MAX, err) == 0, "%s", err);
	CHECK_EQ(c.timeout_s, 9);
	expect_err(__LINE__, true, big, HVB_CONF_FILE_MAX + 1, "hvboot.conf is larger than 65536 bytes");
	/* Line numbers count every line. */
	n = (size_t)snprintf(big, sizeof(big), "%s", "");
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "# %d\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "kernel\n");
	expect_err(__LINE__, true, big, n, "hvboot.conf line 1001: \"kernel\" is not key=value");
	/* The cmdline's limit: 2047 bytes. */
	memset(big, 'c', sizeof(big));
	memcpy(big, "cmdline=", 8);
	CHECK_MSG(file(&c, big, 8 + 2047, err) == 0, "%s", err);
	CHECK_EQ(strlen(c.cmdline), 2047);
	expect_err(__LINE__, true, big, 8 + 2048, "hvboot.conf line 1: cmdline is longer than 2047 bytes");
	/* No error buffer, or a small one: still refused, never overrun. */
	config_defaults(&c);
	CHECK_EQ(config_parse_file(&c, "kernl=1", 7, NULL, 0), -EINVAL);
	CHECK_EQ(config_parse_options(&c, "x kernl=1", 9, NULL, 0), -EINVAL);
	memset(err, '*', sizeof(err));
	CHECK_EQ(config_parse_file(&c, "kernl=1", 7, err, 12), -EINVAL);
	CHECK(strcmp(err, "hvboot.conf") == 0 && err[12] == '*');
}

TEST(conf_duplicates_and_atomicity)
{
	struct hvb_config c;
	char err[HVB_CONF_ERR_MAX];

	FILE_ERR("timeout=5\n# again\ntimeout=6", "hvboot.conf line 3: timeout was already set at line 1");
	FILE_ERR("cmdline=\ncmdline=", "hvboot.conf line 2: cmdline was already set at line 1");
	OPTS_ERR("hvboot.efi timeout=5 mode=diag timeout=5",
		 "load options token 4: timeout was already set at token 2");
	/* A source with an error is not taken in part. */
	config_defaults(&c);
	CHECK_EQ(config_parse_file(&c, "timeout=5\nqueue_depth=0\n", 24, err, sizeof(err)), -EINVAL);
	CHECK_EQ(c.timeout_s, 30);
	/* A source is one parse: the same key in the next call is an override. */
	CHECK_EQ(config_parse_file(&c, "timeout=5\n", 10, err, sizeof(err)), 0);
	CHECK_EQ(config_parse_file(&c, "timeout=6\n", 10, err, sizeof(err)), 0);
	CHECK_EQ(c.timeout_s, 6);
}

TEST(conf_options_override_the_file)
{
	static const char conf[] = "kernel=scsi:0/vmlinuz\ninitrd=scsi:0/initrd.img\n"
				   "cmdline=console=ttyS0\ntimeout=5\nsha256.kernel=" DIGEST_A "\n";
	static const char options[] = "\\EFI\\hvboot\\hvboot.efi kernel=tftp://10.0.2.2/vmlinuz "
				      "cmdline=\"console=ttyS0 quiet\" mode=diag";
	struct hvb_config c;
	char err[HVB_CONF_ERR_MAX];

	config_defaults(&c);
	CHECK_EQ(config_parse_file(&c, conf, sizeof(conf) - 1, err, sizeof(err)), 0);
	CHECK_MSG(config_parse_options(&c, options, sizeof(options) - 1, err, sizeof(err)) == 0,
		  "%s", err);
	CHECK(c.kernel.kind == HVB_SRC_NET && strcmp(c.kernel.text, "tftp://10.0.2.2/vmlinuz") == 0);
	CHECK(strcmp(c.initrd.text, "scsi:0/initrd.img") == 0); /* from the file */
	CHECK(strcmp(c.cmdline, "console=ttyS0 quiet") == 0);
	CHECK(c.mode == HVB_MODE_DIAG);
	CHECK_EQ(c.timeout_s, 5);
	/* The file's digest stays in force for the kernel the options name. */
	CHECK(c.has_sha256_kernel && c.sha256_kernel[0] == 0xba);
}

TEST(conf_options_tokens)
{
	struct hvb_config c;
	char err[HVB_CONF_ERR_MAX];

	/* Without the image path, the first token is a key like the others. */
	OPTS_OK(&c, "timeout=9 queue_depth=4", err);
	CHECK_EQ(c.timeout_s, 9);
	CHECK_EQ(c.queue_depth, 4);
	OPTS_OK(&c, "hvboot.efi", err);
	OPTS_OK(&c, "\"\\EFI\\my boot\\hvboot.efi\"\ttimeout=8\r\n", err);
	CHECK_EQ(c.timeout_s, 8);
	/* A quoted value keeps its spaces; "" is empty. */
	OPTS_OK(&c, "x.efi cmdline=\"console=ttyS0  quiet\" kernel=\"scsi:0/EFI/a b.efi\"", err);
	CHECK(strcmp(c.cmdline, "console=ttyS0  quiet") == 0);
	CHECK(strcmp(c.kernel.text, "scsi:0/EFI/a b.efi") == 0);
	OPTS_OK(&c, "x.efi cmdline=\"\" hv=bridge", err);
	CHECK(strcmp(c.cmdline, "") == 0 && c.hv == HVB_HV_BRIDGE);
	OPTS_OK(&c, "x.efi cmdline=", err);
	/* The options end at the first NUL (UEFI counts the terminator). */
	OPTS_OK(&c, "x.efi timeout=7\0timeout=8 rubbish\0", err);
	CHECK_EQ(c.timeout_s, 7);

	OPTS_ERR("hvboot.efi timeout=0", "load options token 2: timeout must be 1..3600 seconds");
	OPTS_ERR("hvboot.efi kernl=scsi:0/k", "load options token 2: unknown key \"kernl\"");
	OPTS_ERR("hvboot.efi quiet",
		 "load options token 2: \"quiet\" is not key=value (kernel arguments go in "
		 "cmdline=\"...\")");
	OPTS_ERR("mode=diag quiet",
		 "load options token 2: \"quiet\" is not key=value (kernel arguments go in "
		 "cmdline=\"...\")");
	OPTS_ERR("x.efi cmdline=\"a b", "load options token 2: the double quote is not closed");
	OPTS_ERR("x.efi cmdline=a\"b\"",
		 "load options token 2: a double quote may only enclose a whole value");
	OPTS_ERR("x.efi \"cmdline=a\"",
		 "load options token 2: a double quote may only enclose a whole value");
	OPTS_ERR("x.efi cmdline=\"a\"\"b\"",
		 "load options token 2: a double quote may only enclose a whole value");
	OPTS_ERR("x.efi cmdline=\"a\nb\"", "load options token 2: a line break inside double quotes");
	OPTS_ERR("x.efi mode=d\x01iag",
		 "load options token 2: the byte 0x01, which is not printable ASCII");
	OPTS_ERR("x.efi =diag", "load options token 2: there is no key before '='");
	OPTS_ERR("x.efi sha256.initrd=" DIGEST_B "x",
		 "load options token 2: sha256.initrd must be 64 hex digits");
	OPTS_ERR("x.efi progress=", "load options token 2: progress must be auto, on or off");
	OPTS_ERR("x.efi kernel=ftp://h/k",
		 "load options token 2: kernel must be scsi:<lun>/<path>, "
		 "scsi:<lun>:<partition>/<path>, scsi:<lun>@<lba>+<count>, "
		 "tftp://<host>[:<port>]/<path>, http://<host>[:<port>]/<path> or dhcp");

	/* A token of 4096 bytes is read, 4097 is refused. */
	{
		static char t[HVB_CONF_LINE_MAX + 16];

		memset(t, 'c', sizeof(t));
		memcpy(t, "x cmdline=\"", 11);
		t[2 + 4095] = '"';
		CHECK_EQ(opts(&c, t, 2 + 4096, err), -EINVAL); /* cmdline's own limit */
		CHECK(strcmp(err, "load options token 2: cmdline is longer than 2047 bytes") == 0);
		t[2 + 4095] = 'c';
		t[2 + 4096] = '"';
		CHECK_EQ(opts(&c, t, 2 + 4097, err), -EINVAL);
		CHECK(strcmp(err, "load options token 2: longer than 4096 bytes") == 0);
	}
}

TEST(conf_check)
{
	struct hvb_config c;
	char err[HVB_CONF_ERR_MAX];

	config_defaults(&c);
	CHECK_EQ(config_check(&c, err, sizeof(err)), -EINVAL);
	CHECK(strcmp(err, "configuration: mode=boot needs kernel= (in hvboot.conf or the load "
			  "options)") == 0);
	/* Diagnostics need neither a kernel nor an initrd. */
	FILE_OK(&c, "mode=diag\n", err);
	CHECK_EQ(config_check(&c, err, sizeof(err)), 0);
	CHECK(err[0] == '\0');
	FILE_OK(&c, "mode=diag\ninitrd=dhcp\n", err);
	CHECK_EQ(config_check(&c, err, sizeof(err)), 0);
	FILE_OK(&c, "kernel=scsi:0/k\n", err);
	CHECK_EQ(config_check(&c, err, sizeof(err)), 0);

	FILE_OK(&c, "mode=diag\nsha256.kernel=" DIGEST_A "\n", err);
	CHECK_EQ(config_check(&c, err, sizeof(err)), -EINVAL);
	CHECK(strcmp(err, "configuration: sha256.kernel is set but kernel= is not") == 0);
	FILE_OK(&c, "kernel=dhcp\nsha256.initrd=" DIGEST_A "\n", err);
	CHECK_EQ(config_check(&c, err, sizeof(err)), -EINVAL);
	CHECK(strcmp(err, "configuration: sha256.initrd is set but initrd= is not") == 0);

	/* A digest in the source and sha256.*: the same one, or an error. */
	FILE_OK(&c, "kernel=dhcp#sha256=" DIGEST_A "\nsha256.kernel=" DIGEST_A "\n", err);
	CHECK_EQ(config_check(&c, err, sizeof(err)), 0);
	FILE_OK(&c, "kernel=dhcp#sha256=" DIGEST_A "\nsha256.kernel=" DIGEST_B "\n", err);
	CHECK_EQ(config_check(&c, err, sizeof(err)), -EINVAL);
	CHECK(strcmp(err, "configuration: the kernel's #sha256= and sha256.kernel are different "
			  "digests") == 0);
	FILE_OK(&c, "kernel=dhcp\ninitrd=scsi:0/i#sha256=" DIGEST_A "\nsha256.initrd=" DIGEST_B "\n",
		err);
	CHECK_EQ(config_check(&c, err, sizeof(err)), -EINVAL);
	CHECK(strcmp(err, "configuration: the initrd's #sha256= and sha256.initrd are different "
			  "digests") == 0);
	CHECK_EQ(config_check(&c, NULL, 0), -EINVAL);
}

TEST(conf_describe)
{
	struct hvb_config c;
	char err[HVB_CONF_ERR_MAX], line[512];

	config_defaults(&c);
	config_describe(&c, line, sizeof(line));
	CHECK_MSG(strcmp(line, "kernel=(none) initrd=(none) cmdline=\"\" sha256.kernel=(none) "
			       "sha256.initrd=(none) hv=native mode=boot timeout=30 queue_depth=32 "
			       "console=both progress=auto reset_timeout=10") == 0,
		  "%s", line);
	FILE_OK(&c, "kernel=scsi:0/k\ninitrd=dhcp\ncmdline=quiet\nsha256.kernel=" DIGEST_A
		    "\nhv=bridge\nmode=diag\ntimeout=5\nqueue_depth=1\nconsole=fb\nprogress=off\n"
		    "reset_timeout=0\n",
		err);
	config_describe(&c, line, sizeof(line));
	CHECK_MSG(strcmp(line, "kernel=scsi:0/k initrd=dhcp cmdline=\"quiet\" "
			       "sha256.kernel=ba7816bf8f01cfea... sha256.initrd=(none) hv=bridge "
			       "mode=diag timeout=5 queue_depth=1 console=fb progress=off "
			       "reset_timeout=0") == 0,
		  "%s", line);
	/* Cut to the buffer, always terminated; nothing written into none. */
	memset(line, '*', sizeof(line));
	config_describe(&c, line, 10);
	CHECK(strcmp(line, "kernel=sc") == 0 && line[10] == '*');
	config_describe(&c, line, 1);
	CHECK(line[0] == '\0');
	line[0] = '*';
	config_describe(&c, line, 0);
	CHECK(line[0] == '*');
}
