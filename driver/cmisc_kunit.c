// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for cmisc_core.c: buffer allocation against the limits,
 * position arithmetic and ioctl argument checks. Built only for kernels
 * with CONFIG_KUNIT; load cmisc.ko first, then this module.
 */
#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "cmisc_compat.h"
#include "cmisc_core.h"

static struct cmisc_limits test_limits(size_t max_size, size_t max_total)
{
	struct cmisc_limits lim = { .max_size = max_size, .max_total = max_total };

	atomic_long_set(&lim.used, 0);
	return lim;
}

static void alloc_within_limits(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct cmisc_data d = { };

	KUNIT_ASSERT_EQ(test, 0, cmisc_data_alloc(&lim, &d, 100));
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, d.bytes);
	KUNIT_EXPECT_EQ(test, 100, d.len);
	KUNIT_EXPECT_EQ(test, 100, atomic_long_read(&lim.used));
	cmisc_data_free(&lim, &d);
	KUNIT_EXPECT_NULL(test, d.bytes);
	KUNIT_EXPECT_EQ(test, 0, d.len);
	KUNIT_EXPECT_EQ(test, 0, atomic_long_read(&lim.used));
}

static void alloc_zero_is_empty(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct cmisc_data d = { .bytes = (void *)1, .len = 5 };

	KUNIT_ASSERT_EQ(test, 0, cmisc_data_alloc(&lim, &d, 0));
	KUNIT_EXPECT_NULL(test, d.bytes);
	KUNIT_EXPECT_EQ(test, 0, d.len);
	cmisc_data_free(&lim, &d);
	KUNIT_EXPECT_EQ(test, 0, atomic_long_read(&lim.used));
}

static void alloc_too_big_is_efbig(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct cmisc_data d = { .bytes = NULL, .len = 7 };

	KUNIT_EXPECT_EQ(test, -EFBIG, cmisc_data_alloc(&lim, &d, 101));
	KUNIT_EXPECT_EQ(test, -EFBIG, cmisc_data_alloc(&lim, &d, U64_MAX));
	KUNIT_EXPECT_EQ(test, -EFBIG, cmisc_data_alloc(&lim, &d, 1ULL << 32));
	/* Failure leaves the output and the budget untouched. */
	KUNIT_EXPECT_EQ(test, 7, d.len);
	KUNIT_EXPECT_EQ(test, 0, atomic_long_read(&lim.used));
}

static void alloc_over_budget_is_enospc(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 150);
	struct cmisc_data a = { }, b = { };

	KUNIT_ASSERT_EQ(test, 0, cmisc_data_alloc(&lim, &a, 100));
	KUNIT_EXPECT_EQ(test, -ENOSPC, cmisc_data_alloc(&lim, &b, 51));
	KUNIT_EXPECT_EQ(test, 100, atomic_long_read(&lim.used));
	KUNIT_ASSERT_EQ(test, 0, cmisc_data_alloc(&lim, &b, 50));
	KUNIT_EXPECT_EQ(test, 150, atomic_long_read(&lim.used));
	cmisc_data_free(&lim, &a);
	cmisc_data_free(&lim, &b);
	KUNIT_EXPECT_EQ(test, 0, atomic_long_read(&lim.used));
}

static void alloc_large_uses_kvmalloc(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(SZ_4M, SZ_4M);
	struct cmisc_data d = { };

	KUNIT_ASSERT_EQ(test, 0, cmisc_data_alloc(&lim, &d, SZ_4M));
	memset(d.bytes, 0x5a, d.len);
	KUNIT_EXPECT_EQ(test, 0x5a, ((u8 *)d.bytes)[SZ_4M - 1]);
	cmisc_data_free(&lim, &d);
}

static void reserve_reuses_storage_that_fits(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct cmisc_data d = { };
	void *first;

	KUNIT_ASSERT_EQ(test, 0, cmisc_data_reserve(&lim, &d, 80));
	first = d.bytes;
	KUNIT_EXPECT_EQ(test, 80, d.cap);
	/* Same size and smaller: same storage, nothing charged. */
	KUNIT_ASSERT_EQ(test, 0, cmisc_data_reserve(&lim, &d, 80));
	KUNIT_EXPECT_PTR_EQ(test, first, d.bytes);
	KUNIT_ASSERT_EQ(test, 0, cmisc_data_reserve(&lim, &d, 10));
	KUNIT_EXPECT_PTR_EQ(test, first, d.bytes);
	KUNIT_EXPECT_EQ(test, 10, d.len);
	KUNIT_EXPECT_EQ(test, 80, d.cap);
	KUNIT_EXPECT_EQ(test, 80, atomic_long_read(&lim.used));
	/* Larger: new storage, and only it is charged. */
	KUNIT_ASSERT_EQ(test, 0, cmisc_data_reserve(&lim, &d, 100));
	KUNIT_EXPECT_EQ(test, 100, d.cap);
	KUNIT_EXPECT_EQ(test, 100, atomic_long_read(&lim.used));
	cmisc_data_free(&lim, &d);
	KUNIT_EXPECT_EQ(test, 0, atomic_long_read(&lim.used));
}

static void reserve_too_big_keeps_storage(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 1000);
	struct cmisc_data d = { };
	void *first;

	KUNIT_ASSERT_EQ(test, 0, cmisc_data_reserve(&lim, &d, 50));
	first = d.bytes;
	KUNIT_EXPECT_EQ(test, -EFBIG, cmisc_data_reserve(&lim, &d, 101));
	KUNIT_EXPECT_PTR_EQ(test, first, d.bytes);
	KUNIT_EXPECT_EQ(test, 50, d.len);
	KUNIT_EXPECT_EQ(test, 50, atomic_long_read(&lim.used));
	cmisc_data_free(&lim, &d);
}

static void reserve_over_budget_frees_first(struct kunit *test)
{
	struct cmisc_limits lim = test_limits(100, 120);
	struct cmisc_data d = { };

	/* 60 + 100 would exceed 120, but the spare's 60 is given back first. */
	KUNIT_ASSERT_EQ(test, 0, cmisc_data_reserve(&lim, &d, 60));
	KUNIT_ASSERT_EQ(test, 0, cmisc_data_reserve(&lim, &d, 100));
	KUNIT_EXPECT_EQ(test, 100, atomic_long_read(&lim.used));
	cmisc_data_free(&lim, &d);
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
};

static void seek_positions(struct kunit *test)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(seek_cases); i++) {
		const struct seek_case *c = &seek_cases[i];

		KUNIT_EXPECT_EQ_MSG(test, c->want,
				    cmisc_seek_pos(c->cur, c->size, c->offset, c->whence),
				    "case %zu: cur %lld size %zu offset %lld whence %d",
				    i, c->cur, c->size, c->offset, c->whence);
	}
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
	KUNIT_CASE(alloc_within_limits),
	KUNIT_CASE(alloc_zero_is_empty),
	KUNIT_CASE(alloc_too_big_is_efbig),
	KUNIT_CASE(alloc_over_budget_is_enospc),
	KUNIT_CASE(alloc_large_uses_kvmalloc),
	KUNIT_CASE(reserve_reuses_storage_that_fits),
	KUNIT_CASE(reserve_too_big_keeps_storage),
	KUNIT_CASE(reserve_over_budget_frees_first),
	KUNIT_CASE(seek_positions),
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
