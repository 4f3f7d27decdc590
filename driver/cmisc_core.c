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
 * cmisc_data_reserve() - charge and allocate room for a new buffer
 * @lim:  limits of the device
 * @cur:  the file's current buffer, which the new one is to replace
 * @next: the file's spare: reused if it holds exactly @len bytes, otherwise
 *        freed and allocated afresh; its contents do not matter
 * @len:  requested length, straight from userspace
 *
 * The new buffer takes @cur's place in the budget, so only growth beyond
 * @cur->len is charged: a file whose buffer fills the whole budget can
 * still rewrite it. Until cmisc_data_settle() the file is charged the
 * larger of the two lengths and holds both buffers, so the device never
 * holds more than twice @lim->max_total.
 *
 * Context: Process context, may sleep. The caller serialises calls for one
 * file (&cmisc_file.lock).
 * Return: 0, after which @next has @len bytes of storage (stale or
 * uninitialised: the caller overwrites all of it) and
 * the caller must call cmisc_data_settle(); -EFBIG if @len exceeds
 * @lim->max_size; -ENOSPC if the budget cannot take the growth; -ENOMEM.
 * On error nothing is charged and @cur is untouched; @next may be empty.
 */
int cmisc_data_reserve(struct cmisc_limits *lim, const struct cmisc_data *cur,
		       struct cmisc_data *next, u64 len)
{
	size_t grow;

	if (len > lim->max_size)
		return -EFBIG;
	grow = len > cur->len ? len - cur->len : 0;
	if (grow) {
		/* Check before adding: a refused attempt never shows in @used. */
		long old = atomic_long_read(&lim->used);

		do {
			if (grow > lim->max_total - old)
				return -ENOSPC;
		} while (!atomic_long_try_cmpxchg(&lim->used, &old, old + grow));
	}
	if (next->len == len)
		return 0;
	/* Free first, so the old spare and the new storage never coexist. */
	cmisc_data_free(next);
	if (!len)
		return 0;
	/*
	 * The size comes from userspace: fail quietly, as memdup_user() does,
	 * and with -ENOMEM rather than the OOM killer for a large one.
	 * __GFP_RETRY_MAYFAIL also lets a large buffer reclaim and compact for
	 * a kmalloc before falling back to vmalloc, which kvmalloc_node()'s
	 * kernel-doc keeps for callers to whom kmalloc is worth it. Measured,
	 * it is (README, "Benchmarks"): under make bench BENCH_PRESSURE=1 on
	 * 6.1, a 1 MiB write that allocates costs 2.11M guest instructions
	 * with it (the first allocation compacts, then the freed blocks serve
	 * again) and 2.57M without (two failed compactions, a direct reclaim
	 * and a vmalloc on every write); 2.11M either way without pressure.
	 */
	next->bytes = kvmalloc(len, GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL);
	if (!next->bytes) {
		atomic_long_sub(grow, &lim->used);
		return -ENOMEM;
	}
	next->len = len;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cmisc_data_reserve);

/**
 * cmisc_data_settle() - end a replace begun by cmisc_data_reserve()
 * @lim:   limits of the device
 * @cur:   the file's buffer from now on: the new one if the replace
 *         succeeded, the old one if it failed
 * @spare: the other of the two
 *
 * Gives back the charge beyond @cur->len, and keeps @spare for the next
 * replace only if it has @cur's length: at rest a file holds at most twice
 * what it is charged, and nothing at all when its buffer is empty.
 *
 * Context: As cmisc_data_reserve().
 */
void cmisc_data_settle(struct cmisc_limits *lim, const struct cmisc_data *cur,
		       struct cmisc_data *spare)
{
	if (spare->len > cur->len)
		atomic_long_sub(spare->len - cur->len, &lim->used);
	if (spare->len != cur->len)
		cmisc_data_free(spare);
}
EXPORT_SYMBOL_IF_KUNIT(cmisc_data_settle);

/**
 * cmisc_data_free() - free a buffer's storage and leave it empty
 * @d: the buffer; its charge, if any, is the caller's to give back
 *
 * Context: Any context where kvfree() may be called.
 */
void cmisc_data_free(struct cmisc_data *d)
{
	kvfree(d->bytes);
	*d = (struct cmisc_data){ };
}
EXPORT_SYMBOL_IF_KUNIT(cmisc_data_free);

/**
 * cmisc_seek_pos() - resolve an lseek request against a buffer
 * @cur:    current file position, which may lie past @size (pwrite(2)
 *          replaces the buffer without moving it)
 * @size:   current buffer length
 * @offset: offset passed to lseek(2)
 * @whence: SEEK_SET, SEEK_CUR or SEEK_END
 *
 * Context: Any context.
 * Return: @cur for lseek(fd, 0, SEEK_CUR), which always answers; else the
 * new position, which is within [0, @size], or -EINVAL for another
 * @whence, an overflow, or a target outside the buffer.
 */
loff_t cmisc_seek_pos(loff_t cur, size_t size, loff_t offset, int whence)
{
	loff_t base, pos;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		if (!offset)
			return cur;
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
 * Context: Any context.
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
