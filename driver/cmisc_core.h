/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmisc core: the parts of the driver that need no struct file, so that
 * KUnit can test them directly (see cmisc_kunit.c).
 */
#ifndef _CMISC_CORE_H
#define _CMISC_CORE_H

#include <linux/atomic.h>
#include <linux/sizes.h>
#include <linux/types.h>
#include <uapi/linux/cmisc.h>

/* Upper bound for the max_size and max_total module parameters. */
#define CMISC_SIZE_LIMIT	SZ_1G

/**
 * struct cmisc_limits - memory bounds of one device
 * @max_size:  largest buffer one open file may hold
 * @max_total: largest sum of all buffers of the device
 * @used:      bytes currently charged against @max_total
 */
struct cmisc_limits {
	size_t max_size;
	size_t max_total;
	atomic_long_t used;
};

/**
 * struct cmisc_data - a byte buffer of one open file
 * @bytes: kvmalloc'ed storage, NULL when @cap is 0
 * @len:   number of valid bytes
 * @cap:   bytes allocated, and charged against &cmisc_limits.max_total
 */
struct cmisc_data {
	void *bytes;
	size_t len;
	size_t cap;
};

int cmisc_data_alloc(struct cmisc_limits *lim, struct cmisc_data *d, u64 len);
void cmisc_data_free(struct cmisc_limits *lim, struct cmisc_data *d);
int cmisc_data_reserve(struct cmisc_limits *lim, struct cmisc_data *d, u64 len);
loff_t cmisc_seek_pos(loff_t cur, size_t size, loff_t offset, int whence);
int cmisc_buf_arg_check(const struct cmisc_buf *arg, u64 max_len);

#endif /* _CMISC_CORE_H */
