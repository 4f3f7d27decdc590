/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few differences between the kernels cmisc builds on (Debian's 6.1 up
 * to the tutorial's 6.14 and later), each behind a named shim.
 */
#ifndef _CMISC_COMPAT_H
#define _CMISC_COMPAT_H

#include <linux/module.h>
#include <linux/version.h>

/* Symbol namespaces became string literals in 6.13. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define CMISC_IMPORT_KUNIT_NS() MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define CMISC_IMPORT_KUNIT_NS() MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

#endif /* _CMISC_COMPAT_H */
