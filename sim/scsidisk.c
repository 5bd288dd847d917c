/* The SCSI disk behind storvsp's LUNs: raw image files with 512-byte
 * blocks, the commands a boot loader (and Linux's first scan) sends, and
 * the SCSI-level faults. Status pairs follow OpenVMM's scsidisk (facts 5.7):
 * an error found while checking the CDB is CHECK CONDITION with SRB status
 * INVALID_REQUEST, one found while doing the work is SRB status ERROR, both
 * with fixed-format sense. Data moves straight between the image and the
 * guest's pages (pread/pwrite), one call per run of contiguous pages. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/util.h"
#include "../vsc/scsi_proto.h"
#include "../vsc/storvsc_proto.h"
#include "sim.h"

static_assert(SIM_SENSE_LEN == SENSE_FIXED_LEN, "hvsim writes fixed-format sense");

#define BLOCK 512u
#define MAX_LUNS 255u          /* vm_srb.lun is a byte; Linux scans LUNs 0..254 */
#define INQUIRY_STD_LEN 36u    /* standard data: additional length 31 */
#define INQUIRY_CMDQUE 0x02    /* byte 7: tagged queuing, so Linux queues more than one */
#define READ_CAP16_LEN 32u
#define REPORT_LUNS_HDR 8u

/* What a command needs while it runs. */
struct disk_op {
	struct hvsim *sim;
	const struct sim_scsi_req *rq;
	struct sim_scsi_res *res;
	struct sim_lun *lun; /* NULL: the LUN does not exist */
};

enum dir { DIR_NONE, DIR_IN, DIR_OUT }; /* IN: device to guest memory */

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return be16(p) << 16 | be16(p + 2); }
static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* --- the LUNs ------------------------------------------------------------ */

static int disk_open(struct hvsim *sim, const char *path, struct sim_lun *lun)
{
	int fd = open(path, (sim->cfg.disks_writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	off_t size;

	if (fd < 0) {
		fprintf(stderr, "hvsim: disk '%s': %s\n", path, strerror(errno));
		return -errno;
	}
	/* lseek, not fstat: block devices have st_size 0. */
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % BLOCK) {
		if (size < 0)
			fprintf(stderr, "hvsim: disk '%s': cannot find its size: %s\n", path,
				strerror(errno));
		else if (size == 0)
			fprintf(stderr, "hvsim: disk '%s' is empty; a LUN needs at least one "
				"512-byte block\n", path);
		else
			fprintf(stderr, "hvsim: disk '%s' is %lld bytes, not a multiple of the "
				"512-byte block\n", path, (long long)size);
		close(fd);
		return -EINVAL;
	}
	lun->path = path;
	lun->fd = fd;
	lun->blocks = (uint64_t)size / BLOCK;
	lun->unit_attention = sim->cfg.storvsp_faults & HVSIM_STORVSP_UNIT_ATTENTION;
	return 0;
}

int sim_disks_open(struct hvsim *sim)
{
	const char *const *disks = sim->cfg.disks;
	struct sim_storvsp *v = &sim->vsp;
	unsigned n = 0;
	int rc;

	while (disks && disks[n])
		n++;
	if (n == 0)
		return 0;
	if (n > MAX_LUNS) {
		fprintf(stderr, "hvsim: %u disks; a storvsc target has at most %u LUNs\n", n,
			MAX_LUNS);
		return -E2BIG;
	}
	v->luns = calloc(n, sizeof(*v->luns));
	if (!v->luns)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		rc = disk_open(sim, disks[i], &v->luns[i]);
		if (rc)
			return rc; /* sim_disks_close closes what was opened */
		v->nluns++;
	}
	return 0;
}

void sim_disks_close(struct hvsim *sim)
{
	for (unsigned i = 0; i < sim->vsp.nluns; i++)
		close(sim->vsp.luns[i].fd);
	free(sim->vsp.luns);
	sim->vsp.luns = NULL;
	sim->vsp.nluns = 0;
}

/* --- the data buffer ------------------------------------------------------ */

uint8_t *sim_pfn_page(struct hvsim *sim, uint64_t pfn)
{
	if (pfn > (UINT64_MAX >> HVB_PAGE_SHIFT))
		return NULL;
	return sim_gpa_map(sim, pfn << HVB_PAGE_SHIFT, HVB_PAGE_SIZE);
}

/* What to do with one run of contiguous guest memory. */
struct xfer {
	bool (*fn)(struct xfer *x, uint8_t *p, uint32_t n);
	const uint8_t *src; /* to_guest: the next bytes to copy */
	int fd;             /* image I/O: the file and where in it */
	uint64_t off;
	bool write;         /* image I/O: guest memory -> image */
};

/* Buffer bytes [off, off + n) as runs of host-contiguous guest memory:
 * pages the guest allocated together are usually adjacent in the arena,
 * so a 1 MiB read is one pread. False if a page is not guest memory
 * (checked before, but an overlay may have moved since) or fn failed. */
static bool buf_walk(struct hvsim *sim, const struct sim_scsi_req *rq, uint32_t off, uint32_t n,
		     struct xfer *x)
{
	uint64_t pos = (uint64_t)rq->byte_offset + off;
	uint8_t *run = NULL;
	uint32_t run_len = 0;

	while (n) {
		uint32_t in_page = (uint32_t)(pos % HVB_PAGE_SIZE);
		uint32_t chunk = HVB_MIN(n, HVB_PAGE_SIZE - in_page);
		uint64_t pfn;
		uint8_t *page;

		memcpy(&pfn, rq->pfns + pos / HVB_PAGE_SIZE * 8, sizeof(pfn));
		page = sim_pfn_page(sim, pfn);
		if (!page)
			return false;
		if (run && run + run_len == page + in_page) {
			run_len += chunk;
		} else {
			if (run && !x->fn(x, run, run_len))
				return false;
			run = page + in_page;
			run_len = chunk;
		}
		pos += chunk;
		n -= chunk;
	}
	return !run || x->fn(x, run, run_len);
}

static bool copy_run(struct xfer *x, uint8_t *p, uint32_t n)
{
	memcpy(p, x->src, n);
	x->src += n;
	return true;
}

static bool image_run(struct xfer *x, uint8_t *p, uint32_t n)
{
	while (n) {
		ssize_t r = x->write ? pwrite(x->fd, p, n, (off_t)x->off)
				     : pread(x->fd, p, n, (off_t)x->off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (uint32_t)r;
		x->off += (uint64_t)r;
	}
	return true;
}

/* Command data (INQUIRY, capacities, LUN lists) into the guest's buffer:
 * at most what the CDB allows (alloc) and the buffer holds. */
static void to_guest(struct disk_op *d, const void *data, uint32_t len, uint32_t alloc)
{
	struct xfer x = { .fn = copy_run, .src = data };
	uint32_t n = HVB_MIN(HVB_MIN(len, alloc), d->rq->len);

	if (n && !buf_walk(d->sim, d->rq, 0, n, &x)) {
		sim_scsi_sense(d->res, SRB_STATUS_ERROR, SENSE_HARDWARE_ERROR, 0, 0, false, 0);
		return;
	}
	d->res->moved = n;
}

/* --- sense ---------------------------------------------------------------- */

void sim_scsi_sense(struct sim_scsi_res *res, uint8_t srb, uint8_t key, uint8_t asc, uint8_t ascq,
		    bool info_valid, uint64_t info)
{
	uint8_t *s = res->sense;

	res->scsi_status = SCSI_STATUS_CHECK_CONDITION;
	res->srb_status = srb | SRB_STATUS_AUTOSENSE_VALID;
	res->moved = 0;
	memset(s, 0, SIM_SENSE_LEN);
	s[0] = SENSE_FIXED_CURRENT;
	/* The information field is 4 bytes: an LBA beyond it is not given. */
	if (info_valid && info <= UINT32_MAX) {
		s[0] |= SENSE_INFO_VALID;
		put_be32(s + 3, (uint32_t)info);
	}
	s[2] = key;
	s[7] = SENSE_FIXED_LEN - 8;
	s[12] = asc;
	s[13] = ascq;
	res->sense_len = SIM_SENSE_LEN;
}

static void illegal(struct disk_op *d, uint8_t asc)
{
	sim_scsi_sense(d->res, SRB_STATUS_INVALID_REQUEST, SENSE_ILLEGAL_REQUEST, asc, 0, false, 0);
}

/* --- commands ------------------------------------------------------------ */

static void cmd_test_unit_ready(struct disk_op *d) { (void)d; }

static void inquiry_standard(uint8_t *b, uint8_t peripheral, bool strings)
{
	memset(b, 0, INQUIRY_STD_LEN);
	b[0] = peripheral;
	b[2] = 0x06;                      /* SPC-4 */
	b[3] = 0x02;                      /* response data format 2 */
	b[4] = INQUIRY_STD_LEN - 5;
	b[7] = INQUIRY_CMDQUE;
	if (strings)                      /* as Hyper-V: "Msft", "Virtual Disk" */
		memcpy(b + 8, "Msft    Virtual Disk    1.0 ", 28);
}

static void cmd_inquiry(struct disk_op *d)
{
	const uint8_t *cdb = d->rq->cdb;
	uint32_t alloc = be16(cdb + 3), n;
	uint8_t page = cdb[2], b[64];

	if (!d->lun) {
		/* A missing LUN answers only the standard page, and only to a
		 * read (OpenVMM); LUN 0 keeps the strings, other LUNs not. */
		if ((cdb[1] & INQUIRY_EVPD) || page || d->rq->data_in != VSTOR_DATA_IN || alloc < 5) {
			illegal(d, ASC_INVALID_FIELD_IN_CDB);
			return;
		}
		inquiry_standard(b, INQUIRY_PERIPHERAL_NOT_PRESENT, d->rq->lun == 0);
		to_guest(d, b, INQUIRY_STD_LEN, alloc);
		return;
	}
	if (!(cdb[1] & INQUIRY_EVPD)) {
		if (page) {
			illegal(d, ASC_INVALID_FIELD_IN_CDB);
			return;
		}
		inquiry_standard(b, 0x00, true); /* direct-access block device */
		to_guest(d, b, INQUIRY_STD_LEN, alloc);
		return;
	}
	memset(b, 0, sizeof(b));
	b[1] = page;
	if (page == VPD_SUPPORTED_PAGES) {
		b[3] = 2;
		b[4] = VPD_SUPPORTED_PAGES;
		b[5] = VPD_UNIT_SERIAL_NUMBER;
		n = 6;
	} else if (page == VPD_UNIT_SERIAL_NUMBER) {
		b[3] = (uint8_t)snprintf((char *)b + 4, sizeof(b) - 4, "hvsim-lun-%u",
					 (unsigned)d->rq->lun);
		n = 4u + b[3];
	} else {
		illegal(d, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	to_guest(d, b, n, alloc);
}

static void cmd_read_capacity10(struct disk_op *d)
{
	uint8_t b[8];

	/* A disk too big for 32 bits says 0xFFFFFFFF: "use READ CAPACITY (16)". */
	put_be32(b, (uint32_t)HVB_MIN(d->lun->blocks - 1, (uint64_t)UINT32_MAX));
	put_be32(b + 4, BLOCK);
	to_guest(d, b, sizeof(b), sizeof(b));
}

static void cmd_service_action_in(struct disk_op *d)
{
	uint8_t b[READ_CAP16_LEN];

	if ((d->rq->cdb[1] & 0x1f) != SCSI_SAI_READ_CAPACITY_16) {
		illegal(d, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	memset(b, 0, sizeof(b));
	put_be64(b, d->lun->blocks - 1);
	put_be32(b + 8, BLOCK); /* one logical block per physical block, no protection */
	to_guest(d, b, sizeof(b), be32(d->rq->cdb + 10));
}

/* For any LUN address (OpenVMM answers it for the path/target itself):
 * the LUNs of path 0 target 0 on the disk channel, else an empty list. */
static void cmd_report_luns(struct disk_op *d)
{
	const struct sim_scsi_req *rq = d->rq;
	unsigned n = rq->has_luns && rq->path == 0 && rq->target == 0 ? d->sim->vsp.nluns : 0;
	uint8_t b[REPORT_LUNS_HDR + 8 * MAX_LUNS];

	memset(b, 0, REPORT_LUNS_HDR + 8 * n);
	put_be32(b, 8 * n);
	for (unsigned i = 0; i < n; i++)
		b[REPORT_LUNS_HDR + 8 * i + 1] = (uint8_t)i; /* single-level: LUN in bytes 0..1 */
	to_guest(d, b, REPORT_LUNS_HDR + 8 * n, be32(rq->cdb + 6));
}

/* READ and WRITE, with the faults that act on them. */
static void read_write(struct disk_op *d, uint64_t lba, uint32_t nblocks, bool write)
{
	struct sim_storvsp *v = &d->sim->vsp;
	uint32_t faults = d->sim->cfg.storvsp_faults;
	struct sim_lun *lun = d->lun;
	struct xfer x = { .fn = image_run, .fd = lun->fd, .off = lba * BLOCK, .write = write };
	uint64_t bytes = (uint64_t)nblocks * BLOCK;
	bool short_read = false;

	if (write)
		v->stats.writes++;
	else
		v->stats.reads++;
	if (v->busy_left) {
		v->busy_left--;
		d->res->scsi_status = SCSI_STATUS_BUSY;
		d->res->srb_status = SRB_STATUS_BUSY;
		return;
	}
	if (lba > lun->blocks || nblocks > lun->blocks - lba) {
		illegal(d, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	if (bytes > d->rq->len) { /* the buffer is smaller than the CDB's transfer */
		illegal(d, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	if (write && !d->sim->cfg.disks_writable) {
		sim_scsi_sense(d->res, SRB_STATUS_ERROR, SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED, 0,
			       false, 0);
		return;
	}
	if (!write && (faults & HVSIM_STORVSP_MEDIUM_ERROR) && d->sim->cfg.medium_error_lba >= lba &&
	    d->sim->cfg.medium_error_lba - lba < nblocks) {
		sim_scsi_sense(d->res, SRB_STATUS_ERROR, SENSE_MEDIUM_ERROR,
			       ASC_UNRECOVERED_READ_ERROR, 0, true, d->sim->cfg.medium_error_lba);
		return;
	}
	if (!write && (faults & HVSIM_STORVSP_SHORT_TRANSFER) && nblocks > 1) {
		bytes = (uint64_t)(nblocks / 2) * BLOCK;
		short_read = true;
	}
	if (bytes && !buf_walk(d->sim, d->rq, 0, (uint32_t)bytes, &x)) {
		/* The image failed us (an I/O error): what a real disk says. */
		sim_scsi_sense(d->res, SRB_STATUS_ERROR, SENSE_MEDIUM_ERROR,
			       write ? ASC_WRITE_ERROR : ASC_UNRECOVERED_READ_ERROR, 0, true,
			       x.off / BLOCK);
		return;
	}
	d->res->moved = (uint32_t)bytes;
	if (write)
		v->stats.bytes_written += bytes;
	else
		v->stats.bytes_read += bytes;
	if (short_read)
		d->res->srb_status = SRB_STATUS_DATA_OVERRUN;
}

static void cmd_read10(struct disk_op *d)
{
	read_write(d, be32(d->rq->cdb + 2), be16(d->rq->cdb + 7), false);
}

static void cmd_write10(struct disk_op *d)
{
	read_write(d, be32(d->rq->cdb + 2), be16(d->rq->cdb + 7), true);
}

static void cmd_read16(struct disk_op *d)
{
	read_write(d, be64(d->rq->cdb + 2), be32(d->rq->cdb + 10), false);
}

static void cmd_write16(struct disk_op *d)
{
	read_write(d, be64(d->rq->cdb + 2), be32(d->rq->cdb + 10), true);
}

struct scsi_cmd {
	uint8_t opcode;
	enum dir dir;
	bool media;    /* a media access: reports a pending unit attention first */
	void (*run)(struct disk_op *d);
};

static const struct scsi_cmd commands[] = {
	{ SCSI_TEST_UNIT_READY, DIR_NONE, true, cmd_test_unit_ready },
	{ SCSI_INQUIRY, DIR_IN, false, cmd_inquiry },
	{ SCSI_READ_CAPACITY_10, DIR_IN, true, cmd_read_capacity10 },
	{ SCSI_SERVICE_ACTION_IN_16, DIR_IN, true, cmd_service_action_in },
	{ SCSI_REPORT_LUNS, DIR_IN, false, cmd_report_luns },
	{ SCSI_READ_10, DIR_IN, true, cmd_read10 },
	{ SCSI_READ_16, DIR_IN, true, cmd_read16 },
	{ SCSI_WRITE_10, DIR_OUT, true, cmd_write10 },
	{ SCSI_WRITE_16, DIR_OUT, true, cmd_write16 },
};

static const struct scsi_cmd *command(uint8_t opcode)
{
	for (unsigned i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].opcode == opcode)
			return &commands[i];
	return NULL;
}

static struct sim_lun *lun_of(struct hvsim *sim, const struct sim_scsi_req *rq)
{
	if (!rq->has_luns || rq->path != 0 || rq->target != 0 || rq->lun >= sim->vsp.nluns)
		return NULL;
	return &sim->vsp.luns[rq->lun];
}

void sim_scsi_execute(struct hvsim *sim, const struct sim_scsi_req *rq, struct sim_scsi_res *res)
{
	const struct scsi_cmd *cmd = command(rq->cdb[0]);
	struct disk_op d = { sim, rq, res, lun_of(sim, rq) };

	memset(res, 0, sizeof(*res));
	res->scsi_status = SCSI_STATUS_GOOD;
	res->srb_status = SRB_STATUS_SUCCESS;
	if (!d.lun && (!cmd || (cmd->opcode != SCSI_REPORT_LUNS && cmd->opcode != SCSI_INQUIRY))) {
		/* No sense: Linux removes a LUN on SRB status INVALID_LUN. */
		res->scsi_status = SCSI_STATUS_CHECK_CONDITION;
		res->srb_status = SRB_STATUS_INVALID_LUN;
		return;
	}
	if (d.lun && d.lun->unit_attention && cmd && cmd->media) {
		d.lun->unit_attention = false;
		sim_scsi_sense(res, SRB_STATUS_ERROR, SENSE_UNIT_ATTENTION, ASC_POWER_ON_RESET, 0,
			       false, 0);
		return;
	}
	if (!cmd) {
		illegal(&d, ASC_INVALID_OPCODE);
		return;
	}
	/* Data must go the command's way (OpenVMM: data_in != 0 means the
	 * device writes guest memory). */
	if (rq->len && ((cmd->dir == DIR_IN && rq->data_in == VSTOR_DATA_OUT) ||
			(cmd->dir == DIR_OUT && rq->data_in != VSTOR_DATA_OUT))) {
		illegal(&d, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	cmd->run(&d);
}
