/* End to end: hvboot.efi in QEMU+OVMF (TCG) against hvsim over the bridge
 * (scripts/run-qemu.sh), loading Debian's kernel and a busybox initrd over
 * storvsc and netvsc, handing off, Linux printing the marker; diag mode;
 * the failures a user meets. Each run takes tens of seconds under TCG. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "jsoncheck.h"

#define RUN "./scripts/run-qemu.sh --build build --timeout 100 "

static char out[1 << 20];

static void need_qemu(void)
{
	if (access("build/hvboot.efi", R_OK) != 0 || access("build/hvsim", X_OK) != 0)
		test_skip("build/hvboot.efi or build/hvsim is not built (run make test)");
	if (system("command -v qemu-system-x86_64 >/dev/null && test -r "
		   "/usr/share/OVMF/OVMF_CODE_4M.fd") != 0)
		test_skip("needs qemu-system-x86 and ovmf (make deps)");
}

/* Runs the script; its whole output (COM1, hvsim's lines) in out. */
static int run(const char *args)
{
	char cmd[1024];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), RUN "%s 2>&1", args);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	while (n < sizeof(out) - 1) {
		size_t got = fread(out + n, 1, sizeof(out) - 1 - n, p);

		if (got == 0)
			break;
		n += got;
	}
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect(const char *text)
{
	CHECK_MSG(strstr(out, text), "'%s' not in the output:\n%s", text,
		  strlen(out) > 6000 ? out + strlen(out) - 6000 : out);
}

TEST(e2e_boot_kernel_and_initrd_from_disk)
{
	need_qemu();
	CHECK_EQ(run("--initrd scsi:0/boot/initrd.img"), 0);
	expect("hvboot-handoff-ok");
	expect("handing off to Linux");
	expect("audit: clean");
	expect("initrd   [####################] 100%");
}

TEST(e2e_boot_initrd_over_http)
{
	need_qemu();
	CHECK_EQ(run("--initrd http://@HTTP@/initrd.img"), 0);
	expect("hvboot-handoff-ok");
	expect("net: DHCP lease");
	expect("audit: clean");
}

TEST(e2e_boot_initrd_over_tftp)
{
	need_qemu();
	CHECK_EQ(run("--initrd tftp://10.0.2.2/initrd.img"), 0);
	expect("hvboot-handoff-ok");
	expect("audit: clean");
}

TEST(e2e_diag_json_names_the_devices)
{
	char *p;
	unsigned lines = 0;

	need_qemu();
	CHECK_EQ(run("--mode diag --initrd tftp://10.0.2.2/initrd.img"), 0);
	expect("diag: done");
	expect("audit: clean");
	/* Every JSON line is one object with a type. */
	for (p = strstr(out, "HVBOOT-JSON "); p; p = strstr(p + 1, "HVBOOT-JSON ")) {
		char *end = strchr(p, '\n');

		CHECK(end != NULL);
		if (end > p && end[-1] == '\r')
			end--;
		CHECK(strncmp(p + 12, "{\"type\":\"", 9) == 0);
		CHECK_MSG(json_line_ok(p + 12, (size_t)(end - (p + 12))), "not JSON: %.*s",
			  (int)(end - p), p);
		lines++;
	}
	CHECK(lines >= 6);
	expect("HVBOOT-JSON {\"type\":\"hypervisor\",\"vendor\":\"Microsoft Hv\"");
	expect("\"class\":\"storvsc\"");
	expect("\"class\":\"netvsc\"");
	expect("HVBOOT-JSON {\"type\":\"lun\",\"lun\":0");
	expect("HVBOOT-JSON {\"type\":\"nic\"");
	expect("HVBOOT-JSON {\"type\":\"lease\",\"ip\":\"10.0.2.15\"");
	expect("HVBOOT-JSON {\"type\":\"throughput\",\"device\":\"scsi:0\"");
	expect("HVBOOT-JSON {\"type\":\"throughput\",\"device\":\"net\"");
}

/* Plain QEMU, hv=native: no Hyper-V. hvboot says so and returns to the
 * firmware, which goes on to its next boot entry. */
TEST(e2e_no_hyperv_returns_to_the_firmware)
{
	char *err;

	need_qemu();
	CHECK_EQ(run("--hv native --expect 'EFI Internal Shell' --stop-on-expect"), 0);
	err = strstr(out, "not a Hyper-V guest");
	CHECK_MSG(err, "%s", out);
	CHECK(strstr(err, "returning to the firmware"));
	/* OVMF reports our refusal, then starts its next entry (its shell) */
	err = strstr(err, "Unsupported");
	CHECK(err != NULL);
	CHECK(strstr(err, "BdsDxe: loading Boot"));
}

TEST(e2e_bad_config_line)
{
	need_qemu();
	CHECK_EQ(run("--conf kernl=scsi:0/x --expect 'resetting in' --stop-on-expect"), 0);
	expect("hvboot.conf line 9: unknown key \"kernl\"");
	expect("the guest never sent the sync string");
	expect("audit: clean"); /* nothing was touched */
}

TEST(e2e_missing_kernel_file)
{
	need_qemu();
	CHECK_EQ(run("--kernel scsi:0/boot/nonexistent --initrd none --expect 'resetting in'"), 0);
	expect("kernel: cannot open scsi:0/boot/nonexistent");
	expect("bridge: detached; hvsim's audit is clean");
	expect("audit: clean");
}

TEST(e2e_sha256_mismatch)
{
	need_qemu();
	CHECK_EQ(run("--initrd none --conf sha256.kernel="
		     "0000000000000000000000000000000000000000000000000000000000000000 "
		     "--expect 'resetting in'"),
		 0);
	expect("kernel: SHA-256 mismatch");
	expect("audit: clean");
}
