/* The offer inventory, printed like lsvmbus -vv: one row per offer. */
#include <stdio.h>

#include "devclass.h"
#include "vmbus.h"

const char *vmbus_class_name(const struct guid *type)
{
	const struct vmbus_devclass *dc = vmbus_devclass_by_guid(type);

	return dc ? dc->name : "unknown class";
}

void vmbus_inventory(const struct vmbus *vb, void (*out)(const char *line, void *ctx), void *ctx)
{
	const struct vmbus_version_info *vi = vmbus_version_lookup(vb->version);
	char line[256], inst[GUID_STR_LEN], cls[GUID_STR_LEN];

	snprintf(line, sizeof(line), "VMBus %s (%s), message connection %u, %u offer(s)",
		 vi ? vi->text : "?", vi ? vi->name : "?", vb->msg_conn, vb->noffers);
	out(line, ctx);
	snprintf(line, sizeof(line), "%5s %5s %-28s %-36s %-36s %6s %5s %4s", "relid", "subch",
		 "class", "class id", "instance", "flags", "conn", "mon");
	out(line, ctx);
	for (unsigned i = 0; i < vb->noffers; i++) {
		const struct vmbus_offer *o = &vb->offers[i];
		char mon[8] = "-";

		guid_format(&o->type, cls);
		guid_format(&o->instance, inst);
		if (o->monitor_allocated)
			snprintf(mon, sizeof(mon), "%u", o->monitor_id);
		snprintf(line, sizeof(line), "%5u %5u %-28s %-36s %-36s 0x%04x %5u %4s", o->relid,
			 o->sub_channel, vmbus_class_name(&o->type), cls, inst, o->chn_flags,
			 o->connection_id, mon);
		out(line, ctx);
	}
}
