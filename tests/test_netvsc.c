/* netvsc against hvsim's netvsp with the loop backend (a peer at 10.0.2.2
 * that answers ARP and ICMP echo): bring-up at every NVSP version, what
 * the queries give, ARP and ping, 1000 frames both ways, back-pressure,
 * every netvsp fault, the teardown order on old and new VMBus hosts, and a
 * clean audit after each. */
#include <errno.h>
#include <string.h>

#include "../lib/util.h"
#include "../sim/netdev.h"
#include "../vmbus/devclass.h"
#include "../vsc/netvsc.h"
#include "fixture.h"

#define GUEST_IP 0x0a00020fu /* 10.0.2.15 */
#define WAIT (HV_TICKS_PER_SEC / 2)

struct nfx {
	struct fx f;
	struct netvsc nv;
	struct net_link *link;
	/* received frames */
	unsigned frames, arp_replies, echo_replies, bad_checksums, out_of_order;
	unsigned unique;               /* echo replies for a sequence number not seen before */
	uint16_t last_seq;
	uint8_t seen[1024];            /* echo replies per sequence number */
	uint8_t last[1518];
	uint32_t last_len;
	uint32_t want_len[1024];       /* the payload bytes of each request */
};

static const uint8_t loop_mac[6] = SIM_LOOP_MAC;

/* --- frames ---------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint16_t csum(const uint8_t *p, uint32_t n)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t arp_request(const uint8_t *mac, uint8_t *f)
{
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);
	memcpy(f + 22, mac, 6);
	put32(f + 28, GUEST_IP);
	put32(f + 38, SIM_LOOP_IP);
	return 60;
}

/* The payload byte i of echo request seq. */
static uint8_t pattern(uint16_t seq, uint32_t i) { return (uint8_t)(seq * 7 + i * 13 + 1); }

static uint32_t echo_request(const uint8_t *mac, uint16_t seq, uint32_t data, uint8_t *f)
{
	uint8_t *ip = f + 14, *icmp = ip + 20;
	uint32_t total = 20 + 8 + data;

	memcpy(f, loop_mac, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)total);
	put16(ip + 4, seq);
	ip[8] = 64;
	ip[9] = 1;
	put32(ip + 12, GUEST_IP);
	put32(ip + 16, SIM_LOOP_IP);
	put16(ip + 10, csum(ip, 20));
	icmp[0] = 8;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, 0x4856);
	put16(icmp + 6, seq);
	for (uint32_t i = 0; i < data; i++)
		icmp[8 + i] = pattern(seq, i);
	put16(icmp + 2, csum(icmp, 8 + data));
	return 14 + total;
}

static void on_frame(struct net_link *l, const void *frame, size_t len)
{
	struct nfx *n = l->stack;
	const uint8_t *f = frame;

	n->frames++;
	memcpy(n->last, f, HVB_MIN(len, sizeof(n->last)));
	n->last_len = (uint32_t)len;
	CHECK(len >= 14 && len <= 1518);
	if (get16(f + 12) == 0x0806 && len >= 42 && get16(f + 20) == 2) {
		n->arp_replies++;
		return;
	}
	if (get16(f + 12) == 0x0800 && len >= 42 && f[14 + 9] == 1 && f[34] == 0) {
		const uint8_t *icmp = f + 34;
		uint32_t total = get16(f + 16), data;
		uint16_t seq = get16(icmp + 6);

		if (csum(f + 14, 20) || total < 28 || 14 + total > len ||
		    csum(icmp, total - 20)) {
			n->bad_checksums++; /* a corrupted frame, passed up as it came */
			return;
		}
		data = total - 28;
		CHECK_EQ(data, n->want_len[seq % 1024]);
		for (uint32_t i = 0; i < data; i++)
			CHECK_MSG(icmp[8 + i] == pattern(seq, i), "seq %u: payload byte %u", seq, i);
		if (n->echo_replies && seq < n->last_seq)
			n->out_of_order++;
		n->last_seq = seq;
		if (n->seen[seq % 1024]++ == 0)
			n->unique++;
		n->echo_replies++;
	}
}

/* --- set-up ---------------------------------------------------------------------- */

static void config(struct nfx *n)
{
	memset(n, 0, sizeof(*n));
	fx_config(&n->f);
	n->f.cfg.devices = "netvsc";
	n->f.cfg.net = "loop";
	n->f.cfg.mem_mib = 128;
}

static struct vmbus_offer *nic_offer(struct fx *f)
{
	for (unsigned i = 0; i < f->vb.noffers; i++)
		if (vmbus_devclass_by_guid(&f->vb.offers[i].type) == vmbus_devclass_by_key("netvsc"))
			return &f->vb.offers[i];
	CHECK_MSG(false, "no netvsc offer");
	return NULL;
}

static void start(struct nfx *n, const struct netvsc_params *p)
{
	int rc;

	fx_start(&n->f);
	fx_connect(&n->f);
	rc = netvsc_attach(&n->nv, &n->f.vb, nic_offer(&n->f), p);
	if (rc)
		log_dump();
	CHECK_EQ(rc, 0);
	n->link = netvsc_link(&n->nv);
	n->link->receive = on_frame;
	n->link->stack = n;
}

static void finish(struct nfx *n)
{
	char audit[512];

	CHECK_EQ(netvsc_detach(&n->nv), 0);
	CHECK_EQ(vmbus_shutdown(&n->f.vb), 0);
	hv_teardown(&n->f.hv);
	fx_no_violations(&n->f);
	CHECK_MSG(hvsim_audit(n->f.sim, true, audit, sizeof(audit)), "%s", audit);
	fx_destroy(&n->f);
}

/* Run the link until *counter reaches want or the (virtual) time runs out. */
static bool run_until(struct nfx *n, const unsigned *counter, unsigned want, uint64_t timeout)
{
	uint64_t end = hv_time(&n->f.hv) + timeout;

	while (*counter < want && hv_time(&n->f.hv) < end)
		if (!n->link->poll(n->link))
			n->link->idle(n->link);
	return *counter >= want;
}

static void run_for(struct nfx *n, uint64_t ticks)
{
	unsigned never = 0;

	run_until(n, &never, 1, ticks);
}

static int send_echo(struct nfx *n, uint16_t seq, uint32_t data)
{
	uint8_t f[1518];
	uint32_t len = echo_request(n->nv.mac, seq, data, f);

	n->want_len[seq % 1024] = data;
	return n->link->send(n->link, f, len);
}

static void ping(struct nfx *n, uint16_t seq)
{
	unsigned want = n->echo_replies + 1;

	CHECK_EQ(send_echo(n, seq, 56), 0);
	CHECK_MSG(run_until(n, &n->echo_replies, want, WAIT), "no echo reply for seq %u", seq);
}

static void netvsp_stats(struct nfx *n, struct hvsim_netvsp_stats *st)
{
	CHECK_EQ(hvsim_netvsp_stats(n->f.sim, st), 0);
}

/* --- bring-up -------------------------------------------------------------------- */

TEST(netvsc_every_nvsp_version)
{
	static const uint32_t v[] = { NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5,
				      NVSP_VERSION_4, NVSP_VERSION_2, NVSP_VERSION_1 };

	for (unsigned i = 0; i < ARRAY_SIZE(v); i++) {
		static struct nfx n;
		struct hvsim_netvsp_stats st;

		config(&n);
		n.f.cfg.netvsp_max_version = v[i];
		start(&n, NULL);
		CHECK_EQ(n.nv.nvsp_version, v[i]);
		CHECK_EQ(n.nv.ndis_version, v[i] <= NVSP_VERSION_4 ? NDIS_VERSION_6_1
								   : NDIS_VERSION_6_30);
		CHECK_EQ(n.nv.recv_bytes, v[i] <= NVSP_VERSION_2 ? 15u << 20 : 16u << 20);
		CHECK_EQ(n.nv.sub_alloc_size, 256 + 1514 + 36);
		CHECK_EQ(n.nv.sub_allocs, n.nv.recv_bytes / 1806);
		CHECK_EQ(n.nv.section_size, 6144);
		CHECK_EQ(n.nv.sections, (1u << 20) / 6144);
		netvsp_stats(&n, &st);
		CHECK_EQ(st.nvsp_version, v[i]);
		CHECK(st.rndis_up);
		CHECK_EQ(st.packet_filter, NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST |
						   NDIS_PACKET_TYPE_ALL_MULTICAST);
		ping(&n, 1);
		finish(&n);
	}
}

TEST(netvsc_mac_mtu_link_from_queries)
{
	static struct nfx n;
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x12, 0x34, 0x56 };
	char line[400];
	FILE *mem;

	config(&n);
	memcpy(n.f.cfg.mac, mac, 6);
	start(&n, NULL);
	CHECK(memcmp(n.nv.mac, mac, 6) == 0);
	CHECK(memcmp(n.link->mac, mac, 6) == 0);
	CHECK_EQ(n.nv.mtu, 1500);
	CHECK_EQ(n.link->mtu, 1500);
	CHECK(n.link->up);
	CHECK_EQ(n.nv.pkt_alignment, 8);
	CHECK_EQ(n.nv.max_pkts_per_msg, 8);
	CHECK(log_has("MAC 00:15:5d:12:34:56, MTU 1500, link up, NVSP 6.1, NDIS 6.30"));
	mem = fmemopen(line, sizeof(line), "w");
	netvsc_inventory(&n.nv, fputs_line, mem);
	fclose(mem);
	CHECK_MSG(strstr(line, "00:15:5d:12:34:56  MTU 1500  link up  NVSP 6.1  NDIS 6.30"), "%s",
		  line);
	finish(&n);
}

TEST(netvsc_default_mac)
{
	static struct nfx n;
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x01 };

	config(&n);
	start(&n, NULL);
	CHECK(memcmp(n.nv.mac, mac, 6) == 0);
	finish(&n);
}

TEST(netvsc_buffer_sizes_capped)
{
	static struct nfx n;
	struct netvsc_params p = { .recv_buf_bytes = 64u << 20, .send_buf_bytes = 64u << 20,
				   .ring_bytes = 4096 };

	config(&n);
	start(&n, &p);
	CHECK_EQ(n.nv.recv_bytes, 31u << 20);
	CHECK_EQ(n.nv.send_bytes, 15u << 20);
	CHECK_EQ(n.nv.params.ring_bytes, 128u * 1024);
	CHECK_EQ(n.nv.sections, NETVSC_MAX_SECTIONS);
	ping(&n, 1);
	finish(&n);
}

/* --- traffic --------------------------------------------------------------------- */

TEST(netvsc_arp_answered)
{
	static struct nfx n;
	uint8_t f[60];

	config(&n);
	start(&n, NULL);
	CHECK_EQ(n.link->send(n.link, f, arp_request(n.nv.mac, f)), 0);
	CHECK(run_until(&n, &n.arp_replies, 1, WAIT));
	CHECK(memcmp(n.last, n.nv.mac, 6) == 0);          /* to us */
	CHECK(memcmp(n.last + 6, loop_mac, 6) == 0);      /* from the peer */
	CHECK(memcmp(n.last + 22, loop_mac, 6) == 0);     /* 10.0.2.2 is at ... */
	CHECK_EQ(get16(n.last + 28) << 16 | get16(n.last + 30), SIM_LOOP_IP);
	CHECK(memcmp(n.last + 32, n.nv.mac, 6) == 0);
	CHECK_EQ(n.nv.stats.frames_out, 1);
	CHECK_EQ(n.nv.stats.frames_in, 1);
	finish(&n);
}

TEST(netvsc_ping_round_trip)
{
	static struct nfx n;
	struct sim_netdev_loop_counts c;
	struct hvsim_netvsp_stats st;

	config(&n);
	start(&n, NULL);
	ping(&n, 7);
	CHECK_EQ(n.seen[7], 1);
	CHECK(sim_netdev_loop_counts(hvsim_netdev(n.f.sim), &c));
	CHECK_EQ(c.icmp_replies, 1);
	CHECK_EQ(c.bad_checksums, 0);
	netvsp_stats(&n, &st);
	CHECK_EQ(st.frames_from_guest, 1);
	CHECK_EQ(st.frames_to_guest, 1);
	CHECK_EQ(st.dropped, 0);
	finish(&n);
}

/* count echo requests, at most `window` unanswered, payloads 0..1472 bytes;
 * until each got an answer or the time is up. */
static void pings(struct nfx *n, unsigned count, unsigned window, uint64_t timeout)
{
	uint64_t end = hv_time(&n->f.hv) + timeout;
	unsigned sent = 0;

	while (hv_time(&n->f.hv) < end) {
		while (sent < count && sent - n->unique < window) {
			int rc = send_echo(n, (uint16_t)sent, (sent * 37) % 1473);

			if (rc == -EAGAIN)
				break;
			CHECK_EQ(rc, 0);
			sent++;
		}
		if (sent == count && n->unique == count)
			break;
		if (!n->link->poll(n->link))
			n->link->idle(n->link);
	}
	CHECK_EQ(sent, count);
}

TEST(netvsc_thousand_frames_both_ways)
{
	static struct nfx n;
	struct hvsim_netvsp_stats st;

	config(&n);
	start(&n, NULL);
	pings(&n, 1000, 64, 10 * HV_TICKS_PER_SEC);
	CHECK_EQ(n.echo_replies, 1000);
	for (unsigned i = 0; i < 1000; i++)
		CHECK_MSG(n.seen[i] == 1, "seq %u seen %u times", i, n.seen[i]);
	CHECK_EQ(n.bad_checksums, 0);
	CHECK_EQ(n.nv.stats.frames_out, 1000);
	CHECK_EQ(n.nv.stats.frames_in, 1000);
	netvsp_stats(&n, &st);
	CHECK_EQ(st.frames_from_guest, 1000);
	CHECK_EQ(st.frames_to_guest, 1000);
	finish(&n);
}

TEST(netvsc_back_pressure_then_progress)
{
	static struct nfx n;
	struct netvsc_params p = { .send_buf_bytes = 64 * 1024 };
	unsigned sent = 0;
	int rc;

	config(&n);
	start(&n, &p);
	CHECK_EQ(n.nv.sections, 10);
	/* Nothing runs the host between sends: the sections run out. */
	while ((rc = send_echo(&n, (uint16_t)sent, 100)) == 0)
		sent++;
	CHECK_EQ(rc, -EAGAIN);
	CHECK_EQ(sent, 10);
	CHECK_EQ(n.nv.sections_busy, 10);
	CHECK(run_until(&n, &n.echo_replies, 10, WAIT));
	CHECK_EQ(n.nv.sections_busy, 0);
	CHECK_EQ(send_echo(&n, 10, 100), 0);
	CHECK(run_until(&n, &n.echo_replies, 11, WAIT));
	finish(&n);
}

/* Every section busy at teardown: the SET (filter 0) goes GPA direct (the
 * HALT after it finds the sections free again). */
TEST(netvsc_control_goes_gpa_direct_when_no_section_is_free)
{
	static struct nfx n;
	struct netvsc_params p = { .send_buf_bytes = 64 * 1024 };
	struct hvsim_netvsp_stats st;
	unsigned before;

	config(&n);
	start(&n, &p);
	before = count_substr(fx_trace(&n.f), "pkt g2h relid=1 type=9 ");
	for (uint16_t i = 0; i < 10; i++)
		CHECK_EQ(send_echo(&n, i, 100), 0);
	CHECK_EQ(n.nv.sections_busy, 10);
	CHECK_EQ(netvsc_detach(&n.nv), 0);
	CHECK_EQ(count_substr(fx_trace(&n.f), "pkt g2h relid=1 type=9 ") - before, 1);
	netvsp_stats(&n, &st);
	CHECK_EQ(st.packet_filter, 0);
	CHECK(!st.rndis_up);
	CHECK_EQ(st.frames_from_guest, 10);
	finish(&n);
}

TEST(netvsc_send_checks_sizes)
{
	static struct nfx n;
	uint8_t f[1600];

	config(&n);
	start(&n, NULL);
	memset(f, 0, sizeof(f));
	memcpy(f, loop_mac, 6);
	CHECK_EQ(n.link->send(n.link, f, 13), -EINVAL);
	CHECK_EQ(n.link->send(n.link, f, 1515), -EMSGSIZE);
	CHECK_EQ(n.link->send(n.link, f, 1514), 0);
	f[12] = 0x81; /* an 802.1Q tag: 4 bytes more */
	CHECK_EQ(n.link->send(n.link, f, 1518), 0);
	CHECK_EQ(n.link->send(n.link, f, 1519), -EMSGSIZE);
	finish(&n);
	CHECK_EQ(netvsc_send(&n.nv, f, 60), -EIO); /* detached */
}

TEST(netvsc_threaded_host)
{
	static struct nfx n;

	config(&n);
	n.f.cfg.threaded = true;
	start(&n, NULL);
	pings(&n, 200, 16, 20 * HV_TICKS_PER_SEC);
	CHECK_EQ(n.echo_replies, 200);
	finish(&n);
}

TEST(netvsc_without_backend_frames_are_dropped)
{
	static struct nfx n;
	struct hvsim_netvsp_stats st;
	uint8_t f[60];

	config(&n);
	n.f.cfg.net = NULL;
	start(&n, NULL);
	CHECK_EQ(n.link->send(n.link, f, arp_request(n.nv.mac, f)), 0);
	run_for(&n, WAIT / 10);
	CHECK_EQ(n.frames, 0);
	netvsp_stats(&n, &st);
	CHECK_EQ(st.frames_from_guest, 1);
	CHECK_EQ(st.dropped, 1);
	finish(&n);
}

TEST(netvsc_bad_backend_specs)
{
	static const char *const bad[] = { "bogus", "tap:hvboot-no-such0", "tap:", "slirp,x=1" };

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct hvsim_config c = { .seed = 1, .devices = "netvsc", .net = bad[i] };

		CHECK_MSG(hvsim_create(&c) == NULL, "%s accepted", bad[i]);
	}
	{
		struct hvsim_config c = { .seed = 1, .devices = "storvsc", .net = "loop" };

		CHECK(hvsim_create(&c) == NULL); /* no netvsc to carry it */
	}
}

/* The host withdraws the NIC: sends fail, detach releases what is left
 * without tearing down what the host already dropped. */
TEST(netvsc_rescinded_while_up)
{
	static struct nfx n;
	struct hvsim_channel_stats st;
	uint8_t f[60];

	config(&n);
	start(&n, NULL);
	ping(&n, 1);
	hvsim_rescind(n.f.sim, n.nv.ch.relid);
	run_for(&n, WAIT / 10);
	CHECK_EQ(n.nv.ch.state, CHANNEL_RESCINDED);
	CHECK_EQ(n.link->send(n.link, f, arp_request(n.nv.mac, f)), -EIO);
	CHECK_EQ(hvsim_channel_stats(n.f.sim, n.nv.ch.relid, &st), 0);
	CHECK(st.released);
	finish(&n);
}

/* --- teardown order (facts 6.9) ------------------------------------------------ */

static void teardown_order(uint32_t vmbus, const char *want)
{
	static struct nfx n;
	struct hvsim_netvsp_stats st;

	config(&n);
	n.f.cfg.vmbus_max = vmbus;
	start(&n, NULL);
	ping(&n, 1);
	CHECK_EQ(netvsc_detach(&n.nv), 0);
	netvsp_stats(&n, &st);
	CHECK_MSG(strcmp(st.teardown, want) == 0, "teardown '%s', want '%s'", st.teardown, want);
	CHECK_EQ(st.packet_filter, 0);
	CHECK(!st.rndis_up);
	CHECK_EQ(netvsc_detach(&n.nv), 0); /* a second detach does nothing */
	finish(&n);
}

TEST(netvsc_teardown_order_before_vmbus_4)
{
	teardown_order(VMBUS_VERSION_WIN8_1, "revoke-recv,gpadl-recv,revoke-send,gpadl-send,close");
}

TEST(netvsc_teardown_order_from_vmbus_4)
{
	teardown_order(VMBUS_VERSION_WIN10, "revoke-recv,revoke-send,close,gpadl-recv,gpadl-send");
}

/* --- faults ------------------------------------------------------------------------ */

static void fault_start(struct nfx *n, uint32_t faults)
{
	config(n);
	n->f.cfg.netvsp_faults = faults;
	start(n, NULL);
}

TEST(netvsc_fault_loss)
{
	static struct nfx n;
	struct hvsim_netvsp_stats st;

	fault_start(&n, HVSIM_NETVSP_LOSS);
	pings(&n, 300, 300, HV_TICKS_PER_SEC / 5);
	netvsp_stats(&n, &st);
	CHECK(st.dropped > 0);
	CHECK(n.echo_replies < 300);
	CHECK(n.echo_replies > 200);
	CHECK_EQ(n.bad_checksums, 0);
	finish(&n);
}

TEST(netvsc_fault_duplicate)
{
	static struct nfx n;
	unsigned dups = 0;

	fault_start(&n, HVSIM_NETVSP_DUPLICATE);
	pings(&n, 300, 300, HV_TICKS_PER_SEC / 5);
	for (unsigned i = 0; i < 300; i++) {
		CHECK(n.seen[i] >= 1);
		dups += n.seen[i] > 1;
	}
	CHECK(dups > 0);
	finish(&n);
}

TEST(netvsc_fault_reorder)
{
	static struct nfx n;

	fault_start(&n, HVSIM_NETVSP_REORDER);
	pings(&n, 300, 300, HV_TICKS_PER_SEC);
	CHECK_EQ(n.echo_replies, 300); /* all of them, some late */
	CHECK(n.out_of_order > 0);
	finish(&n);
}

TEST(netvsc_fault_corrupt_frames_passed_up)
{
	static struct nfx n;

	fault_start(&n, HVSIM_NETVSP_CORRUPT);
	pings(&n, 300, 300, HV_TICKS_PER_SEC / 5);
	CHECK(n.bad_checksums > 0);
	CHECK_EQ(n.echo_replies + n.bad_checksums, 300);
	CHECK_EQ(n.nv.stats.frames_in, 300);
	finish(&n);
}

/* The first data message is rejected (logged, completed with status 2):
 * the ARP reply is lost, a second one comes. */
TEST(netvsc_fault_bad_rndis_offset)
{
	static struct nfx n;
	struct hvsim_netvsp_stats st;
	uint8_t f[60];

	fault_start(&n, HVSIM_NETVSP_BAD_RNDIS_OFFSET);
	CHECK_EQ(n.link->send(n.link, f, arp_request(n.nv.mac, f)), 0);
	run_for(&n, WAIT / 10);
	CHECK_EQ(n.arp_replies, 0);
	CHECK(log_has("rejected an RNDIS PACKET with data outside the message (DataOffset 1806"));
	CHECK_EQ(n.link->send(n.link, f, arp_request(n.nv.mac, f)), 0);
	CHECK(run_until(&n, &n.arp_replies, 1, WAIT));
	netvsp_stats(&n, &st);
	CHECK_EQ(st.rx_failed, 1);
	CHECK_EQ(n.nv.rx.faults[NETVSC_RX_PACKET_LAYOUT], 1);
	finish(&n);
}

/* The INITIALIZE_CMPLT's packet carries a range past the buffer first:
 * skipped, the real one processed, bring-up goes on. */
TEST(netvsc_fault_range_outside_buffer)
{
	static struct nfx n;
	struct hvsim_netvsp_stats st;

	fault_start(&n, HVSIM_NETVSP_RANGE_OUTSIDE_BUFFER);
	CHECK(log_has("rejected a range outside the receive buffer (range 0: 64 bytes at "
		      "4294967280"));
	ping(&n, 1);
	netvsp_stats(&n, &st);
	CHECK_EQ(st.rx_failed, 1);
	finish(&n);
}

TEST(netvsc_fault_range_count_overflow)
{
	static struct nfx n;
	struct hvsim_netvsp_stats st;

	fault_start(&n, HVSIM_NETVSP_RANGE_COUNT_OVERFLOW);
	CHECK_EQ(send_echo(&n, 1, 56), 0);
	run_for(&n, WAIT / 10);
	CHECK_EQ(n.echo_replies, 0);
	CHECK(log_has("rejected a range count larger than its packet (536870912 ranges"));
	ping(&n, 2);
	netvsp_stats(&n, &st);
	CHECK_EQ(st.rx_failed, 1);
	finish(&n);
}

TEST(netvsc_fault_link_down_up)
{
	static struct nfx n;

	fault_start(&n, HVSIM_NETVSP_LINK_DOWN_UP);
	run_for(&n, HV_TICKS_PER_SEC / 10);
	CHECK(log_has("link down"));
	CHECK(log_has("link up"));
	CHECK_EQ(n.nv.stats.link_changes, 2);
	CHECK(n.link->up);
	ping(&n, 1);
	finish(&n);
}

/* The first QUERY_CMPLT (maximum frame size) is malformed: that query
 * counts as failed, and a failed MTU query is ignored. */
TEST(netvsc_fault_bad_completion)
{
	static struct nfx n;

	fault_start(&n, HVSIM_NETVSP_BAD_COMPLETION);
	CHECK(log_has("rejected a malformed RNDIS completion (QUERY_CMPLT"));
	CHECK(log_has("the MTU stays 1500"));
	CHECK_EQ(n.nv.mtu, 1500);
	ping(&n, 1);
	finish(&n);
}

TEST(netvsc_all_faults_at_once)
{
	static struct nfx n;

	fault_start(&n, HVSIM_NETVSP_LOSS | HVSIM_NETVSP_DUPLICATE | HVSIM_NETVSP_REORDER |
				HVSIM_NETVSP_CORRUPT | HVSIM_NETVSP_BAD_RNDIS_OFFSET |
				HVSIM_NETVSP_RANGE_OUTSIDE_BUFFER | HVSIM_NETVSP_RANGE_COUNT_OVERFLOW |
				HVSIM_NETVSP_LINK_DOWN_UP | HVSIM_NETVSP_BAD_COMPLETION);
	pings(&n, 300, 300, HV_TICKS_PER_SEC / 2);
	CHECK(n.unique > 200);
	CHECK(n.bad_checksums > 0);
	finish(&n);
}
