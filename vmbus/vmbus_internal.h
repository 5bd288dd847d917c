/* Between the modules of vmbus/: message handlers and loop hooks. */
#ifndef VMBUS_INTERNAL_H
#define VMBUS_INTERNAL_H

#include "vmbus.h"

void vmbus_reject(struct vmbus *vb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* gpadl.c */
void vmbus_on_gpadl_created(struct vmbus *vb, const void *msg, uint32_t size);
void vmbus_on_gpadl_torndown(struct vmbus *vb, const void *msg, uint32_t size);
void vmbus_gpadl_check_deadlines(struct vmbus *vb, uint64_t now);
void vmbus_gpadl_forget_all(struct vmbus *vb);
/* The host dropped this GPADL on its own (rescind): forget it, no teardown. */
void vmbus_gpadl_forget(struct vmbus *vb, struct vmbus_gpadl *g);

/* channel.c */
void vmbus_on_open_result(struct vmbus *vb, const void *msg, uint32_t size);
void vmbus_on_rescind(struct vmbus *vb, const void *msg, uint32_t size);
int vmbus_channels_poll(struct vmbus *vb);
void vmbus_channels_check_deadlines(struct vmbus *vb, uint64_t now);
void vmbus_channels_forget_all(struct vmbus *vb);

#endif
