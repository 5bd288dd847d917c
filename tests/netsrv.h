/* Servers for the network tests, each a forked process on 127.0.0.1 with
 * plain sockets (reached from the stack through slirp's NAT as 10.0.2.2).
 * They die with the test process (PR_SET_PDEATHSIG), so a failed CHECK
 * leaves nothing running. Each misbehaves on request, to test the client. */
#ifndef TEST_NETSRV_H
#define TEST_NETSRV_H

#include <stdint.h>
#include <sys/types.h>

/* HTTP/1.1 over files in root. Paths:
 *   /f/NAME            200, Content-Length, the file
 *   /chunked/NAME      chunked: chunks of 1, 7, 300, 4096, ... bytes, some
 *                      with extensions, a trailer at the end
 *   /nolen/NAME        no Content-Length: the file, then close
 *   /lf/NAME           header lines end in LF only
 *   /split/NAME        the header section sent a few bytes at a time
 *   /interim/NAME      a 100 Continue before the 200
 *   /redirect/N/NAME   302 to /redirect/N-1/NAME; N = 0 serves /f/NAME
 *   /aredirect/NAME    301 to http://10.0.2.2:PORT/f/NAME
 *   /loop              302 to /loop
 *   /biglen/NAME       Content-Length: 1000000000, then the file
 *   /badchunk          a chunk-size line that is not hex
 *   /close             closes without answering
 *   /hang              says nothing for 2 s, then closes
 *   anything else      404 Not Found */
struct netsrv {
	pid_t pid;
	uint16_t port;
};

void httpd_start(struct netsrv *srv, const char *root);
/* The same on another local address (host byte order), e.g. a TAP
 * interface's in a test's own network namespace. */
void httpd_start_at(struct netsrv *srv, const char *root, uint32_t addr);

/* TFTP (RFC 1350, 2347-2349, 7440) over files in root: a new transfer id
 * per transfer (one child process each), the window retransmitted after
 * 100 ms of silence, ACKs mapped across block-number rollover. */
enum tftpd_mode {
	TFTPD_NORMAL,         /* honours blksize (<= 1468), tsize, windowsize (<= 16) */
	TFTPD_IGNORE_OPTIONS, /* never sends an OACK: 512-byte lock-step */
	TFTPD_REFUSE_OPTIONS, /* ERROR 8 to a request with options */
	TFTPD_STRANGER,       /* a DATA from another port mid-transfer; writes
			       * root/.stranger_got_error5 if it is answered with ERROR 5 */
	TFTPD_OVERSIZED,      /* block 2 is one byte longer than the block size */
	TFTPD_DENY,           /* ERROR 2 "Access violation: not for you" */
	TFTPD_SILENT,         /* never answers */
};

void tftpd_start(struct netsrv *srv, const char *root, enum tftpd_mode mode);

/* DNS on 127.0.0.1:53 (needs root): "NAME A" answers for the names given
 * (a NULL-terminated list of name, dotted quad pairs), NXDOMAIN else.
 * Returns 0, or -1 if the port cannot be bound. */
int dnsd_start(struct netsrv *srv, const char *const *names);

void netsrv_stop(struct netsrv *srv);

#endif
