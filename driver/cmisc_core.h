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
 * @max_total: largest sum of all open files' buffers
 * @used:      bytes currently charged against @max_total
 *
 * Each open file is charged the length of its buffer. While a replace is
 * in flight the file is charged the larger of its old and new length; see
 * cmisc_data_reserve().
 */
struct cmisc_limits {
	size_t max_size;
	size_t max_total;
	atomic_long_t used;
};

/**
 * struct cmisc_data - a byte buffer
 * @bytes: kvmalloc'ed storage of exactly @len bytes, NULL when @len is 0
 * @len:   number of bytes
 */
struct cmisc_data {
	void *bytes;
	size_t len;
};

int cmisc_data_reserve(struct cmisc_limits *lim, const struct cmisc_data *cur,
		       struct cmisc_data *next, u64 len);
void cmisc_data_settle(struct cmisc_limits *lim, const struct cmisc_data *cur,
		       struct cmisc_data *spare);
void cmisc_data_free(struct cmisc_data *d);
loff_t cmisc_seek_pos(loff_t cur, size_t size, loff_t offset, int whence);
int cmisc_buf_arg_check(const struct cmisc_buf *arg, u64 max_len);

#endif /* _CMISC_CORE_H */
