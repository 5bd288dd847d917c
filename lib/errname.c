#include "errname.h"

#include <errno.h>
#include <stdio.h>

const char *hvb_strerror(int err)
{
	static char other[24];

	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return "success";
	case ENOENT: return "not found";
	case EIO: return "I/O error";
	case ENOMEM: return "out of memory";
	case EINVAL: return "invalid";
	case ENODEV: return "no such device";
	case ETIMEDOUT: return "timed out";
	case EBADMSG: return "digest mismatch";
	case EPROTO: return "protocol error";
	case E2BIG: return "too large";
	case EFBIG: return "file too large";
	case ERANGE: return "out of range";
	case ENOEXEC: return "not a bootable kernel";
	case EAGAIN: return "busy";
	case EBUSY: return "busy";
	case ECONNREFUSED: return "connection refused";
	case ECONNRESET: return "connection reset";
	case EHOSTUNREACH: return "host unreachable";
	case ENOSPC: return "no room";
	case EACCES: return "not allowed";
	case ENOTSUP: return "not supported";
	case EMSGSIZE: return "message too long";
	default:
		snprintf(other, sizeof(other), "error %d", err);
		return other;
	}
}
