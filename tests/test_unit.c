/* Unit tests of the pure parts: GUIDs, version table, names, page pool. */
#include <errno.h>
#include <string.h>

#include "../lib/guid.h"
#include "../lib/pagepool.h"
#include "../lib/sha256.h"
#include "../vmbus/devclass.h"
#include "../vmbus/hv_proto.h"
#include "../vmbus/vmbus_proto.h"
#include "harness.h"
#include "jsoncheck.h"

TEST(unit_guid_wire_order)
{
	/* facts 3.2: the network class on the wire */
	static const uint8_t wire[16] = { 0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46,
					  0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e };
	const struct vmbus_devclass *dc = vmbus_devclass_by_key("netvsc");
	struct guid g;
	char s[GUID_STR_LEN];

	CHECK(dc != NULL);
	CHECK(memcmp(dc->guid.b, wire, 16) == 0);
	guid_format(&dc->guid, s);
	CHECK(strcmp(s, "f8615163-df3e-46c5-913f-f2d2f965ed0e") == 0);
	CHECK_EQ(guid_parse(s, &g), 0);
	CHECK(guid_equal(&g, &dc->guid));
}

TEST(unit_guid_parse_rejects)
{
	struct guid g;

	CHECK_EQ(guid_parse("f8615163-df3e-46c5-913f-f2d2f965ed0", &g), -EINVAL);
	CHECK_EQ(guid_parse("f8615163df3e-46c5-913f-f2d2f965ed0e0", &g), -EINVAL);
	CHECK_EQ(guid_parse("g8615163-df3e-46c5-913f-f2d2f965ed0e", &g), -EINVAL);
}

TEST(unit_devclass_table)
{
	/* every class GUID is distinct and round-trips through text */
	for (unsigned i = 0; i < vmbus_devclass_count; i++) {
		char s[GUID_STR_LEN];
		struct guid g;

		guid_format(&vmbus_devclasses[i].guid, s);
		CHECK_EQ(guid_parse(s, &g), 0);
		CHECK(vmbus_devclass_by_guid(&g) == &vmbus_devclasses[i]);
		for (unsigned j = i + 1; j < vmbus_devclass_count; j++)
			CHECK(!guid_equal(&vmbus_devclasses[i].guid, &vmbus_devclasses[j].guid));
	}
	CHECK(strcmp(vmbus_devclass_by_key("storvsc")->name, "Synthetic SCSI controller") == 0);
}

TEST(unit_version_table)
{
	uint32_t v;

	CHECK_EQ(vmbus_version_count, 11);
	CHECK_EQ(vmbus_versions[0].version, 0x00060000);
	CHECK_EQ(vmbus_versions[10].version, 0x0000000D);
	for (unsigned i = 1; i < vmbus_version_count; i++)
		CHECK(vmbus_versions[i].version < vmbus_versions[i - 1].version);
	CHECK_EQ(vmbus_version_parse("5.3", &v), 0);
	CHECK_EQ(v, 0x00050003);
	CHECK_EQ(vmbus_version_parse("0.13", &v), 0);
	CHECK_EQ(v, 0x0000000D);
	CHECK_EQ(vmbus_version_parse("WIN8_1", &v), 0);
	CHECK_EQ(v, 0x00030000);
	CHECK_EQ(vmbus_version_parse("0x40001", &v), 0);
	CHECK_EQ(v, 0x00040001);
	CHECK_EQ(vmbus_version_parse("7.0", &v), -EINVAL);
	CHECK_EQ(vmbus_version_parse("0x40002", &v), -EINVAL);
	CHECK_EQ(vmbus_version_parse("", &v), -EINVAL);
}

TEST(unit_message_names_and_sizes)
{
	CHECK(strcmp(vmbus_msg_name(14), "INITIATE_CONTACT") == 0);
	CHECK(strcmp(vmbus_msg_name(17), "UNLOAD_RESPONSE") == 0);
	CHECK(strcmp(vmbus_msg_name(1000), "UNKNOWN") == 0);
	/* facts 3.1: minimum sizes of host->guest messages */
	CHECK_EQ(vmbus_msg_min_size(VMBUS_MSG_RESCIND_CHANNELOFFER), 12);
	CHECK_EQ(vmbus_msg_min_size(VMBUS_MSG_OPENCHANNEL_RESULT), 20);
	CHECK_EQ(vmbus_msg_min_size(VMBUS_MSG_GPADL_CREATED), 20);
	CHECK_EQ(vmbus_msg_min_size(VMBUS_MSG_GPADL_TORNDOWN), 12);
	CHECK_EQ(vmbus_msg_min_size(VMBUS_MSG_VERSION_RESPONSE), 16);
	CHECK_EQ(vmbus_msg_min_size(VMBUS_MSG_ALLOFFERS_DELIVERED), 8);
	/* guest->host types are not something a host sends */
	CHECK_EQ(vmbus_msg_min_size(VMBUS_MSG_INITIATE_CONTACT), 0);
	CHECK_EQ(vmbus_msg_min_size(VMBUS_MSG_UNLOAD), 0);
	CHECK(strcmp(hv_status_name(0x12), "INVALID_CONNECTION_ID") == 0);
	CHECK(strcmp(hv_status_name(0x13), "INSUFFICIENT_BUFFERS") == 0);
}

TEST(unit_pagepool)
{
	static uint8_t mem[16 * 4096] __attribute__((aligned(4096)));
	uint64_t bitmap[1], gpa, gpa2, gpa3;
	struct pagepool pp;
	uint8_t *p, *q, *r;

	pagepool_init(&pp, 0x100000, mem, 16, bitmap);
	p = pagepool_alloc(&pp, 4, &gpa);
	CHECK(p == mem && gpa == 0x100000);
	memset(p, 0xaa, 4 * 4096);
	q = pagepool_alloc(&pp, 12, &gpa2);
	CHECK(q == mem + 4 * 4096 && gpa2 == 0x104000);
	CHECK(pagepool_alloc(&pp, 1, &gpa3) == NULL); /* full */
	pagepool_free(&pp, p, 4);
	r = pagepool_alloc(&pp, 2, &gpa3);
	CHECK(r == mem && gpa3 == 0x100000);
	CHECK(r[0] == 0 && r[2 * 4096 - 1] == 0); /* zeroed */
	CHECK(pagepool_ptr(&pp, 0x100000 + 16 * 4096 - 8, 8) != NULL);
	CHECK(pagepool_ptr(&pp, 0x100000 + 16 * 4096 - 8, 9) == NULL);
	CHECK(pagepool_ptr(&pp, 0xfffff, 1) == NULL);
	CHECK(pagepool_ptr(&pp, UINT64_MAX - 2, 8) == NULL);
	CHECK_EQ(pagepool_gpa(&pp, mem + 5), 0x100005);
	CHECK_EQ(pagepool_gpa(&pp, mem + 16 * 4096), UINT64_MAX);
	CHECK(pagepool_alloc(&pp, 0, &gpa3) == NULL);
	CHECK(pagepool_alloc(&pp, 17, &gpa3) == NULL);
}

TEST(unit_sha256_cpu_and_portable_agree)
{
	static uint8_t buf[70000];
	uint8_t a[32], b[32];
	uint64_t x = 88172645463325252ull;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	if (!sha256_use_cpu(true)) {
		/* No SHA instructions here: the portable path is the only one, and
		 * the FIPS vectors of the payload tests cover it. */
		printf("    (no SHA instructions on this CPU: nothing to compare)\n");
		return;
	}
	for (size_t len = 0; len < sizeof(buf); len = len * 3 + 1) {
		sha256_use_cpu(true);
		sha256(buf, len, a);
		sha256_use_cpu(false);
		sha256(buf, len, b);
		CHECK_MSG(memcmp(a, b, 32) == 0, "SHA-256 paths differ at length %zu", len);
	}
	sha256_use_cpu(true);
}

/* The checker the diag tests rely on accepts JSON and refuses near misses. */
TEST(unit_json_line_checker)
{
	static const char *const good[] = {
		"{}", "{\"type\":\"lun\",\"lun\":0,\"vendor\":\"Msft\\u0001\\\"x\"}",
		"{\"a\":-1.5,\"b\":true,\"c\":null}",
	};
	static const char *const bad[] = {
		"", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":\"x\"}x", "{a:1}",
		"{\"a\":\"\\q\"}", "{\"a\":\"\x01\"}", "{\"a\":\"unterminated}",
	};

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK_MSG(json_line_ok(good[i], strlen(good[i])), "%s", good[i]);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(!json_line_ok(bad[i], strlen(bad[i])), "%s", bad[i]);
}
