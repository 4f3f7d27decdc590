// SPDX-License-Identifier: GPL-2.0
/*
 * cmisc core: buffer allocation against the device's limits, file position
 * arithmetic and ioctl argument checks. Nothing here touches user memory.
 */
#include <kunit/visibility.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "cmisc_core.h"

/**
 * cmisc_data_alloc() - allocate an uninitialised buffer of @len bytes
 * @lim: limits of the device; @len is charged against @lim->max_total
 * @d:   filled in on success, untouched on failure
 * @len: requested length, straight from userspace
 *
 * The caller must fill all @len bytes before anyone can read them, and give
 * the buffer back with cmisc_data_free().
 *
 * Return: 0, -EFBIG if @len exceeds @lim->max_size, -ENOSPC if the device's
 * budget is spent, or -ENOMEM.
 */
int cmisc_data_alloc(struct cmisc_limits *lim, struct cmisc_data *d, u64 len)
{
	void *bytes = NULL;

	if (len > lim->max_size)
		return -EFBIG;
	if (atomic_long_add_return(len, &lim->used) > lim->max_total) {
		atomic_long_sub(len, &lim->used);
		return -ENOSPC;
	}
	if (len) {
		/* The size comes from userspace: fail quietly, as memdup_user() does. */
		bytes = kvmalloc(len, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!bytes) {
			atomic_long_sub(len, &lim->used);
			return -ENOMEM;
		}
	}
	d->bytes = bytes;
	d->len = len;
	d->cap = len;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cmisc_data_alloc);

/**
 * cmisc_data_free() - free a buffer and return its bytes to the budget
 * @lim: limits the buffer was charged against
 * @d:   buffer to free; left empty
 */
void cmisc_data_free(struct cmisc_limits *lim, struct cmisc_data *d)
{
	kvfree(d->bytes);
	atomic_long_sub(d->cap, &lim->used);
	*d = (struct cmisc_data){ };
}
EXPORT_SYMBOL_IF_KUNIT(cmisc_data_free);

/**
 * cmisc_data_reserve() - make @d able to hold @len bytes
 * @lim: limits of the device
 * @d:   a spare buffer whose contents do not matter
 * @len: requested length, straight from userspace
 *
 * Keeps @d's storage when it is large enough, so that rewriting a buffer of
 * the same size allocates nothing. Otherwise frees it and allocates @len
 * bytes. On success @d->len is @len.
 *
 * Return: 0, or the error of cmisc_data_alloc(); on -EFBIG @d is untouched,
 * on any other error it is left empty.
 */
int cmisc_data_reserve(struct cmisc_limits *lim, struct cmisc_data *d, u64 len)
{
	if (len > lim->max_size)
		return -EFBIG;
	if (len > d->cap) {
		/* Free first: the old contents are not needed and its bytes
		 * go back to the budget before the new ones are charged.
		 */
		cmisc_data_free(lim, d);
		return cmisc_data_alloc(lim, d, len);
	}
	d->len = len;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cmisc_data_reserve);

/**
 * cmisc_seek_pos() - resolve an lseek request against a buffer
 * @cur:    current file position
 * @size:   current buffer length
 * @offset: offset passed to lseek(2)
 * @whence: SEEK_SET, SEEK_CUR or SEEK_END
 *
 * Return: the new position, which is always within [0, @size], or -EINVAL
 * for another @whence, an overflow, or a target outside the buffer.
 */
loff_t cmisc_seek_pos(loff_t cur, size_t size, loff_t offset, int whence)
{
	loff_t base, pos;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = cur;
		break;
	case SEEK_END:
		base = size;
		break;
	default:
		return -EINVAL;
	}
	if (check_add_overflow(base, offset, &pos))
		return -EINVAL;
	if (pos < 0 || pos > size)
		return -EINVAL;
	return pos;
}
EXPORT_SYMBOL_IF_KUNIT(cmisc_seek_pos);

/**
 * cmisc_buf_arg_check() - validate a struct cmisc_buf from userspace
 * @arg:     the copied-in argument
 * @max_len: largest @arg->len the command accepts
 *
 * Return: 0, -EFBIG if @arg->len exceeds @max_len, or -EFAULT if the range
 * [ptr, ptr + len) cannot be a user address range on this kernel.
 */
int cmisc_buf_arg_check(const struct cmisc_buf *arg, u64 max_len)
{
	u64 end;

	if (arg->len > max_len)
		return -EFBIG;
	if (check_add_overflow(arg->ptr, arg->len, &end) || end > ULONG_MAX)
		return -EFAULT;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cmisc_buf_arg_check);
