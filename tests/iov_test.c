// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O calls a user can reach beyond read(2) and write(2): vectored
 * (readv/writev), positional (pread/pwrite) and both (preadv/pwritev), and
 * one descriptor shared by threads. Each behaves as one read or write of
 * the concatenated data; pwrite replaces the buffer without moving the
 * position, which may then lie past the end. Also built with -m32.
 *
 * The invariants checked throughout: lseek(fd, 0, SEEK_CUR) never fails,
 * and a read at any position the file can have returns data or 0, never
 * an error (only a negative pread/preadv offset is one: -EINVAL, from the
 * VFS).
 */
#define _FILE_OFFSET_BITS 64
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/uio.h>

#include "harness.h"
#include "dev_fixture.h"

#define IOV(s) { .iov_base = (void *)(s), .iov_len = sizeof(s) - 1 }

/* The whole buffer, read with pread so the position does not move. */
static ssize_t contents(int fd, char *out, size_t len)
{
	return pread(fd, out, len, 0);
}

TEST_F(dev, writev_stores_all_segments_as_one_write)
{
	struct iovec iov[] = { IOV("Hello "), IOV("world") };
	char out[32];

	ASSERT_EQ(11, writev(self->fd, iov, 2));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(11, contents(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("Hello world", out, 11));
	EXPECT_EQ(POISON, (unsigned char)out[11]);
	/* And the position is 0: a read gets it all. */
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(11, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("Hello world", out, 11));
}

/*
 * From position 3, the read after the writev gets all 6 bytes: the
 * position went back to 0, once, and the buffer is the 6 bytes.
 */
TEST_F(dev, writev_rewinds_once_like_write)
{
	struct iovec iov[] = { IOV("ab"), IOV("cd"), IOV("ef") };
	char out[8];

	ASSERT_EQ(4, write(self->fd, "wxyz", 4));
	ASSERT_EQ(3, read(self->fd, out, 3));
	ASSERT_EQ(6, writev(self->fd, iov, 3));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(6, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("abcdef", out, 6));
	EXPECT_EQ(POISON, (unsigned char)out[6]);
	ASSERT_EQ(6, contents(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("abcdef", out, 6));
}

TEST_F(dev, lseek_sees_writev_rewind_to_0_and_its_total_length)
{
	struct iovec iov[] = { IOV("ab"), IOV("cd"), IOV("ef") };

	ASSERT_EQ(4, write(self->fd, "wxyz", 4));
	ASSERT_EQ(3, lseek(self->fd, 3, SEEK_SET));
	ASSERT_EQ(6, writev(self->fd, iov, 3));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_CUR));
	EXPECT_EQ(6, lseek(self->fd, 0, SEEK_END));
}

TEST_F(dev, writev_with_empty_segments_skips_them)
{
	struct iovec iov[] = { IOV(""), IOV("one"), IOV(""), IOV("two"), IOV("") };
	char out[8];

	ASSERT_EQ(6, writev(self->fd, iov, 5));
	ASSERT_EQ(6, contents(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("onetwo", out, 6));
}

/*
 * The VFS answers a vector of total length 0 itself, without calling the
 * driver (as for upstream's driver): unlike write(fd, p, 0), it leaves the
 * buffer alone.
 */
TEST_F(dev, writev_of_nothing_leaves_the_buffer)
{
	struct iovec iov[] = { IOV("") };
	char out[8];

	ASSERT_EQ(3, write(self->fd, "abc", 3));
	ASSERT_EQ(0, writev(self->fd, iov, 1));
	ASSERT_EQ(3, contents(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("abc", out, 3));
}

/*
 * write(fd, p, 0) empties the buffer, but the VFS stores the rewound
 * position only after a write of at least one byte (upstream's driver too):
 * the position stays, now past the end, and a read there returns 0.
 */
TEST_F(dev, empty_write_empties_the_buffer_and_keeps_the_position)
{
	char out[8];

	ASSERT_EQ(6, write(self->fd, "abcdef", 6));
	ASSERT_EQ(4, read(self->fd, out, 4));
	ASSERT_EQ(0, write(self->fd, "xyz", 0));
	memset(out, POISON, sizeof(out));
	EXPECT_EQ(0, contents(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(POISON, (unsigned char)out[0]);
	/* A pwrite keeps the position too: the read goes on from 4. */
	ASSERT_EQ(10, pwrite(self->fd, "0123456789", 10, 0));
	ASSERT_EQ(6, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("456789", out, 6));
	EXPECT_EQ(POISON, (unsigned char)out[6]);
}

TEST_F(dev, lseek_sees_an_empty_write_keep_the_position_past_the_new_end)
{
	char out[4];

	ASSERT_EQ(6, write(self->fd, "abcdef", 6));
	ASSERT_EQ(4, lseek(self->fd, 4, SEEK_SET));
	ASSERT_EQ(0, write(self->fd, "xyz", 0));
	EXPECT_EQ(4, lseek(self->fd, 0, SEEK_CUR));
	EXPECT_EQ(0, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_END));
}

TEST_F(dev, writev_with_a_bad_segment_is_efault_and_keeps_buffer)
{
	char *page = page_before_hole();
	size_t ps = sysconf(_SC_PAGESIZE);
	struct iovec iov[2];
	char out[8];

	ASSERT_TRUE(page != NULL);
	ASSERT_EQ(3, write(self->fd, "old", 3));
	ASSERT_EQ(1, read(self->fd, out, 1));
	iov[0] = (struct iovec){ .iov_base = page, .iov_len = 16 };
	iov[1] = (struct iovec){ .iov_base = page + ps - 4, .iov_len = 8 };
	EXPECT_EQ(-1, writev(self->fd, iov, 2));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(1, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(3, contents(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("old", out, 3));
	munmap(page, ps);
}

TEST_F(dev, writev_over_max_size_is_efbig)
{
	long max = cmisc_param("max_size");
	char *big;
	struct iovec iov[2];

	ASSERT_LT(0, max);
	big = calloc(1, max);
	ASSERT_TRUE(big != NULL);
	iov[0] = (struct iovec){ .iov_base = big, .iov_len = max };
	iov[1] = (struct iovec){ .iov_base = big, .iov_len = 1 };
	EXPECT_EQ(-1, writev(self->fd, iov, 2));
	EXPECT_EQ(EFBIG, errno);
	EXPECT_EQ(max, writev(self->fd, iov, 1));
	free(big);
}

TEST_F(dev, readv_fills_segments_in_order_and_advances)
{
	char a[3], b[4], c[8];
	struct iovec iov[] = {
		{ .iov_base = a, .iov_len = sizeof(a) },
		{ .iov_base = b, .iov_len = sizeof(b) },
		{ .iov_base = c, .iov_len = sizeof(c) },
	};

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(1, read(self->fd, a, 1));
	poison(a);
	poison(b);
	poison(c);
	ASSERT_EQ(9, readv(self->fd, iov, 3));
	EXPECT_EQ(0, memcmp("123", a, 3));
	EXPECT_EQ(0, memcmp("4567", b, 4));
	EXPECT_EQ(0, memcmp("89", c, 2));
	EXPECT_EQ(POISON, (unsigned char)c[2]);
	EXPECT_EQ(0, readv(self->fd, iov, 3));
}

TEST_F(dev, lseek_cur_after_readv_is_past_the_bytes_read)
{
	char a[3], b[4], c[8];
	struct iovec iov[] = {
		{ .iov_base = a, .iov_len = sizeof(a) },
		{ .iov_base = b, .iov_len = sizeof(b) },
		{ .iov_base = c, .iov_len = sizeof(c) },
	};

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(1, lseek(self->fd, 1, SEEK_SET));
	ASSERT_EQ(9, readv(self->fd, iov, 3));
	EXPECT_EQ(10, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(dev, preadv_reads_at_its_offset_and_keeps_the_position)
{
	char a[2], b[2], out[8];
	struct iovec iov[] = {
		{ .iov_base = a, .iov_len = sizeof(a) },
		{ .iov_base = b, .iov_len = sizeof(b) },
	};

	ASSERT_EQ(8, write(self->fd, "ABCDEFGH", 8));
	ASSERT_EQ(2, read(self->fd, out, 2));
	poison(a);
	poison(b);
	ASSERT_EQ(4, preadv(self->fd, iov, 2, 3));
	EXPECT_EQ(0, memcmp("DE", a, 2));
	EXPECT_EQ(0, memcmp("FG", b, 2));
	EXPECT_EQ(0, preadv(self->fd, iov, 2, 8));
	EXPECT_EQ(0, preadv(self->fd, iov, 2, 1000));
	/* The position is still 2. */
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(6, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("CDEFGH", out, 6));
}

TEST_F(dev, lseek_cur_is_unchanged_by_preadv)
{
	char a[2], b[2];
	struct iovec iov[] = {
		{ .iov_base = a, .iov_len = sizeof(a) },
		{ .iov_base = b, .iov_len = sizeof(b) },
	};

	ASSERT_EQ(8, write(self->fd, "ABCDEFGH", 8));
	ASSERT_EQ(2, lseek(self->fd, 2, SEEK_SET));
	ASSERT_EQ(4, preadv(self->fd, iov, 2, 3));
	EXPECT_EQ(2, lseek(self->fd, 0, SEEK_CUR));
}

/*
 * pwrite(2) replaces the buffer exactly as write(2) does, whatever its
 * offset (upstream's write_iter ignores it too), and never moves the file
 * position: the position may end up past the new end.
 */
TEST_F(dev, pwrite_replaces_the_buffer_and_ignores_its_offset)
{
	char out[16];

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(2, pwrite(self->fd, "ab", 2, 5));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(2, contents(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("ab", out, 2));
	EXPECT_EQ(POISON, (unsigned char)out[2]);
}

/*
 * The position stays at 8 while a pwrite leaves the buffer 2 bytes long:
 * a read there is end of file, not an error, and once a longer pwrite
 * brings bytes 8 and 9 back, a read gets exactly them.
 */
TEST_F(dev, pwrite_keeps_the_position_even_past_the_end)
{
	char out[4];

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(4, read(self->fd, out, 4));
	ASSERT_EQ(4, read(self->fd, out, 4));
	ASSERT_EQ(2, pwrite(self->fd, "ab", 2, 5));
	memset(out, POISON, sizeof(out));
	EXPECT_EQ(0, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(POISON, (unsigned char)out[0]);
	ASSERT_EQ(10, pwrite(self->fd, "ABCDEFGHIJ", 10, 0));
	ASSERT_EQ(2, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("IJ", out, 2));
	EXPECT_EQ(POISON, (unsigned char)out[2]);
}

TEST_F(dev, lseek_cur_answers_even_past_the_end)
{
	char out[4];

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(8, lseek(self->fd, 8, SEEK_SET));
	ASSERT_EQ(2, pwrite(self->fd, "ab", 2, 5));
	EXPECT_EQ(8, lseek(self->fd, 0, SEEK_CUR));
	EXPECT_EQ(0, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(8, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(dev, seek_end_and_seek_set_bring_a_position_past_the_end_back_inside)
{
	char out[4];

	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(8, lseek(self->fd, 8, SEEK_SET));
	ASSERT_EQ(2, pwrite(self->fd, "ab", 2, 5));
	EXPECT_EQ(2, lseek(self->fd, 0, SEEK_END));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(2, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("ab", out, 2));
}

TEST_F(dev, seeks_other_than_where_am_i_stay_within_the_buffer)
{
	ASSERT_EQ(10, write(self->fd, "0123456789", 10));
	ASSERT_EQ(8, lseek(self->fd, 8, SEEK_SET));
	ASSERT_EQ(2, pwrite(self->fd, "ab", 2, 0));
	EXPECT_EQ(-1, lseek(self->fd, 1, SEEK_CUR));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, 8, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(8, lseek(self->fd, 0, SEEK_CUR));
	EXPECT_EQ(1, lseek(self->fd, -7, SEEK_CUR));
}

/* From position 2 of the new "wxyz", a read gets exactly "yz". */
TEST_F(dev, pwritev_is_one_replace_and_keeps_the_position)
{
	struct iovec iov[] = { IOV("wx"), IOV("yz") };
	char out[8];

	ASSERT_EQ(6, write(self->fd, "abcdef", 6));
	ASSERT_EQ(2, read(self->fd, out, 2));
	ASSERT_EQ(4, pwritev(self->fd, iov, 2, 100));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(4, contents(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("wxyz", out, 4));
	EXPECT_EQ(POISON, (unsigned char)out[4]);
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(2, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("yz", out, 2));
}

TEST_F(dev, lseek_cur_is_unchanged_by_pwritev)
{
	struct iovec iov[] = { IOV("xy"), IOV("z") };

	ASSERT_EQ(6, write(self->fd, "abcdef", 6));
	ASSERT_EQ(4, lseek(self->fd, 4, SEEK_SET));
	ASSERT_EQ(3, pwritev(self->fd, iov, 2, 100));
	EXPECT_EQ(4, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(dev, negative_offsets_are_einval)
{
	char out[4];
	struct iovec iov[] = { { .iov_base = out, .iov_len = sizeof(out) } };

	ASSERT_EQ(3, write(self->fd, "abc", 3));
	EXPECT_EQ(-1, pwrite(self->fd, "x", 1, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(self->fd, out, sizeof(out), -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, preadv(self->fd, iov, 1, -5));
	EXPECT_EQ(EINVAL, errno);
	/* None of them touched the buffer. */
	ASSERT_EQ(3, contents(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("abc", out, 3));
}

/* Shared descriptors: threads and a dup()'d fd share one file position. */

struct shared {
	int fd;
	int seek;	/* readers also lseek(2) */
	atomic_int stop;
	atomic_int failures;
	char what[128];
};

static void shared_fail(struct shared *s, const char *what, long got)
{
	if (atomic_fetch_add(&s->failures, 1) == 0)
		snprintf(s->what, sizeof(s->what), "%s returned %ld (errno %d)", what, got,
			 errno);
}

static void *shared_writer(void *arg)
{
	static const char *const texts[] = { "a", "0123456789", "", "abcdefghijklmnopqrstuvwxyz" };
	struct shared *s = arg;
	unsigned int i;

	for (i = 0; !atomic_load(&s->stop); i++) {
		const char *t = texts[i % 4];
		ssize_t n = strlen(t);
		ssize_t ret = i % 3 == 2 ? pwrite(s->fd, t, n, i % 11) : write(s->fd, t, n);

		if (ret != n)
			shared_fail(s, "write", ret);
	}
	return NULL;
}

static void *shared_reader(void *arg)
{
	struct shared *s = arg;
	char out[8];
	unsigned int i;

	for (i = 0; !atomic_load(&s->stop); i++) {
		off_t pos = s->seek ? lseek(s->fd, 0, SEEK_CUR) : 0;
		ssize_t ret = read(s->fd, out, 1 + i % sizeof(out));

		if (pos < 0)
			shared_fail(s, "lseek(0, SEEK_CUR)", pos);
		if (ret < 0)
			shared_fail(s, "read", ret);
		if (s->seek && i % 5 == 0 && lseek(s->fd, i % 3, SEEK_SET) < 0 && errno != EINVAL)
			shared_fail(s, "lseek(SEEK_SET)", -1);
	}
	return NULL;
}

/* Two writers and two readers on @fd for 1.5 s; the failures seen. */
static int share_descriptor(struct __test_metadata *_metadata, int fd, int seek)
{
	struct shared s = { .fd = fd, .seek = seek };
	pthread_t th[4];
	int i;

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_create(&th[i], NULL, i % 2 ? shared_reader : shared_writer, &s));
	}
	usleep(1500 * 1000);
	atomic_store(&s.stop, 1);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	if (atomic_load(&s.failures))
		TH_LOG("%s", s.what);
	return atomic_load(&s.failures);
}

/* Whatever writes and pwrites race with them, reads return data or 0. */
TEST_F(dev, shared_descriptor_reads_never_fail_while_others_write)
{
	EXPECT_EQ(0, share_descriptor(_metadata, self->fd, 0));
}

/* And lseek(fd, 0, SEEK_CUR) always answers; other seeks are EINVAL at worst. */
TEST_F(dev, shared_descriptor_keeps_position_invariants)
{
	EXPECT_EQ(0, share_descriptor(_metadata, self->fd, 1));
	EXPECT_LE(0, lseek(self->fd, 0, SEEK_CUR));
}

/*
 * FMODE_ATOMIC_POS: threads reading one descriptor share its position as
 * they would a regular file's, so each record is read exactly once.
 */
#define RECORDS 8192

struct reader {
	int fd;
	unsigned char *seen;
	atomic_int errors;
};

static void *read_records(void *arg)
{
	struct reader *r = arg;
	uint32_t rec;
	ssize_t n;

	while ((n = read(r->fd, &rec, sizeof(rec))) == sizeof(rec)) {
		if (rec < RECORDS)
			__atomic_add_fetch(&r->seen[rec], 1, __ATOMIC_RELAXED);
		else
			atomic_fetch_add(&r->errors, 1);
	}
	if (n != 0)
		atomic_fetch_add(&r->errors, 1);
	return NULL;
}

TEST_F(dev, threads_on_one_descriptor_read_each_record_once)
{
	static uint32_t recs[RECORDS];
	static unsigned char seen[RECORDS];
	struct reader r = { .fd = self->fd, .seen = seen };
	int i, dups = 0, missing = 0;
	pthread_t th[4];

	for (i = 0; i < RECORDS; i++)
		recs[i] = i;
	ASSERT_EQ((ssize_t)sizeof(recs), write(self->fd, recs, sizeof(recs)));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_create(&th[i], NULL, read_records, &r));
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < RECORDS; i++) {
		dups += seen[i] > 1;
		missing += !seen[i];
	}
	EXPECT_EQ(0, atomic_load(&r.errors));
	EXPECT_EQ(0, dups);
	EXPECT_EQ(0, missing);
	EXPECT_EQ((off_t)sizeof(recs), lseek(self->fd, 0, SEEK_CUR));
}

/*
 * WRITE_BUF rewinds the position from an ioctl, where the VFS takes no
 * position lock. A read(2) on the same descriptor loads the position,
 * reads, and stores the new one, all under f_pos_lock; unless WRITE_BUF
 * takes that lock too, a read that loaded the position before the rewind
 * stores it back after, and the rewind is lost.
 *
 * The main thread puts the position in the middle of a long buffer, then
 * replaces the buffer by WRITE_BUF with one byte: a reader on the same
 * descriptor can then legitimately move the position to 0 or 1, never
 * further. Bounded by time; the first stale position ends the loop.
 */
#define RACE_LONG	4096
#define RACE_SECONDS	2

struct racer {
	int fd;
	atomic_int stop;
	atomic_int read_errors;
};

static void *race_reader(void *arg)
{
	struct racer *r = arg;
	char out[64];

	while (!atomic_load(&r->stop))
		if (read(r->fd, out, sizeof(out)) < 0)
			atomic_fetch_add(&r->read_errors, 1);
	return NULL;
}

TEST_F(dev, write_buf_rewind_is_not_undone_by_a_racing_read)
{
	static char big[RACE_LONG];
	struct racer r = { .fd = self->fd };
	struct timespec start, now;
	long rounds = 0, bad_calls = 0;
	off_t pos = 0;
	pthread_t th;

	memset(big, 'x', sizeof(big));
	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &start));
	ASSERT_EQ(0, pthread_create(&th, NULL, race_reader, &r));
	do {
		if (write(self->fd, big, RACE_LONG) != RACE_LONG ||
		    lseek(self->fd, RACE_LONG / 2, SEEK_SET) != RACE_LONG / 2 ||
		    cmisc_write_buf(self->fd, "y", 1) != 0) {
			bad_calls++;
			break;
		}
		pos = lseek(self->fd, 0, SEEK_CUR);
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (pos >= 0 && pos <= 1 && now.tv_sec - start.tv_sec < RACE_SECONDS);
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	EXPECT_EQ(0, bad_calls);
	EXPECT_EQ(0, atomic_load(&r.read_errors));
	EXPECT_TRUE(pos >= 0 && pos <= 1)
		TH_LOG("round %ld: position %lld after WRITE_BUF of 1 byte", rounds,
		       (long long)pos);
	TH_LOG("%ld rounds", rounds);
}

TEST_F(dev, dup_shares_the_position_and_the_buffer)
{
	int other = dup(self->fd);
	char out[8];

	ASSERT_LE(0, other);
	ASSERT_EQ(6, write(self->fd, "abcdef", 6));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(2, read(other, out, 2));
	EXPECT_EQ(0, memcmp("ab", out, 2));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(2, read(self->fd, out, 2));
	EXPECT_EQ(0, memcmp("cd", out, 2));
	EXPECT_EQ(POISON, (unsigned char)out[2]);
	close(other);
}

TEST_F(dev, lseek_cur_sees_the_position_a_read_on_a_dup_moved)
{
	int other = dup(self->fd);
	char out[8];

	ASSERT_LE(0, other);
	ASSERT_EQ(6, write(self->fd, "abcdef", 6));
	ASSERT_EQ(2, read(other, out, 2));
	EXPECT_EQ(2, lseek(self->fd, 0, SEEK_CUR));
	close(other);
}

CMISC_TEST_MAIN
