/* The VMBus connection against hvsim's VMBus server: every version, the
 * connection ids, offers, unload, and a hostile host. */
#include <errno.h>
#include <string.h>

#include "fixture.h"

static void connect_at(uint32_t max, uint32_t msg_conn_id)
{
	struct fx f;
	struct hvsim_stats st;
	bool v5 = max >= VMBUS_VERSION_WIN10_V5;
	char line[128];

	fx_config(&f);
	f.cfg.vmbus_max = max;
	f.cfg.msg_conn_id = msg_conn_id;
	fx_start(&f);
	fx_connect(&f);
	CHECK_EQ(f.vb.version, max);
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.version, max);
	/* INITIATE_CONTACT on connection 4 from 5.0 on, else 1 (facts 3.3) */
	CHECK_EQ(st.contact_conn, v5 ? 4 : 1);
	/* later messages on VERSION_RESPONSE's connection (>= 5.0), else 1 */
	CHECK_EQ(f.vb.msg_conn, v5 ? (msg_conn_id ? msg_conn_id : 1) : 1);
	CHECK_EQ(st.last_post_conn, f.vb.msg_conn); /* REQUESTOFFERS */
	CHECK_EQ(f.vb.noffers, 8);
	fx_finish(&f);
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.last_post_conn, f.vb.msg_conn); /* UNLOAD */
	CHECK_EQ(st.unloads, 1);
	/* every INITIATE_CONTACT the host saw was for a version it does not
	 * speak, except the last */
	snprintf(line, sizeof(line), "type=14 INITIATE_CONTACT len=40 0e00000000000000%02x%02x%02x%02x",
		 max & 0xff, (max >> 8) & 0xff, (max >> 16) & 0xff, max >> 24);
	CHECK_MSG(strstr(fx_trace(&f), line), "trace lacks '%s'", line);
	fx_destroy(&f);
}

TEST(vmbus_connect_every_version)
{
	for (unsigned i = 0; i < vmbus_version_count; i++)
		connect_at(vmbus_versions[i].version, 0);
}

TEST(vmbus_uses_version_response_connection_id)
{
	connect_at(VMBUS_VERSION_COPPER, 0x2a);
	connect_at(VMBUS_VERSION_WIN10_V5, 7);
	connect_at(VMBUS_VERSION_WIN10_V4_1, 7); /* below 5.0 it is ignored */
}

TEST(vmbus_pre5_host_refuses_connection_4)
{
	struct fx f;
	const char *t;

	fx_config(&f);
	f.cfg.vmbus_max = VMBUS_VERSION_WIN10; /* QEMU's host */
	fx_start(&f);
	fx_connect(&f);
	CHECK(log_has("no connection 4"));
	t = fx_trace(&f);
	/* connection 4 was refused synchronously, so 6.0..5.0 never reached the
	 * host; 4.1 was refused by the server, 4.0 accepted, all on conn 1 */
	CHECK_EQ(count_substr(t, "INITIATE_CONTACT"), 2);
	CHECK_EQ(count_substr(t, "g2h conn=4"), 0);
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(vmbus_initiate_contact_layout)
{
	struct fx f;
	const char *t, *p;
	char hex[81];

	/* 4.0: interrupt page at offset 16 */
	fx_config(&f);
	f.cfg.vmbus_max = VMBUS_VERSION_WIN10;
	fx_start(&f);
	fx_connect(&f);
	t = fx_trace(&f);
	p = strstr(t, "INITIATE_CONTACT len=40 0e00000000000000" "00000400");
	CHECK(p != NULL);
	memcpy(hex, p + strlen("INITIATE_CONTACT len=40 "), 80);
	hex[80] = 0;
	/* target_vcpu 0; interrupt page GPA non-zero; both monitor pages */
	CHECK(strncmp(hex + 24, "00000000", 8) == 0);
	CHECK(strncmp(hex + 32, "0000000000000000", 16) != 0);
	CHECK(strncmp(hex + 48, "0000000000000000", 16) != 0);
	CHECK(strncmp(hex + 64, "0000000000000000", 16) != 0);
	fx_finish(&f);
	fx_destroy(&f);

	/* 5.3: msg_sint = 2 at offset 16, msg_vtl 0, feature flags 0 */
	fx_config(&f);
	f.cfg.vmbus_max = VMBUS_VERSION_WIN10_V5_3;
	fx_start(&f);
	fx_connect(&f);
	t = fx_trace(&f);
	p = strstr(t, "INITIATE_CONTACT len=40 0e00000000000000" "03000500");
	CHECK(p != NULL);
	memcpy(hex, p + strlen("INITIATE_CONTACT len=40 "), 80);
	CHECK(strncmp(hex + 32, "0200000000000000", 16) == 0);
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(vmbus_many_offers)
{
	struct fx f;

	fx_config(&f);
	/* far more than the 16 message buffers and the one slot hold at once */
	f.cfg.devices = "storvsc,netvsc,heartbeat*60,kvp*40";
	fx_start(&f);
	fx_connect(&f);
	CHECK_EQ(f.vb.noffers, 102);
	CHECK_EQ(f.vb.rejected, 0);
	for (unsigned i = 0; i < f.vb.noffers; i++)
		CHECK_EQ(f.vb.offers[i].relid, i + 1);
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(vmbus_threaded_host)
{
	struct fx f;

	fx_config(&f);
	f.cfg.threaded = true;
	f.cfg.devices = "storvsc,netvsc,heartbeat*30";
	fx_start(&f);
	fx_connect(&f);
	CHECK_EQ(f.vb.noffers, 32);
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(vmbus_reconnect_resets_the_bus)
{
	struct fx f;
	struct hvsim_stats st;

	fx_config(&f);
	fx_start(&f);
	fx_connect(&f);
	/* a second INITIATE_CONTACT on a live connection resets the host side */
	CHECK_EQ(vmbus_connect(&f.vb, &f.hv, &fx_short_timeouts), 0);
	CHECK_EQ(f.vb.noffers, 8);
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.offers_sent, 16);
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(vmbus_inventory_lists_classes)
{
	struct fx f;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	fx_config(&f);
	fx_start(&f);
	fx_connect(&f);
	vmbus_inventory(&f.vb, fputs_line, out);
	fclose(out);
	CHECK(strstr(buf, "VMBus 6.0 (COPPER), message connection 1, 8 offer(s)"));
	CHECK(strstr(buf, "Synthetic SCSI controller    ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"));
	CHECK(strstr(buf, "Synthetic network adapter    f8615163-df3e-46c5-913f-f2d2f965ed0e"));
	CHECK(strstr(buf, "Heartbeat IC"));
	CHECK(strstr(buf, "Synthetic video"));
	CHECK_EQ(count_substr(buf, "\n"), 10);
	free(buf);
	fx_finish(&f);
	fx_destroy(&f);
}

/* --- a hostile host ----------------------------------------------------- */

/* Each fault alone: the guest rejects the bad message with a clear log line,
 * keeps every good offer and ends with a clean audit. */
static void survives(uint32_t fault, const char *needle, uint32_t version)
{
	struct fx f;

	fx_config(&f);
	f.cfg.faults = fault;
	f.cfg.vmbus_max = version;
	fx_start(&f);
	fx_connect(&f);
	CHECK_MSG(log_has(needle), "log lacks '%s'", needle);
	CHECK(f.vb.rejected >= 1);
	CHECK_EQ(f.vb.noffers, 8);
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(hostile_short_message)
{
	survives(HVSIM_FAULT_SHORT_MSG, "rejected OFFERCHANNEL of 100 bytes: it needs at least 190", 0);
}

TEST(hostile_oversized_payload)
{
	survives(HVSIM_FAULT_OVERSIZE_MSG, "claiming 250 payload bytes (at most 240)", 0);
}

TEST(hostile_unknown_message_type)
{
	survives(HVSIM_FAULT_UNKNOWN_TYPE, "ignored host message type 99 (UNKNOWN)", 0);
}

TEST(hostile_hypervisor_message_type)
{
	survives(HVSIM_FAULT_HV_MSG_TYPE, "ignored a SynIC message of type 0x80000010", 0);
}

TEST(hostile_duplicate_relid)
{
	survives(HVSIM_FAULT_DUP_RELID, "its relid is already taken by an earlier offer", 0);
}

TEST(hostile_offer_wrong_size_for_version)
{
	survives(HVSIM_FAULT_OFFER_SIZE, "it is 190 bytes, VMBus 5.3 offers are 196",
		 VMBUS_VERSION_WIN10_V5_3);
}

TEST(hostile_message_before_version_response)
{
	survives(HVSIM_FAULT_EARLY_MSG, "discarded OFFERCHANNEL received before VERSION_RESPONSE", 0);
}

TEST(hostile_relid_out_of_range)
{
	survives(HVSIM_FAULT_BAD_RELID, "its relid is outside 1..2047", 0);
}

TEST(hostile_monitor_id_out_of_range)
{
	survives(HVSIM_FAULT_BAD_MONITOR, "it has a monitor id beyond 127", 0);
}

TEST(hostile_all_at_once)
{
	survives(HVSIM_FAULT_SHORT_MSG | HVSIM_FAULT_OVERSIZE_MSG | HVSIM_FAULT_UNKNOWN_TYPE |
			 HVSIM_FAULT_HV_MSG_TYPE | HVSIM_FAULT_DUP_RELID | HVSIM_FAULT_OFFER_SIZE |
			 HVSIM_FAULT_EARLY_MSG | HVSIM_FAULT_BAD_RELID | HVSIM_FAULT_BAD_MONITOR,
		 "rejected", VMBUS_VERSION_WIN10_V5_2);
}

TEST(hostile_ws2008_offers_are_190_bytes)
{
	struct fx f;

	fx_config(&f);
	f.cfg.vmbus_max = VMBUS_VERSION_WS2008;
	fx_start(&f);
	fx_connect(&f);
	CHECK_EQ(f.vb.noffers, 8);
	CHECK(strstr(fx_trace(&f), "OFFERCHANNEL len=190"));
	/* no per-channel connection before WIN7: the shared event connection */
	CHECK_EQ(f.vb.offers[0].connection_id, VMBUS_EVENT_CONNECTION_ID);
	fx_finish(&f);
	fx_destroy(&f);
}

static void connect_fails(uint32_t fault, int err, const char *needle)
{
	struct fx f;
	char audit[256];

	fx_config(&f);
	f.cfg.faults = fault;
	fx_start(&f);
	CHECK_EQ(hv_init(&f.hv, f.seam), 0);
	CHECK_EQ(vmbus_connect(&f.vb, &f.hv, &fx_short_timeouts), err);
	CHECK_MSG(log_has(needle), "log lacks '%s'", needle);
	hv_teardown(&f.hv);
	fx_no_violations(&f);
	/* failed cleanly: nothing left enabled on the host */
	CHECK_MSG(hvsim_audit(f.sim, false, audit, sizeof(audit)), "%s", audit);
	fx_destroy(&f);
}

TEST(hostile_no_version_response_times_out)
{
	connect_fails(HVSIM_FAULT_NO_VERSION_RESPONSE, -ETIMEDOUT,
		      "no VERSION_RESPONSE to INITIATE_CONTACT 6.0 within 2000 ms");
}

TEST(hostile_version_accepted_with_failure_state)
{
	connect_fails(HVSIM_FAULT_VERSION_FAILED, -EIO, "reports connection state 1 (low resources)");
}

TEST(hostile_alloffers_never_comes)
{
	connect_fails(HVSIM_FAULT_NO_ALLOFFERS, -ETIMEDOUT,
		      "ALLOFFERS_DELIVERED did not come within 2000 ms (8 offers so far)");
}

TEST(unload_never_answered_times_out)
{
	struct fx f;
	uint64_t t0;

	fx_config(&f);
	f.cfg.faults = HVSIM_FAULT_NO_UNLOAD_RESPONSE;
	fx_start(&f);
	fx_connect(&f);
	t0 = hv_time(&f.hv);
	CHECK_EQ(vmbus_unload(&f.vb), -ETIMEDOUT);
	CHECK(hv_time(&f.hv) - t0 >= 2 * HV_TICKS_PER_SEC);
	CHECK(hv_time(&f.hv) - t0 < 3 * HV_TICKS_PER_SEC);
	CHECK(log_has("no UNLOAD_RESPONSE within 2000 ms"));
	hv_teardown(&f.hv);
	fx_no_violations(&f);
	fx_destroy(&f);
}

TEST(unload_leaves_clean_audit)
{
	struct fx f;
	char audit[256];

	fx_config(&f);
	fx_start(&f);
	fx_connect(&f);
	/* before teardown the audit names what is still up */
	CHECK(!hvsim_audit(f.sim, true, audit, sizeof(audit)));
	CHECK(strstr(audit, "VMBus still connected"));
	CHECK(strstr(audit, "SIMP enabled"));
	CHECK(strstr(audit, "GUEST_OS_ID"));
	fx_finish(&f);
	fx_destroy(&f);
}
