// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for cmisc_core.c: buffer allocation against the limits,
 * position arithmetic and ioctl argument checks. Built only for kernels
 * with CONFIG_KUNIT; load cmisc.ko first, then this module.
 */
#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "cmisc_compat.h"
#include "cmisc_core.h"

static struct cmisc_limits test_limits(size_t max_size, size_t max_total)
{
	struct cmisc_limits lim = { .max_size = max_size, .max_total = max_total };

	atomic_long_set(&lim.used, 0);
	return lim;
}

/* A file's state as the driver holds it: its buffer and its spare. */
struct file_bufs {
	struct cmisc_data data;
	struct cmisc_data spare;
};

/* What the driver's cmisc_replace() does, minus the copy from userspace. */
static int replace(struct cmisc_limits *lim, struct file_bufs *f, u64 len, bool copy_ok)
{
	int ret = cmisc_data_reserve(lim, &f->data, &f->spare, len);

	if (ret)
		return ret;
	if (copy_ok) {
		memset(f->spare.bytes, 0x5a, len);
		swap(f->data, f->spare);
	} else {
		ret = -EFAULT;
	}
	cmisc_data_settle(lim, &f->data, &f->spare);
	return ret;
}

static void close_file(struct cmisc_limits *lim, struct file_bufs *f)
{
	atomic_long_sub(f->data.len, &lim->used);
	cmisc_data_free(&f->data);
	cmisc_data_free(&f->spare);
}

static void replace_charges_the_new_length(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct file_bufs f = { };

	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 100, true));
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, f.data.bytes);
	KUNIT_EXPECT_EQ(test, 100, f.data.len);
	KUNIT_EXPECT_EQ(test, 100, atomic_long_read(&lim.used));
	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 30, true));
	KUNIT_EXPECT_EQ(test, 30, atomic_long_read(&lim.used));
	close_file(&lim, &f);
	KUNIT_EXPECT_EQ(test, 0, atomic_long_read(&lim.used));
}

static void replace_same_length_reuses_the_spare(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct file_bufs f = { };
	void *first, *second;

	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 80, true));
	first = f.data.bytes;
	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 80, true));
	second = f.data.bytes;
	/* The old buffer became the spare; the next replace swaps back. */
	KUNIT_EXPECT_PTR_EQ(test, first, f.spare.bytes);
	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 80, true));
	KUNIT_EXPECT_PTR_EQ(test, first, f.data.bytes);
	KUNIT_EXPECT_PTR_EQ(test, second, f.spare.bytes);
	KUNIT_EXPECT_EQ(test, 80, atomic_long_read(&lim.used));
	close_file(&lim, &f);
}

static void replace_other_length_frees_the_old_buffer(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct file_bufs f = { };

	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 80, true));
	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 40, true));
	KUNIT_EXPECT_NULL(test, f.spare.bytes);
	KUNIT_EXPECT_EQ(test, 0, f.spare.len);
	KUNIT_EXPECT_EQ(test, 40, atomic_long_read(&lim.used));
	close_file(&lim, &f);
}

static void replace_with_nothing_holds_nothing(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct file_bufs f = { };

	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 100, true));
	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 100, true));
	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 0, true));
	KUNIT_EXPECT_NULL(test, f.data.bytes);
	KUNIT_EXPECT_NULL(test, f.spare.bytes);
	KUNIT_EXPECT_EQ(test, 0, atomic_long_read(&lim.used));
}

static void replace_too_big_is_efbig_and_keeps_everything(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct file_bufs f = { };
	void *data, *spare;

	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 50, true));
	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 50, true));
	data = f.data.bytes;
	spare = f.spare.bytes;
	KUNIT_EXPECT_EQ(test, -EFBIG, replace(&lim, &f, 101, true));
	KUNIT_EXPECT_EQ(test, -EFBIG, replace(&lim, &f, U64_MAX, true));
	KUNIT_EXPECT_EQ(test, -EFBIG, replace(&lim, &f, 1ULL << 32, true));
	KUNIT_EXPECT_PTR_EQ(test, data, f.data.bytes);
	KUNIT_EXPECT_PTR_EQ(test, spare, f.spare.bytes);
	KUNIT_EXPECT_EQ(test, 50, atomic_long_read(&lim.used));
	close_file(&lim, &f);
}

/* The new buffer takes the old one's place: a full budget can be rewritten. */
static void replace_of_a_full_budget_succeeds(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 100);
	struct file_bufs f = { };

	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 100, true));
	KUNIT_EXPECT_EQ(test, 0, replace(&lim, &f, 100, true));
	KUNIT_EXPECT_EQ(test, 0, replace(&lim, &f, 1, true));
	KUNIT_EXPECT_EQ(test, 0, replace(&lim, &f, 100, true));
	KUNIT_EXPECT_EQ(test, 100, atomic_long_read(&lim.used));
	close_file(&lim, &f);
}

static void replace_over_budget_is_enospc_and_keeps_everything(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 150);
	struct file_bufs a = { }, b = { };
	void *data;

	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &a, 100, true));
	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &b, 20, true));
	data = b.data.bytes;
	/* b may grow by 30 (to 50), not by 31. */
	KUNIT_EXPECT_EQ(test, -ENOSPC, replace(&lim, &b, 51, true));
	KUNIT_EXPECT_PTR_EQ(test, data, b.data.bytes);
	KUNIT_EXPECT_EQ(test, 20, b.data.len);
	KUNIT_EXPECT_EQ(test, 120, atomic_long_read(&lim.used));
	KUNIT_EXPECT_EQ(test, 0, replace(&lim, &b, 50, true));
	KUNIT_EXPECT_EQ(test, 150, atomic_long_read(&lim.used));
	close_file(&lim, &a);
	close_file(&lim, &b);
	KUNIT_EXPECT_EQ(test, 0, atomic_long_read(&lim.used));
}

static void failed_copy_gives_back_the_growth(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct file_bufs f = { };
	void *data;

	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 10, true));
	data = f.data.bytes;
	KUNIT_EXPECT_EQ(test, -EFAULT, replace(&lim, &f, 90, false));
	KUNIT_EXPECT_PTR_EQ(test, data, f.data.bytes);
	KUNIT_EXPECT_EQ(test, 10, f.data.len);
	/* The 90 bytes that were never used are not kept as a spare. */
	KUNIT_EXPECT_NULL(test, f.spare.bytes);
	KUNIT_EXPECT_EQ(test, 10, atomic_long_read(&lim.used));
	close_file(&lim, &f);
}

/* kvmalloc() refuses more than INT_MAX bytes, quietly with __GFP_NOWARN. */
static void allocation_failure_is_enomem_and_uncharged(struct kunit *test)
{
	struct cmisc_limits lim = test_limits((size_t)INT_MAX + 1, (size_t)INT_MAX + 1);
	struct file_bufs f = { };
	void *data;

	if (sizeof(size_t) < 8)
		kunit_skip(test, "size_t is 32 bits: no request above INT_MAX fits the limits");
	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, 10, true));
	data = f.data.bytes;
	KUNIT_EXPECT_EQ(test, -ENOMEM, replace(&lim, &f, (u64)INT_MAX + 1, true));
	KUNIT_EXPECT_PTR_EQ(test, data, f.data.bytes);
	KUNIT_EXPECT_EQ(test, 10, atomic_long_read(&lim.used));
	close_file(&lim, &f);
	KUNIT_EXPECT_EQ(test, 0, atomic_long_read(&lim.used));
}

/* Past the largest kmalloc(), kvmalloc() falls back to vmalloc(). */
static void large_buffer_is_vmalloced(struct kunit *test)
{
	size_t len = 2 * KMALLOC_MAX_SIZE;
	struct cmisc_limits lim = test_limits(len, len);
	struct file_bufs f = { };

	if (KMALLOC_MAX_SIZE > SZ_32M)
		kunit_skip(test, "KMALLOC_MAX_SIZE is %lu: too large a buffer for a test VM",
			   (unsigned long)KMALLOC_MAX_SIZE);
	KUNIT_ASSERT_EQ(test, 0, replace(&lim, &f, len, true));
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(f.data.bytes));
	KUNIT_EXPECT_EQ(test, 0x5a, ((u8 *)f.data.bytes)[len - 1]);
	close_file(&lim, &f);
	KUNIT_EXPECT_EQ(test, 0, atomic_long_read(&lim.used));
}

struct seek_case {
	loff_t cur;
	size_t size;
	loff_t offset;
	int whence;
	loff_t want;
};

static const struct seek_case seek_cases[] = {
	{ 0, 10, 0, SEEK_SET, 0 },
	{ 0, 10, 10, SEEK_SET, 10 },
	{ 0, 10, 11, SEEK_SET, -EINVAL },
	{ 0, 10, -1, SEEK_SET, -EINVAL },
	{ 4, 10, 3, SEEK_CUR, 7 },
	{ 4, 10, -4, SEEK_CUR, 0 },
	{ 4, 10, -5, SEEK_CUR, -EINVAL },
	{ 4, 10, 7, SEEK_CUR, -EINVAL },
	{ 4, 10, LLONG_MAX, SEEK_CUR, -EINVAL },
	{ 0, 10, 0, SEEK_END, 10 },
	{ 0, 10, -10, SEEK_END, 0 },
	{ 0, 10, 1, SEEK_END, -EINVAL },
	{ 0, 10, LLONG_MAX, SEEK_END, -EINVAL },
	{ 0, 10, LLONG_MIN, SEEK_END, -EINVAL },
	{ 0, 0, 0, SEEK_END, 0 },
	{ 0, 10, 0, SEEK_DATA, -EINVAL },
	{ 0, 10, 0, SEEK_HOLE, -EINVAL },
	{ 0, 10, 0, -1, -EINVAL },
	/* After pwrite(2) the position may lie past the end. */
	{ 8, 2, 0, SEEK_CUR, 8 },
	{ 8, 2, 1, SEEK_CUR, -EINVAL },
	{ 8, 2, -6, SEEK_CUR, 2 },
	{ 8, 2, 0, SEEK_SET, 0 },
};

static void seek_case_desc(const struct seek_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "cur_%lld_size_%zu_offset_%lld_whence_%d",
		 c->cur, c->size, c->offset, c->whence);
}

KUNIT_ARRAY_PARAM(seek, seek_cases, seek_case_desc);

static void seek_positions(struct kunit *test)
{
	const struct seek_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, c->want, cmisc_seek_pos(c->cur, c->size, c->offset, c->whence));
}

static void buf_arg_checks(struct kunit *test)
{
	struct cmisc_buf arg = { .ptr = 0x1000, .len = 100 };

	KUNIT_EXPECT_EQ(test, 0, cmisc_buf_arg_check(&arg, 100));
	KUNIT_EXPECT_EQ(test, -EFBIG, cmisc_buf_arg_check(&arg, 99));
	arg.len = 0;
	KUNIT_EXPECT_EQ(test, 0, cmisc_buf_arg_check(&arg, 0));
	arg.ptr = U64_MAX;
	arg.len = 1;
	KUNIT_EXPECT_EQ(test, -EFAULT, cmisc_buf_arg_check(&arg, U64_MAX));
	arg.ptr = 1;
	arg.len = U64_MAX;
	KUNIT_EXPECT_EQ(test, -EFAULT, cmisc_buf_arg_check(&arg, U64_MAX));
	KUNIT_EXPECT_EQ(test, -EFBIG, cmisc_buf_arg_check(&arg, SZ_1M));
}

static struct kunit_case cmisc_core_cases[] = {
	KUNIT_CASE(replace_charges_the_new_length),
	KUNIT_CASE(replace_same_length_reuses_the_spare),
	KUNIT_CASE(replace_other_length_frees_the_old_buffer),
	KUNIT_CASE(replace_with_nothing_holds_nothing),
	KUNIT_CASE(replace_too_big_is_efbig_and_keeps_everything),
	KUNIT_CASE(replace_of_a_full_budget_succeeds),
	KUNIT_CASE(replace_over_budget_is_enospc_and_keeps_everything),
	KUNIT_CASE(failed_copy_gives_back_the_growth),
	KUNIT_CASE(allocation_failure_is_enomem_and_uncharged),
	KUNIT_CASE(large_buffer_is_vmalloced),
	KUNIT_CASE_PARAM(seek_positions, seek_gen_params),
	KUNIT_CASE(buf_arg_checks),
	{}
};

static struct kunit_suite cmisc_core_suite = {
	.name = "cmisc_core",
	.test_cases = cmisc_core_cases,
};

kunit_test_suite(cmisc_core_suite);

CMISC_IMPORT_KUNIT_NS();
MODULE_DESCRIPTION("KUnit tests for the cmisc driver's core");
MODULE_AUTHOR("The cmisc authors");
MODULE_LICENSE("GPL");
