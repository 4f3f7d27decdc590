// SPDX-License-Identifier: GPL-2.0
/*
 * read(2), write(2) and lseek(2) with upstream's per-open semantics: a write
 * replaces the whole buffer and rewinds to 0; a read honours and advances
 * the position. Also built with -m32.
 *
 * The tests of read and write see positions and sizes through read(2) and
 * pread(2) alone, so that they hold for upstream's driver too, which has
 * no llseek; an lseek_* test beside one checks what lseek(2) reports after
 * the same calls.
 */
/*
 * A 64-bit off_t in the -m32 build too (glibc's lseek() then uses _llseek),
 * so offsets near INT64_MAX reach the kernel; it must precede every
 * include. The Makefile builds libcmisc without it, so cmisc_seek(), its
 * one off_t function, would get a mismatched off_t here: don't call it.
 */
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif
#include <stdint.h>
#include <sys/mman.h>

#include "harness.h"
#include "dev_fixture.h"

_Static_assert(sizeof(off_t) == 8, "rw_test needs a 64-bit off_t");

TEST_F(dev, write_then_read_returns_the_bytes)
{
	char out[32];

	ASSERT_EQ(11, write(self->fd, "hello world", 11));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(11, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("hello world", out, 11));
	EXPECT_EQ(POISON, (unsigned char)out[11]);
}

TEST_F(dev, read_at_eof_returns_zero)
{
	char out[8];

	EXPECT_EQ(0, read(self->fd, out, sizeof(out)));
	ASSERT_EQ(3, write(self->fd, "abc", 3));
	ASSERT_EQ(3, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, read(self->fd, out, sizeof(out)));
}

TEST_F(dev, partial_reads_advance_the_position)
{
	char out[4];

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(4, read(self->fd, out, 4));
	EXPECT_EQ(0, memcmp("0123", out, 4));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(4, read(self->fd, out, 4));
	EXPECT_EQ(0, memcmp("4567", out, 4));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(2, read(self->fd, out, 4));
	EXPECT_EQ(0, memcmp("89", out, 2));
	EXPECT_EQ(POISON, (unsigned char)out[2]);
	EXPECT_EQ(0, read(self->fd, out, 4));
}

TEST_F(dev, lseek_cur_reports_how_far_reads_have_advanced)
{
	char out[4];

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(4, read(self->fd, out, 4));
	EXPECT_EQ(4, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(4, read(self->fd, out, 4));
	ASSERT_EQ(2, read(self->fd, out, 4));
	EXPECT_EQ(10, lseek(self->fd, 0, SEEK_CUR));
}

/* A read from position 0 of more than was written sees the whole buffer. */
TEST_F(dev, write_replaces_not_appends)
{
	char out[16];

	ASSERT_EQ(10, write(self->fd, "aaaaaaaaaa", 10));
	ASSERT_EQ(3, write(self->fd, "bbb", 3));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(3, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("bbb", out, 3));
	EXPECT_EQ(POISON, (unsigned char)out[3]);
}

/*
 * The read after the second write gets all of "xy": the position went
 * from 4 back to 0 (from 4 it would read nothing, from 1 only "y").
 */
TEST_F(dev, write_rewinds_to_zero)
{
	char out[8];

	ASSERT_EQ(6, write(self->fd, "abcdef", 6));
	ASSERT_EQ(4, read(self->fd, out, 4));
	ASSERT_EQ(2, write(self->fd, "xy", 2));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(2, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("xy", out, 2));
	EXPECT_EQ(POISON, (unsigned char)out[2]);
}

TEST_F(dev, lseek_cur_is_zero_after_a_write)
{
	ASSERT_EQ(6, write(self->fd, "abcdef", 6));
	ASSERT_EQ(4, lseek(self->fd, 4, SEEK_SET));
	ASSERT_EQ(2, write(self->fd, "xy", 2));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(dev, pread_and_pwrite_use_their_offset)
{
	char out[8];

	ASSERT_EQ(8, write(self->fd, "ABCDEFGH", 8));
	ASSERT_EQ(2, read(self->fd, out, 2));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(3, pread(self->fd, out, 3, 5));
	EXPECT_EQ(0, memcmp("FGH", out, 3));
	EXPECT_EQ(POISON, (unsigned char)out[3]);
	EXPECT_EQ(0, pread(self->fd, out, 3, 8));
	EXPECT_EQ(0, pread(self->fd, out, 3, 100));
	/* pread leaves the file position alone: read goes on from 2. */
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(6, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("CDEFGH", out, 6));
}

TEST_F(dev, lseek_cur_is_unchanged_by_pread)
{
	char out[8];

	ASSERT_EQ(8, write(self->fd, "ABCDEFGH", 8));
	ASSERT_EQ(2, lseek(self->fd, 2, SEEK_SET));
	ASSERT_EQ(3, pread(self->fd, out, 3, 5));
	EXPECT_EQ(2, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(dev, zero_length_write_empties_the_buffer)
{
	char out[8];

	ASSERT_EQ(3, write(self->fd, "abc", 3));
	ASSERT_EQ(0, write(self->fd, "", 0));
	memset(out, POISON, sizeof(out));
	EXPECT_EQ(0, pread(self->fd, out, sizeof(out), 0));
	EXPECT_EQ(0, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(POISON, (unsigned char)out[0]);
}

/* Whatever the last write reused (the third lands in the first's storage). */
TEST_F(dev, lseek_end_is_the_length_of_the_last_write)
{
	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(3, write(self->fd, "abc", 3));
	EXPECT_EQ(3, lseek(self->fd, 0, SEEK_END));
	ASSERT_EQ(2, write(self->fd, "XY", 2));
	EXPECT_EQ(2, lseek(self->fd, 0, SEEK_END));
	ASSERT_EQ(0, write(self->fd, "", 0));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_END));
}

TEST_F(dev, buffer_is_per_open_file)
{
	int other = open(DEV, O_RDWR);
	char out[8];

	ASSERT_LE(0, other);
	ASSERT_EQ(4, write(self->fd, "mine", 4));
	memset(out, POISON, sizeof(out));
	EXPECT_EQ(0, read(other, out, sizeof(out)));
	EXPECT_EQ(0, pread(other, out, sizeof(out), 0));
	EXPECT_EQ(POISON, (unsigned char)out[0]);
	ASSERT_EQ(4, pread(self->fd, out, sizeof(out), 0));
	EXPECT_EQ(0, memcmp("mine", out, 4));
	close(other);
}

TEST_F(dev, lseek_end_sees_only_this_files_buffer)
{
	int other = open(DEV, O_RDWR);

	ASSERT_LE(0, other);
	ASSERT_EQ(4, write(self->fd, "mine", 4));
	EXPECT_EQ(0, lseek(other, 0, SEEK_END));
	EXPECT_EQ(4, lseek(self->fd, 0, SEEK_END));
	close(other);
}

TEST_F(dev, lseek_set_cur_end)
{
	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	EXPECT_EQ(7, lseek(self->fd, 7, SEEK_SET));
	EXPECT_EQ(9, lseek(self->fd, 2, SEEK_CUR));
	EXPECT_EQ(6, lseek(self->fd, -3, SEEK_CUR));
	EXPECT_EQ(10, lseek(self->fd, 0, SEEK_END));
	EXPECT_EQ(4, lseek(self->fd, -6, SEEK_END));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_SET));
}

TEST_F(dev, read_at_an_offset)
{
	char out[16];

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(6, lseek(self->fd, -4, SEEK_END));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(4, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("6789", out, 4));
	EXPECT_EQ(POISON, (unsigned char)out[4]);
}

TEST_F(dev, lseek_negative_or_past_end_is_einval)
{
	static const struct { off_t off; int whence; } bad[] = {
		{ -1, SEEK_SET }, { 11, SEEK_SET }, { -11, SEEK_END },
		{ 1, SEEK_END }, { -6, SEEK_CUR }, { 6, SEEK_CUR },
		{ 0, 42 }, { 0, SEEK_DATA }, { 0, SEEK_HOLE },
	};
	size_t i;

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(5, lseek(self->fd, 5, SEEK_SET));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, lseek(self->fd, bad[i].off, bad[i].whence))
			TH_LOG("offset %lld whence %d", (long long)bad[i].off, bad[i].whence);
		EXPECT_EQ(EINVAL, errno);
	}
	/* A failed seek leaves the position where it was. */
	EXPECT_EQ(5, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(dev, lseek_overflow_is_einval)
{
	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(5, lseek(self->fd, 5, SEEK_SET));
	/* 5 + INT64_MAX and 10 + INT64_MAX overflow a loff_t. */
	errno = 0;
	EXPECT_EQ(-1, lseek(self->fd, INT64_MAX, SEEK_CUR));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(self->fd, INT64_MAX, SEEK_END));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(5, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(dev, lseek_on_empty_buffer)
{
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_END));
	errno = 0;
	EXPECT_EQ(-1, lseek(self->fd, 1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, write_of_max_size_plus_one_is_efbig_and_keeps_buffer)
{
	long max = cmisc_param("max_size");
	char *big = calloc(1, max + 1), out[8];

	ASSERT_TRUE(max > 0 && big);
	ASSERT_EQ(4, write(self->fd, "keep", 4));
	ASSERT_EQ(2, lseek(self->fd, 2, SEEK_SET));
	errno = 0;
	EXPECT_EQ(-1, write(self->fd, big, max + 1));
	EXPECT_EQ(EFBIG, errno);
	EXPECT_EQ(2, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	ASSERT_EQ(4, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("keep", out, 4));
	/* Exactly max_size is accepted. */
	EXPECT_EQ(max, write(self->fd, big, max));
	free(big);
}

TEST_F(dev, write_bad_pointers_are_efault_and_keep_buffer)
{
	void *const bad[] = { BAD_USER_PTRS };
	char out[8];
	size_t i;

	ASSERT_EQ(4, write(self->fd, "keep", 4));
	ASSERT_EQ(1, read(self->fd, out, 1));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, write(self->fd, bad[i], 16));
		EXPECT_EQ(EFAULT, errno) TH_LOG("pointer %p", bad[i]);
	}
	EXPECT_EQ(1, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(3, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("eep", out, 3));
}

TEST_F(dev, write_straddling_unmapped_page_is_efault)
{
	char *p = page_before_hole();
	char out[8];

	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(4, write(self->fd, "keep", 4));
	/* 96 bytes readable, then the hole. */
	errno = 0;
	EXPECT_EQ(-1, write(self->fd, p + page_size() - 96, 200));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(4, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("keep", out, 4));
	munmap(p, page_size());
}

TEST_F(dev, read_bad_pointers_are_efault)
{
	void *const bad[] = { BAD_USER_PTRS };
	size_t i;

	ASSERT_EQ(4, write(self->fd, "keep", 4));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, read(self->fd, bad[i], 4));
		EXPECT_EQ(EFAULT, errno) TH_LOG("pointer %p", bad[i]);
		/* Nothing was consumed. */
		EXPECT_EQ(0, lseek(self->fd, 0, SEEK_CUR));
	}
}

TEST_F(dev, read_into_partly_unmapped_buffer_is_short)
{
	char *p = page_before_hole();
	char out[16];
	ssize_t n;

	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	/*
	 * A read that faults part-way reports what it copied, and the position
	 * moves by that much. How close to the fault the copy gets is the
	 * architecture's: x86-64 copies all 6 bytes, arm64 may stop after 1;
	 * the kernel promises progress, not the exact byte.
	 */
	n = read(self->fd, p + page_size() - 6, 10);
	EXPECT_TRUE(n >= 1 && n <= 6) TH_LOG("read returned %zd", n);
	if (n > 0) {
		EXPECT_EQ(0, memcmp("012345", p + page_size() - 6, n));
		/* The next read goes on from there. */
		memset(out, POISON, sizeof(out));
		EXPECT_EQ(10 - n, read(self->fd, out, sizeof(out)));
		EXPECT_EQ(0, memcmp("0123456789" + n, out, 10 - n));
		EXPECT_EQ(POISON, (unsigned char)out[10 - n]);
	}
	munmap(p, page_size());
}

TEST_F(dev, lseek_cur_after_a_short_read_is_what_it_copied)
{
	char *p = page_before_hole();
	ssize_t n;

	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	n = read(self->fd, p + page_size() - 6, 10);
	EXPECT_TRUE(n >= 1 && n <= 6) TH_LOG("read returned %zd", n);
	if (n > 0)
		EXPECT_EQ(n, lseek(self->fd, 0, SEEK_CUR));
	munmap(p, page_size());
}

/* The third write lands in the first write's 10-byte storage. */
TEST_F(dev, rewrites_reusing_the_spare_show_only_new_bytes)
{
	char out[16];

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(3, write(self->fd, "abc", 3));
	ASSERT_EQ(2, write(self->fd, "XY", 2));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(2, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("XY", out, 2));
	EXPECT_EQ(POISON, (unsigned char)out[2]);
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(2, pread(self->fd, out, sizeof(out), 0));
	EXPECT_EQ(0, memcmp("XY", out, 2));
	EXPECT_EQ(POISON, (unsigned char)out[2]);
}

TEST_F(dev, read_buf_after_rewrites_reusing_the_spare_shows_only_new_bytes)
{
	char out[16];

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(3, write(self->fd, "abc", 3));
	ASSERT_EQ(2, write(self->fd, "XY", 2));
	memset(out, POISON, sizeof(out));
	EXPECT_EQ(2, cmisc_read_buf(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("XY", out, 2));
	EXPECT_EQ(POISON, (unsigned char)out[2]);
}

TEST_F(dev, failed_write_into_the_spare_keeps_buffer)
{
	static const char good[4] = "DDD";
	void *const bad[] = { BAD_USER_PTRS };
	uint64_t bad_ptr[BAD_BUF_PTRS_MAX];
	size_t i, n = bad_buf_ptrs(bad_ptr, good);
	char out[8];

	ASSERT_EQ(4, write(self->fd, "AAAA", 4));
	ASSERT_EQ(2, write(self->fd, "BB", 2));
	/* The spare now holds "AAAA"; a faulting write must not swap it in. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, write(self->fd, bad[i], 3)) TH_LOG("pointer %p", bad[i]);
		EXPECT_EQ(EFAULT, errno) TH_LOG("pointer %p", bad[i]);
	}
	for (i = 0; i < n; i++) {
		EXPECT_EQ(-EFAULT, buf_ioctl(self->fd, CMISC_IOC_WRITE_BUF, bad_ptr[i], 4))
			TH_LOG("ptr %#llx", (unsigned long long)bad_ptr[i]);
	}
	ASSERT_EQ(2, pread(self->fd, out, sizeof(out), 0));
	EXPECT_EQ(0, memcmp("BB", out, 2));
	/* And the next good write still works. */
	ASSERT_EQ(3, write(self->fd, "CCC", 3));
	ASSERT_EQ(3, pread(self->fd, out, sizeof(out), 0));
	EXPECT_EQ(0, memcmp("CCC", out, 3));
}

TEST_F(dev, echo_and_cat_see_separate_opens)
{
	/* Like `echo hi > dev; cat dev`: two opens, so cat sees nothing. */
	int w = open(DEV, O_WRONLY), r;
	char out[8];

	ASSERT_LE(0, w);
	ASSERT_EQ(3, write(w, "hi\n", 3));
	close(w);
	r = open(DEV, O_RDONLY);
	ASSERT_LE(0, r);
	EXPECT_EQ(0, read(r, out, sizeof(out)));
	close(r);
}

TEST_F(dev, large_buffer_round_trips)
{
	size_t len = 512 * 1024 + 13, i;
	unsigned char *in = malloc(len), *out = malloc(len);

	ASSERT_TRUE(in && out);
	for (i = 0; i < len; i++)
		in[i] = (unsigned char)(i * 31 + 7);
	ASSERT_EQ((ssize_t)len, write(self->fd, in, len));
	ASSERT_EQ((ssize_t)len, cmisc_read_all(self->fd, out, len));
	EXPECT_EQ(0, memcmp(in, out, len));
	free(in);
	free(out);
}

CMISC_TEST_MAIN
