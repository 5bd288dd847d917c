/* Well-known VMBus device classes (offer if_type), facts section 8. */
#ifndef VMBUS_DEVCLASS_H
#define VMBUS_DEVCLASS_H

#include "../lib/guid.h"

struct vmbus_devclass {
	const char *key;  /* short name used on command lines: "storvsc", "netvsc", ... */
	const char *name; /* human name for the inventory */
	struct guid guid;
};

extern const struct vmbus_devclass vmbus_devclasses[];
extern const unsigned vmbus_devclass_count;
const struct vmbus_devclass *vmbus_devclass_by_guid(const struct guid *g);
const struct vmbus_devclass *vmbus_devclass_by_key(const char *key);

#endif
