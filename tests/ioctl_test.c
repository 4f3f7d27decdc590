// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI: HELLO, GET/SET_VALUE, WRITE/READ_BUF, unknown commands
 * and bad arguments, each with its exact errno and the state checked
 * unchanged afterwards. Also built with -m32 to cover compat_ioctl.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "harness.h"
#include "dev_fixture.h"

TEST_F(dev, hello_returns_100)
{
	EXPECT_EQ(CMISC_HELLO_VALUE, ioctl(self->fd, CMISC_IOC_HELLO, 0));
	/* The argument is ignored, whatever it is. */
	EXPECT_EQ(CMISC_HELLO_VALUE, ioctl(self->fd, CMISC_IOC_HELLO, unmapped_ptr()));
	EXPECT_EQ(CMISC_HELLO_VALUE, ioctl(self->fd, CMISC_IOC_HELLO, ~0UL));
}

/* Whatever HELLO answers, no argument changes the answer or fails it. */
TEST_F(dev, hello_ignores_its_argument)
{
	int plain = ioctl(self->fd, CMISC_IOC_HELLO, 0);

	ASSERT_LE(0, plain);
	EXPECT_EQ(plain, ioctl(self->fd, CMISC_IOC_HELLO, unmapped_ptr()));
	EXPECT_EQ(plain, ioctl(self->fd, CMISC_IOC_HELLO, ~0UL));
}

TEST_F(dev, initial_value_is_zero)
{
	int32_t v;

	poison(v);
	ASSERT_EQ(0, ioctl(self->fd, CMISC_IOC_GET_VALUE, &v));
	EXPECT_EQ(0, v);
}

TEST_F(dev, set_then_get_round_trips)
{
	static const int32_t values[] = { 1, -1, 42, INT32_MAX, INT32_MIN, 0 };
	size_t i;
	int32_t v;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		ASSERT_EQ(0, cmisc_set_value(self->fd, values[i]));
		poison(v);
		ASSERT_EQ(0, ioctl(self->fd, CMISC_IOC_GET_VALUE, &v));
		EXPECT_EQ(values[i], v);
	}
}

TEST_F(dev, get_writes_exactly_four_bytes)
{
	unsigned char out[8];

	memset(out, POISON, sizeof(out));
	ASSERT_EQ(0, cmisc_set_value(self->fd, 0x01020304));
	ASSERT_EQ(0, ioctl(self->fd, CMISC_IOC_GET_VALUE, out));
	EXPECT_EQ(0x01020304, *(int32_t *)out);
	EXPECT_EQ(POISON, out[4]);
	EXPECT_EQ(POISON, out[7]);
}

TEST_F(dev, value_is_per_open_file)
{
	int other = open(DEV, O_RDWR);
	int32_t v;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, cmisc_set_value(self->fd, 1234));
	poison(v);
	ASSERT_EQ(0, ioctl(other, CMISC_IOC_GET_VALUE, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, cmisc_set_value(other, 99));
	ASSERT_EQ(0, cmisc_get_value(self->fd, &v));
	EXPECT_EQ(1234, v);
	close(other);
}

TEST_F(dev, dup_shares_the_open_file)
{
	int other = dup(self->fd);
	int32_t v;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, cmisc_set_value(self->fd, 77));
	ASSERT_EQ(0, cmisc_get_value(other, &v));
	EXPECT_EQ(77, v);
	close(other);
}

TEST_F(dev, fail_command_is_enotty)
{
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, CMISC_IOC_FAIL, 0));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, unknown_numbers_are_enotty)
{
	static const unsigned long cmds[] = {
		_IO(CMISC_IOC_MAGIC, 0x7f), _IO(CMISC_IOC_MAGIC, 0x85),
		_IO(CMISC_IOC_MAGIC, 0xff), _IO('c', 0x80), 0, ~0UL,
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], 0)) TH_LOG("cmd %#lx", cmds[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
}

TEST_F(dev, wrong_size_or_direction_is_enotty)
{
	int32_t v = 5;
	const unsigned long cmds[] = {
		_IO(CMISC_IOC_MAGIC, 0x81),			/* GET, no dir */
		_IOW(CMISC_IOC_MAGIC, 0x81, __s32),		/* GET, wrong dir */
		_IOR(CMISC_IOC_MAGIC, 0x81, __s64),		/* GET, wrong size */
		_IOR(CMISC_IOC_MAGIC, 0x82, __s32),		/* SET, wrong dir */
		_IOW(CMISC_IOC_MAGIC, 0x82, __s16),		/* SET, wrong size */
		_IOWR(CMISC_IOC_MAGIC, 0x82, __s32),		/* SET, both dirs */
		_IOR(CMISC_IOC_MAGIC, 0x80, __s32),		/* HELLO with size */
		_IOW(CMISC_IOC_MAGIC, 0x83, __u64),		/* WRITE_BUF, size */
		_IOR(CMISC_IOC_MAGIC, 0x84, struct cmisc_buf),	/* READ_BUF, dir */
	};
	size_t i;

	ASSERT_EQ(0, cmisc_set_value(self->fd, 17));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], &v)) TH_LOG("cmd %#lx", cmds[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
	ASSERT_EQ(0, cmisc_get_value(self->fd, &v));
	EXPECT_EQ(17, v);
}

TEST_F(dev, get_bad_pointers_are_efault)
{
	void *const bad[] = { BAD_USER_PTRS };
	size_t i;
	int32_t v;

	ASSERT_EQ(0, cmisc_set_value(self->fd, 8));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, CMISC_IOC_GET_VALUE, bad[i]));
		EXPECT_EQ(EFAULT, errno) TH_LOG("pointer %p", bad[i]);
	}
	ASSERT_EQ(0, cmisc_get_value(self->fd, &v));
	EXPECT_EQ(8, v);
}

TEST_F(dev, set_bad_pointers_are_efault_and_keep_value)
{
	void *const bad[] = { BAD_USER_PTRS };
	size_t i;
	int32_t v;

	ASSERT_EQ(0, cmisc_set_value(self->fd, 9));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, CMISC_IOC_SET_VALUE, bad[i]));
		EXPECT_EQ(EFAULT, errno) TH_LOG("pointer %p", bad[i]);
	}
	ASSERT_EQ(0, cmisc_get_value(self->fd, &v));
	EXPECT_EQ(9, v);
}

TEST_F(dev, get_at_page_end_minus_two_is_efault)
{
	char *p = page_before_hole();

	ASSERT_TRUE(p != NULL);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, CMISC_IOC_GET_VALUE, p + page_size() - 2));
	EXPECT_EQ(EFAULT, errno);
	munmap(p, page_size());
}

/* ------------------------------------------------------------ buffer ioctls */

/*
 * The VFS answers its generic commands (fs/ioctl.c) before any driver sees
 * them, so these are not -ENOTTY even though the driver does not know them.
 */
TEST_F(dev, fionbio_is_answered_by_the_vfs)
{
	int on = 1, off = 0;

	ASSERT_EQ(0, ioctl(self->fd, FIONBIO, &on));
	EXPECT_TRUE(fcntl(self->fd, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(0, ioctl(self->fd, FIONBIO, &off));
	EXPECT_FALSE(fcntl(self->fd, F_GETFL) & O_NONBLOCK);
}

TEST_F(dev, fioclex_and_fionclex_are_answered_by_the_vfs)
{
	ASSERT_EQ(0, ioctl(self->fd, FIOCLEX));
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, ioctl(self->fd, FIONCLEX));
	EXPECT_EQ(0, fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
}

/* Turning FASYNC on needs the driver's fasync, which it does not have. */
TEST_F(dev, fioasync_off_succeeds_and_on_is_enotty)
{
	int on = 1, off = 0;

	EXPECT_EQ(0, ioctl(self->fd, FIOASYNC, &off));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, FIOASYNC, &on));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_FALSE(fcntl(self->fd, F_GETFL) & O_ASYNC);
}

static void pattern(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

TEST_F(dev, write_buf_then_read_buf)
{
	unsigned char in[300], out[400];

	pattern(in, sizeof(in), 3);
	ASSERT_EQ(0, cmisc_write_buf(self->fd, in, sizeof(in)));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ((ssize_t)sizeof(in), cmisc_read_buf(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	/* Nothing past the buffer's length was written. */
	EXPECT_EQ(POISON, out[sizeof(in)]);
	EXPECT_EQ(POISON, out[sizeof(out) - 1]);
}

TEST_F(dev, read_buf_is_bounded_by_len)
{
	unsigned char in[100], out[100];

	pattern(in, sizeof(in), 5);
	ASSERT_EQ(0, cmisc_write_buf(self->fd, in, sizeof(in)));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(10, cmisc_read_buf(self->fd, out, 10));
	EXPECT_EQ(0, memcmp(in, out, 10));
	EXPECT_EQ(POISON, out[10]);
	EXPECT_EQ(0, cmisc_read_buf(self->fd, out, 0));
}

TEST_F(dev, read_buf_on_fresh_file_is_empty)
{
	unsigned char out[16];

	memset(out, POISON, sizeof(out));
	EXPECT_EQ(0, cmisc_read_buf(self->fd, out, sizeof(out)));
	EXPECT_EQ(POISON, out[0]);
}

TEST_F(dev, write_buf_replaces_and_rewinds)
{
	char out[16];

	ASSERT_EQ(0, cmisc_write_buf(self->fd, "first buffer", 12));
	ASSERT_EQ(6, lseek(self->fd, 6, SEEK_SET));
	ASSERT_EQ(0, cmisc_write_buf(self->fd, "second", 6));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_CUR));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(6, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("second", out, 6));
}

TEST_F(dev, write_buf_len_zero_empties)
{
	char out[8];

	ASSERT_EQ(0, cmisc_write_buf(self->fd, "abc", 3));
	ASSERT_EQ(0, cmisc_write_buf(self->fd, NULL, 0));
	EXPECT_EQ(0, cmisc_read_buf(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_END));
}

/*
 * write(fd, p, 0) empties the buffer and leaves the position (the VFS
 * stores it only after a write of at least one byte); WRITE_BUF of length
 * 0 must do exactly the same.
 */
TEST_F(dev, write_buf_len_zero_keeps_the_position_like_write)
{
	char out[8];

	ASSERT_EQ(0, cmisc_write_buf(self->fd, "abcdef", 6));
	ASSERT_EQ(4, lseek(self->fd, 4, SEEK_SET));
	ASSERT_EQ(0, cmisc_write_buf(self->fd, "xyz", 0));
	EXPECT_EQ(4, lseek(self->fd, 0, SEEK_CUR));
	memset(out, POISON, sizeof(out));
	EXPECT_EQ(0, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(POISON, (unsigned char)out[0]);
	EXPECT_EQ(4, lseek(self->fd, 0, SEEK_CUR));
	/* write(2) of 0 bytes, on the same file: the same position. */
	ASSERT_EQ(6, write(self->fd, "abcdef", 6));
	ASSERT_EQ(4, lseek(self->fd, 4, SEEK_SET));
	ASSERT_EQ(0, write(self->fd, "xyz", 0));
	EXPECT_EQ(4, lseek(self->fd, 0, SEEK_CUR));
}

static size_t max_size(void)
{
	long v = cmisc_param("max_size");

	return v > 0 ? (size_t)v : 0;
}

/* Check that the buffer still holds exactly "keep". */
static int buffer_is_keep(int fd)
{
	char out[8];

	memset(out, POISON, sizeof(out));
	return cmisc_read_buf(fd, out, sizeof(out)) == 4 && !memcmp(out, "keep", 4);
}

TEST_F(dev, write_buf_too_large_is_efbig_and_keeps_buffer)
{
	const uint64_t lens[] = { max_size() + 1, (uint64_t)1 << 32, ~0ULL };
	size_t i;

	ASSERT_TRUE(max_size() > 0);
	ASSERT_EQ(0, cmisc_write_buf(self->fd, "keep", 4));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct cmisc_buf arg = { .ptr = (uintptr_t)"x", .len = lens[i] };

		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, CMISC_IOC_WRITE_BUF, &arg));
		EXPECT_EQ(EFBIG, errno) TH_LOG("len %llu", (unsigned long long)lens[i]);
	}
	EXPECT_TRUE(buffer_is_keep(self->fd));
}

TEST_F(dev, write_buf_at_max_size_fits)
{
	size_t len = max_size();
	unsigned char *in = malloc(len), *out = malloc(len);

	ASSERT_TRUE(in && out);
	pattern(in, len, 11);
	ASSERT_EQ(0, cmisc_write_buf(self->fd, in, len));
	ASSERT_EQ((ssize_t)len, cmisc_read_buf(self->fd, out, len));
	EXPECT_EQ(0, memcmp(in, out, len));
	free(in);
	free(out);
}

TEST_F(dev, buf_ioctls_bad_arg_pointer_is_efault)
{
	void *const bad[] = { BAD_USER_PTRS };
	size_t i;

	ASSERT_EQ(0, cmisc_write_buf(self->fd, "keep", 4));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, CMISC_IOC_WRITE_BUF, bad[i]));
		EXPECT_EQ(EFAULT, errno) TH_LOG("pointer %p", bad[i]);
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, CMISC_IOC_READ_BUF, bad[i]));
		EXPECT_EQ(EFAULT, errno) TH_LOG("pointer %p", bad[i]);
	}
	EXPECT_TRUE(buffer_is_keep(self->fd));
}

/* ptr is a __u64: even a 32-bit task can pass kernel and above-4-GiB addresses. */
TEST_F(dev, write_buf_bad_data_pointer_is_efault_and_keeps_buffer)
{
	static const char good[16] = "0123456789abcde";
	uint64_t bad[BAD_BUF_PTRS_MAX];
	size_t i, n = bad_buf_ptrs(bad, good);

	ASSERT_EQ(0, cmisc_write_buf(self->fd, "keep", 4));
	ASSERT_EQ(2, lseek(self->fd, 2, SEEK_SET));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(-EFAULT, buf_ioctl(self->fd, CMISC_IOC_WRITE_BUF, bad[i], sizeof(good)))
			TH_LOG("ptr %#llx", (unsigned long long)bad[i]);
	}
	EXPECT_TRUE(buffer_is_keep(self->fd));
	/* A failed replace does not rewind either. */
	EXPECT_EQ(2, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(dev, read_buf_bad_data_pointer_is_efault)
{
	unsigned char good[16];
	uint64_t bad[BAD_BUF_PTRS_MAX];
	size_t i, n = bad_buf_ptrs(bad, good);

	memset(good, POISON, sizeof(good));
	ASSERT_EQ(0, cmisc_write_buf(self->fd, "keep", 4));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(-EFAULT, buf_ioctl(self->fd, CMISC_IOC_READ_BUF, bad[i], sizeof(good)))
			TH_LOG("ptr %#llx", (unsigned long long)bad[i]);
	}
	/* Nothing was written through the low 32 bits of a ptr either. */
	EXPECT_EQ(POISON, good[0]);
	EXPECT_TRUE(buffer_is_keep(self->fd));
}

TEST_F(dev, read_buf_huge_len_is_efault)
{
	char out[8];
	struct cmisc_buf arg = { .ptr = (uintptr_t)out, .len = ~0ULL };

	ASSERT_EQ(0, cmisc_write_buf(self->fd, "keep", 4));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, CMISC_IOC_READ_BUF, &arg));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_TRUE(buffer_is_keep(self->fd));
}

/*
 * A length no user range can have (2^62 bytes from a valid pointer) does
 * not overflow ptr + len: only access_ok() refuses it, before the copy.
 */
TEST_F(dev, read_buf_len_beyond_user_space_is_efault)
{
	unsigned char out[8];

	memset(out, POISON, sizeof(out));
	ASSERT_EQ(0, cmisc_write_buf(self->fd, "keep", 4));
	EXPECT_EQ(-EFAULT, buf_ioctl(self->fd, CMISC_IOC_READ_BUF, (uintptr_t)out, 1ULL << 62));
	EXPECT_EQ(POISON, out[0]);
	EXPECT_EQ(POISON, out[3]);
	EXPECT_TRUE(buffer_is_keep(self->fd));
}

TEST_F(dev, buf_ioctls_take_misaligned_pointers)
{
	char in[32] = "xmisaligned data here", out[32];

	ASSERT_EQ(0, cmisc_write_buf(self->fd, in + 1, 15));
	memset(out, POISON, sizeof(out));
	ASSERT_EQ(15, cmisc_read_buf(self->fd, out + 3, 15));
	EXPECT_EQ(0, memcmp(in + 1, out + 3, 15));
	EXPECT_EQ(POISON, (unsigned char)out[2]);
	EXPECT_EQ(POISON, (unsigned char)out[18]);
}

TEST_F(dev, get_value_to_a_misaligned_pointer_works)
{
	unsigned char out[8];
	int32_t v;

	memset(out, POISON, sizeof(out));
	ASSERT_EQ(0, cmisc_set_value(self->fd, 5));
	ASSERT_EQ(0, ioctl(self->fd, CMISC_IOC_GET_VALUE, out + 1));
	memcpy(&v, out + 1, sizeof(v));
	EXPECT_EQ(5, v);
	EXPECT_EQ(POISON, out[0]);
	EXPECT_EQ(POISON, out[5]);
}

CMISC_TEST_MAIN
