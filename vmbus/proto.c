/* Tables for the wire formats: names for logs and traces, the version list,
 * minimum message sizes, and the well-known device classes (facts 8). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "../sim/echo_proto.h"
#include "devclass.h"
#include "hv_proto.h"
#include "vmbus_proto.h"

const struct vmbus_version_info vmbus_versions[] = {
	{ VMBUS_VERSION_COPPER, "COPPER", "6.0" },
	{ VMBUS_VERSION_WIN10_V5_3, "WIN10_V5_3", "5.3" },
	{ VMBUS_VERSION_WIN10_V5_2, "WIN10_V5_2", "5.2" },
	{ VMBUS_VERSION_WIN10_V5_1, "WIN10_V5_1", "5.1" },
	{ VMBUS_VERSION_WIN10_V5, "WIN10_V5", "5.0" },
	{ VMBUS_VERSION_WIN10_V4_1, "WIN10_V4_1", "4.1" },
	{ VMBUS_VERSION_WIN10, "WIN10", "4.0" },
	{ VMBUS_VERSION_WIN8_1, "WIN8_1", "3.0" },
	{ VMBUS_VERSION_WIN8, "WIN8", "2.4" },
	{ VMBUS_VERSION_WIN7, "WIN7", "1.1" },
	{ VMBUS_VERSION_WS2008, "WS2008", "0.13" },
};
const unsigned vmbus_version_count = ARRAY_SIZE(vmbus_versions);

const struct vmbus_version_info *vmbus_version_lookup(uint32_t version)
{
	for (unsigned i = 0; i < vmbus_version_count; i++)
		if (vmbus_versions[i].version == version)
			return &vmbus_versions[i];
	return NULL;
}

int vmbus_version_parse(const char *s, uint32_t *version)
{
	char *end;
	unsigned long v;

	for (unsigned i = 0; i < vmbus_version_count; i++) {
		if (strcmp(s, vmbus_versions[i].text) == 0 || strcmp(s, vmbus_versions[i].name) == 0) {
			*version = vmbus_versions[i].version;
			return 0;
		}
	}
	v = strtoul(s, &end, 0);
	if (*s == '\0' || *end != '\0' || !vmbus_version_lookup((uint32_t)v))
		return -EINVAL;
	*version = (uint32_t)v;
	return 0;
}

static const char *const msg_names[VMBUS_MSG_COUNT] = {
	[VMBUS_MSG_INVALID] = "INVALID",
	[VMBUS_MSG_OFFERCHANNEL] = "OFFERCHANNEL",
	[VMBUS_MSG_RESCIND_CHANNELOFFER] = "RESCIND_CHANNELOFFER",
	[VMBUS_MSG_REQUESTOFFERS] = "REQUESTOFFERS",
	[VMBUS_MSG_ALLOFFERS_DELIVERED] = "ALLOFFERS_DELIVERED",
	[VMBUS_MSG_OPENCHANNEL] = "OPENCHANNEL",
	[VMBUS_MSG_OPENCHANNEL_RESULT] = "OPENCHANNEL_RESULT",
	[VMBUS_MSG_CLOSECHANNEL] = "CLOSECHANNEL",
	[VMBUS_MSG_GPADL_HEADER] = "GPADL_HEADER",
	[VMBUS_MSG_GPADL_BODY] = "GPADL_BODY",
	[VMBUS_MSG_GPADL_CREATED] = "GPADL_CREATED",
	[VMBUS_MSG_GPADL_TEARDOWN] = "GPADL_TEARDOWN",
	[VMBUS_MSG_GPADL_TORNDOWN] = "GPADL_TORNDOWN",
	[VMBUS_MSG_RELID_RELEASED] = "RELID_RELEASED",
	[VMBUS_MSG_INITIATE_CONTACT] = "INITIATE_CONTACT",
	[VMBUS_MSG_VERSION_RESPONSE] = "VERSION_RESPONSE",
	[VMBUS_MSG_UNLOAD] = "UNLOAD",
	[VMBUS_MSG_UNLOAD_RESPONSE] = "UNLOAD_RESPONSE",
	[VMBUS_MSG_OPEN_RESERVED_CHANNEL] = "OPEN_RESERVED_CHANNEL",
	[VMBUS_MSG_CLOSE_RESERVED_CHANNEL] = "CLOSE_RESERVED_CHANNEL",
	[VMBUS_MSG_CLOSE_RESERVED_RESPONSE] = "CLOSE_RESERVED_RESPONSE",
	[VMBUS_MSG_TL_CONNECT_REQUEST] = "TL_CONNECT_REQUEST",
	[VMBUS_MSG_MODIFYCHANNEL] = "MODIFYCHANNEL",
	[VMBUS_MSG_TL_CONNECT_RESULT] = "TL_CONNECT_RESULT",
	[VMBUS_MSG_MODIFYCHANNEL_RESPONSE] = "MODIFYCHANNEL_RESPONSE",
	[VMBUS_MSG_MODIFY_CONNECTION] = "MODIFY_CONNECTION",
	[VMBUS_MSG_MODIFY_CONNECTION_RESPONSE] = "MODIFY_CONNECTION_RESPONSE",
	[VMBUS_MSG_PAUSE] = "PAUSE",
	[VMBUS_MSG_PAUSE_RESPONSE] = "PAUSE_RESPONSE",
	[VMBUS_MSG_RESUME] = "RESUME",
};

const char *vmbus_msg_name(uint32_t msgtype)
{
	return msgtype < VMBUS_MSG_COUNT ? msg_names[msgtype] : "UNKNOWN";
}

uint32_t vmbus_msg_min_size(uint32_t msgtype)
{
	switch (msgtype) {
	case VMBUS_MSG_OFFERCHANNEL:
		return VMBUS_OFFER_SIZE_WS2008; /* the caller checks the size for the version */
	case VMBUS_MSG_RESCIND_CHANNELOFFER:
		return sizeof(struct vmbus_msg_relid);
	case VMBUS_MSG_ALLOFFERS_DELIVERED:
	case VMBUS_MSG_UNLOAD_RESPONSE:
		return sizeof(struct vmbus_msg_header);
	case VMBUS_MSG_OPENCHANNEL_RESULT:
		return sizeof(struct vmbus_msg_open_result);
	case VMBUS_MSG_GPADL_CREATED:
		return sizeof(struct vmbus_msg_gpadl_created);
	case VMBUS_MSG_GPADL_TORNDOWN:
		return sizeof(struct vmbus_msg_gpadl_torndown);
	case VMBUS_MSG_VERSION_RESPONSE:
		return VMBUS_VERSION_RESPONSE_SIZE;
	case VMBUS_MSG_CLOSE_RESERVED_RESPONSE:
		return 12;
	case VMBUS_MSG_TL_CONNECT_RESULT:
		return 44;
	case VMBUS_MSG_MODIFYCHANNEL_RESPONSE:
		return 16;
	case VMBUS_MSG_MODIFY_CONNECTION_RESPONSE:
		return 9;
	case VMBUS_MSG_PAUSE_RESPONSE:
		return 8;
	default:
		return 0;
	}
}

const char *hv_status_name(uint16_t status)
{
	switch (status) {
	case HV_STATUS_SUCCESS: return "SUCCESS";
	case HV_STATUS_INVALID_HYPERCALL_CODE: return "INVALID_HYPERCALL_CODE";
	case HV_STATUS_INVALID_HYPERCALL_INPUT: return "INVALID_HYPERCALL_INPUT";
	case HV_STATUS_INVALID_ALIGNMENT: return "INVALID_ALIGNMENT";
	case HV_STATUS_INVALID_PARAMETER: return "INVALID_PARAMETER";
	case HV_STATUS_ACCESS_DENIED: return "ACCESS_DENIED";
	case HV_STATUS_INVALID_PARTITION_STATE: return "INVALID_PARTITION_STATE";
	case HV_STATUS_OPERATION_DENIED: return "OPERATION_DENIED";
	case HV_STATUS_INSUFFICIENT_MEMORY: return "INSUFFICIENT_MEMORY";
	case HV_STATUS_INVALID_VP_INDEX: return "INVALID_VP_INDEX";
	case HV_STATUS_INVALID_PORT_ID: return "INVALID_PORT_ID";
	case HV_STATUS_INVALID_CONNECTION_ID: return "INVALID_CONNECTION_ID";
	case HV_STATUS_INSUFFICIENT_BUFFERS: return "INSUFFICIENT_BUFFERS";
	case HV_STATUS_INVALID_SYNIC_STATE: return "INVALID_SYNIC_STATE";
	default: return "UNKNOWN_STATUS";
	}
}

/* Facts section 8. */
const struct vmbus_devclass vmbus_devclasses[] = {
	{ "netvsc", "Synthetic network adapter", GUID_INIT(0xf8615163, 0xdf3e, 0x46c5, 0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e) },
	{ "storvsc", "Synthetic SCSI controller", GUID_INIT(0xba6163d9, 0x04a1, 0x4d29, 0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f) },
	{ "ide", "IDE accelerator", GUID_INIT(0x32412632, 0x86cb, 0x44a2, 0x9b, 0x5c, 0x50, 0xd1, 0x41, 0x73, 0x54, 0xf5) },
	{ "synthfc", "Synthetic Fibre Channel", GUID_INIT(0x2f9bcc4a, 0x0069, 0x4af3, 0xb7, 0x6b, 0x6f, 0xd0, 0xbe, 0x52, 0x8c, 0xda) },
	{ "shutdown", "Shutdown IC", GUID_INIT(0x0e0b6031, 0x5213, 0x4934, 0x81, 0x8b, 0x38, 0xd9, 0x0c, 0xed, 0x39, 0xdb) },
	{ "timesync", "Time synchronization IC", GUID_INIT(0x9527e630, 0xd0ae, 0x497b, 0xad, 0xce, 0xe8, 0x0a, 0xb0, 0x17, 0x5c, 0xaf) },
	{ "heartbeat", "Heartbeat IC", GUID_INIT(0x57164f39, 0x9115, 0x4e78, 0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d) },
	{ "kvp", "Key-value pair exchange IC", GUID_INIT(0xa9a0f4e7, 0x5a45, 0x4d96, 0xb8, 0x27, 0x8a, 0x84, 0x1e, 0x8c, 0x03, 0xe6) },
	{ "vss", "Volume shadow copy IC", GUID_INIT(0x35fa2e29, 0xea23, 0x4236, 0x96, 0xae, 0x3a, 0x6e, 0xba, 0xcb, 0xa4, 0x40) },
	{ "fcopy", "Guest file copy service", GUID_INIT(0x34d14be3, 0xdee4, 0x41c8, 0x9a, 0xe7, 0x6b, 0x17, 0x49, 0x77, 0xc1, 0x92) },
	{ "balloon", "Dynamic memory", GUID_INIT(0x525074dc, 0x8985, 0x46e2, 0x80, 0x57, 0xa3, 0x07, 0xdc, 0x18, 0xa5, 0x02) },
	{ "keyboard", "Synthetic keyboard", GUID_INIT(0xf912ad6d, 0x2b17, 0x48ea, 0xbd, 0x65, 0xf9, 0x27, 0xa6, 0x1c, 0x76, 0x84) },
	{ "mouse", "Synthetic mouse", GUID_INIT(0xcfa8b69e, 0x5b4a, 0x4cc0, 0xb9, 0x8b, 0x8b, 0xa1, 0xa3, 0xf3, 0xf9, 0x5a) },
	{ "video", "Synthetic video", GUID_INIT(0xda0a7802, 0xe377, 0x4aac, 0x8e, 0x77, 0x05, 0x58, 0xeb, 0x10, 0x73, 0xf8) },
	{ "video3d", "Synthetic 3D video", GUID_INIT(0x113560ea, 0x48cd, 0x4bd1, 0x88, 0x28, 0xfc, 0xec, 0x44, 0xe2, 0xb5, 0xd5) },
	{ "pcie", "PCI Express pass-through", GUID_INIT(0x44c4f61d, 0x4444, 0x4400, 0x9d, 0x52, 0x80, 0x2e, 0x27, 0xed, 0xe1, 0x9f) },
	{ "nd", "NetworkDirect (RDMA)", GUID_INIT(0x8c2eaf3d, 0x32a7, 0x4b09, 0xab, 0x99, 0xbd, 0x1f, 0x1c, 0x86, 0xb5, 0x01) },
	{ "avma1", "Automatic VM activation", GUID_INIT(0xf8e65716, 0x3cb3, 0x4a06, 0x9a, 0x60, 0x18, 0x89, 0xc5, 0xcc, 0xca, 0xb5) },
	{ "avma2", "Inherited activation", GUID_INIT(0x3375baf4, 0x9e15, 0x4b30, 0xb7, 0x65, 0x67, 0xac, 0xb1, 0x0d, 0x60, 0x7b) },
	{ "rdv", "Remote Desktop Virtualization", GUID_INIT(0x276aacf4, 0xac15, 0x426c, 0x98, 0xdd, 0x75, 0x21, 0xad, 0x3f, 0x01, 0xfe) },
	{ "vmbfs", "VMBus file system (IMC)", GUID_INIT(0xc376c1c3, 0xd276, 0x48d2, 0x90, 0xa9, 0xc0, 0x47, 0x48, 0x07, 0x2c, 0x60) },
	{ "serial", "VMBus serial UART", GUID_INIT(0x8b60ccf6, 0x709f, 0x4c11, 0x90, 0xb5, 0x22, 0x9c, 0x95, 0x9a, 0x9e, 0x6a) },
	{ "get", "Guest Emulation Transport", GUID_INIT(0x455c0f1b, 0xd51b, 0x40b1, 0xbe, 0xac, 0x87, 0x37, 0x7f, 0xe6, 0xe0, 0x41) },
	/* Not Hyper-V: hvsim's echo test device (sim/echo_proto.h). */
	{ "echo", "hvsim echo test device", ECHO_CLASS_GUID },
};
const unsigned vmbus_devclass_count = ARRAY_SIZE(vmbus_devclasses);

const struct vmbus_devclass *vmbus_devclass_by_guid(const struct guid *g)
{
	for (unsigned i = 0; i < vmbus_devclass_count; i++)
		if (guid_equal(&vmbus_devclasses[i].guid, g))
			return &vmbus_devclasses[i];
	return NULL;
}

const struct vmbus_devclass *vmbus_devclass_by_key(const char *key)
{
	for (unsigned i = 0; i < vmbus_devclass_count; i++)
		if (strcmp(vmbus_devclasses[i].key, key) == 0)
			return &vmbus_devclasses[i];
	return NULL;
}
