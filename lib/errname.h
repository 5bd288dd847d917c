/* Short English names for the errno values hvboot returns, the same in the
 * image (newlib) and hosted (glibc) builds, for messages a user reads. */
#ifndef HVB_ERRNAME_H
#define HVB_ERRNAME_H

/* err may be negative (-ENOENT) or positive; unknown values read "error N". */
const char *hvb_strerror(int err);

#endif
