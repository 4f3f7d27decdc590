// SPDX-License-Identifier: GPL-2.0
/*
 * The memory budget and the open modes.
 *
 * Budget: max_size bounds one file's buffer, max_total the sum of all open
 * files' buffers. The driver's spare buffer is an optimisation the user
 * never sees: it never causes -ENOSPC or -EFBIG, an empty buffer holds no
 * memory, and the charged total (sysfs charged_bytes) is back to 0 once
 * every file is closed.
 *
 * Open modes: WRITE_BUF needs a file open for writing and READ_BUF one open
 * for reading, exactly as write(2) and read(2) do (-EBADF otherwise);
 * GET/SET_VALUE and HELLO work on any open file, as upstream's do.
 *
 * Each test reloads the module with its own limits and leaves it loaded
 * with the defaults.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "harness.h"

/* The default max_size: the largest write of the default module. */
#define SZ_BIG (1 << 20)

#define SYSFS_DIR "/sys/class/misc/" CMISC_DEFAULT_NAME "/"

/* A decimal sysfs attribute of the device, or -1. */
static long attr(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), SYSFS_DIR "%s", name);
	return sysfs_long(path);
}

static int open_rw(void)
{
	return open(DEV, O_RDWR);
}

FIXTURE(limits) {
	char *bytes;
};

FIXTURE_SETUP(limits)
{
	self->bytes = malloc(SZ_BIG);
	ASSERT_TRUE(self->bytes != NULL);
	memset(self->bytes, 'x', SZ_BIG);
}

FIXTURE_TEARDOWN(limits)
{
	free(self->bytes);
	cmisc_reload("");
}

TEST_F(limits, rewriting_a_full_budget_file_succeeds)
{
	int fd;

	ASSERT_EQ(0, cmisc_reload("max_size=4096 max_total=4096"));
	fd = open_rw();
	ASSERT_LE(0, fd);
	ASSERT_EQ(4096, write(fd, self->bytes, 4096));
	EXPECT_EQ(4096, write(fd, self->bytes, 4096));
	EXPECT_EQ(1, write(fd, self->bytes, 1));
	EXPECT_EQ(4096, write(fd, self->bytes, 4096));
	EXPECT_EQ(0, cmisc_write_buf(fd, self->bytes, 4096));
	EXPECT_EQ(0, cmisc_write_buf(fd, self->bytes, 100));
	EXPECT_EQ(100, attr("charged_bytes"));
	close(fd);
}

TEST_F(limits, other_files_get_what_this_file_gave_back)
{
	int a, b;

	ASSERT_EQ(0, cmisc_reload("max_size=4096 max_total=4096"));
	a = open_rw();
	b = open_rw();
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(4096, write(a, self->bytes, 4096));
	EXPECT_EQ(-1, write(b, self->bytes, 1));
	EXPECT_EQ(ENOSPC, errno);
	/* a shrinks to 96 bytes: b may now have the other 4000. */
	ASSERT_EQ(96, write(a, self->bytes, 96));
	EXPECT_EQ(4000, write(b, self->bytes, 4000));
	EXPECT_EQ(-1, write(b, self->bytes, 4001));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(4096, attr("charged_bytes"));
	/* a empties: its 96 go back too. */
	ASSERT_EQ(0, write(a, "", 0));
	EXPECT_EQ(4000, attr("charged_bytes"));
	EXPECT_EQ(4096, write(b, self->bytes, 4096));
	close(a);
	close(b);
}

TEST_F(limits, enospc_keeps_the_old_buffer_and_position)
{
	char out[8];
	int a, b;

	ASSERT_EQ(0, cmisc_reload("max_size=4096 max_total=4096"));
	a = open_rw();
	b = open_rw();
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(3000, write(a, self->bytes, 3000));
	ASSERT_EQ(5, write(b, "hello", 5));
	ASSERT_EQ(2, lseek(b, 2, SEEK_SET));
	EXPECT_EQ(-1, write(b, self->bytes, 2000));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(2, lseek(b, 0, SEEK_CUR));
	ASSERT_EQ(5, pread(b, out, sizeof(out), 0));
	EXPECT_EQ(0, memcmp("hello", out, 5));
	EXPECT_EQ(3005, attr("charged_bytes"));
	close(a);
	close(b);
}

TEST_F(limits, empty_buffer_holds_nothing)
{
	int fd;

	ASSERT_EQ(0, cmisc_reload(""));
	fd = open_rw();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, attr("charged_bytes"));
	ASSERT_EQ(SZ_BIG, write(fd, self->bytes, SZ_BIG));
	EXPECT_EQ(SZ_BIG, attr("charged_bytes"));
	ASSERT_EQ(SZ_BIG, write(fd, self->bytes, SZ_BIG));
	EXPECT_EQ(SZ_BIG, attr("charged_bytes"));
	ASSERT_EQ(0, write(fd, "", 0));
	EXPECT_EQ(0, attr("charged_bytes"));
	ASSERT_EQ(0, cmisc_write_buf(fd, self->bytes, 10));
	EXPECT_EQ(10, attr("charged_bytes"));
	ASSERT_EQ(0, cmisc_write_buf(fd, self->bytes, 0));
	EXPECT_EQ(0, attr("charged_bytes"));
	close(fd);
}

/* Slab plus VmallocUsed of /proc/meminfo (kvmalloc's two homes), in KiB, or -1. */
static long kvmalloc_kib(void)
{
	long v, slab = -1, vmalloc = -1;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			slab = v;
		else if (sscanf(line, "VmallocUsed: %ld kB", &v) == 1)
			vmalloc = v;
	}
	fclose(f);
	return slab < 0 || vmalloc < 0 ? -1 : slab + vmalloc;
}

/*
 * The spare buffer is kept only while it has the length of the buffer, so
 * a file that was filled and then emptied holds nothing. Were the spare
 * kept instead, uncharged, HOLD_FILES files could hold HOLD_FILES MiB
 * against a max_total of 8 MiB. Measured as the kernel sees it: what the
 * emptied files still hold must stay below max_total, against the
 * HOLD_FILES MiB of the leak. The first HOLD_FULL files, measured while
 * full, show that the measure sees the buffers at all.
 */
#define HOLD_FILES	64
#define HOLD_FULL	8
#define HOLD_MAX_TOTAL	(8 << 20)

TEST_F(limits, emptied_files_give_their_buffers_back)
{
	long base, full, emptied, bad_writes = 0;
	int fds[HOLD_FILES], i, opened = 0;
	char params[64];

	snprintf(params, sizeof(params), "max_size=%d max_total=%d", SZ_BIG, HOLD_MAX_TOTAL);
	ASSERT_EQ(0, cmisc_reload(params));
	for (i = 0; i < HOLD_FILES; i++) {
		fds[i] = open_rw();
		opened += fds[i] >= 0;
	}
	base = kvmalloc_kib();
	for (i = 0; i < HOLD_FULL; i++)
		bad_writes += write(fds[i], self->bytes, SZ_BIG) != SZ_BIG;
	full = kvmalloc_kib();
	for (i = 0; i < HOLD_FULL; i++)
		bad_writes += write(fds[i], "", 0) != 0;
	for (i = HOLD_FULL; i < HOLD_FILES; i++) {
		bad_writes += write(fds[i], self->bytes, SZ_BIG) != SZ_BIG;
		bad_writes += write(fds[i], "", 0) != 0;
	}
	emptied = kvmalloc_kib();
	EXPECT_EQ(0, attr("charged_bytes"));
	for (i = 0; i < HOLD_FILES; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	ASSERT_EQ(HOLD_FILES, opened);
	ASSERT_EQ(0, bad_writes);
	ASSERT_LE(0, base);
	EXPECT_LE(HOLD_FULL * (SZ_BIG >> 10) * 7 / 8, full - base)
		TH_LOG("%d full files: %ld KiB more in Slab + VmallocUsed", HOLD_FULL, full - base);
	EXPECT_GT(HOLD_MAX_TOTAL >> 10, emptied - base)
		TH_LOG("%d emptied files: %ld KiB more in Slab + VmallocUsed", HOLD_FILES,
		       emptied - base);
	TH_LOG("Slab + VmallocUsed: %d full files %+ld KiB, %d emptied %+ld KiB", HOLD_FULL,
	       full - base, HOLD_FILES, emptied - base);
}

TEST_F(limits, failed_write_gives_back_its_charge)
{
	char *page = page_before_hole();
	int fd;

	ASSERT_TRUE(page != NULL);
	ASSERT_EQ(0, cmisc_reload(""));
	fd = open_rw();
	ASSERT_LE(0, fd);
	ASSERT_EQ(7, write(fd, "seven!!", 7));
	EXPECT_EQ(-1, write(fd, page, sysconf(_SC_PAGESIZE) + 1));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(7, attr("charged_bytes"));
	close(fd);
	EXPECT_EQ(0, attr("charged_bytes"));
	munmap(page, sysconf(_SC_PAGESIZE));
}

TEST_F(limits, sysfs_counts_open_files_and_charged_bytes)
{
	int fds[3], i;

	ASSERT_EQ(0, cmisc_reload(""));
	EXPECT_EQ(0, attr("open_files"));
	EXPECT_EQ(0, attr("charged_bytes"));
	for (i = 0; i < 3; i++) {
		fds[i] = open_rw();
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(100 * (i + 1), write(fds[i], self->bytes, 100 * (i + 1)));
	}
	EXPECT_EQ(3, attr("open_files"));
	EXPECT_EQ(600, attr("charged_bytes"));
	close(fds[1]);
	EXPECT_EQ(2, attr("open_files"));
	EXPECT_EQ(400, attr("charged_bytes"));
	close(fds[0]);
	close(fds[2]);
	EXPECT_EQ(0, attr("open_files"));
	EXPECT_EQ(0, attr("charged_bytes"));
}

TEST_F(limits, sysfs_attributes_are_read_only)
{
	char path[] = SYSFS_DIR "charged_bytes";
	struct stat st;
	int fd;

	/* Root only: what others' files hold is not every user's business. */
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0400U, st.st_mode & 0777);
	ASSERT_EQ(0, stat(SYSFS_DIR "open_files", &st));
	EXPECT_EQ(0400U, st.st_mode & 0777);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		/* root may open it; the kernel still refuses the write. */
		EXPECT_EQ(-1, write(fd, "0", 1));
		close(fd);
	}
}

TEST_F(limits, max_total_over_one_gib_refuses_to_load)
{
	EXPECT_EQ(-EINVAL, cmisc_reload("max_total=1073741825"));
	EXPECT_FALSE(module_loaded(cmisc_module()));
	EXPECT_EQ(0, cmisc_reload("max_total=1073741824"));
	EXPECT_EQ(1073741824, cmisc_param("max_total"));
}

/* Open modes. */

FIXTURE(modes) {
	int rd, wr, rw;
};

FIXTURE_SETUP(modes)
{
	self->rd = open(DEV, O_RDONLY);
	self->wr = open(DEV, O_WRONLY);
	self->rw = open(DEV, O_RDWR);
	ASSERT_LE(0, self->rd);
	ASSERT_LE(0, self->wr);
	ASSERT_LE(0, self->rw);
}

FIXTURE_TEARDOWN(modes)
{
	close(self->rd);
	close(self->wr);
	close(self->rw);
}

/* The VFS refuses these before the driver sees them, as for any file. */
TEST_F(modes, write_on_read_only_file_is_ebadf)
{
	char out[4];

	errno = 0;
	EXPECT_EQ(-1, write(self->rd, "abc", 3));
	EXPECT_EQ(EBADF, errno);
	errno = 0;
	EXPECT_EQ(-1, write(self->rd, "", 0));
	EXPECT_EQ(EBADF, errno);
	/* The buffer is still empty. */
	poison(out);
	EXPECT_EQ(0, read(self->rd, out, sizeof(out)));
	EXPECT_EQ(POISON, (unsigned char)out[0]);
}

TEST_F(modes, read_on_write_only_file_is_ebadf)
{
	char out[4];

	ASSERT_EQ(3, write(self->wr, "abc", 3));
	poison(out);
	errno = 0;
	EXPECT_EQ(-1, read(self->wr, out, sizeof(out)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(POISON, (unsigned char)out[0]);
}

/* The driver's own check gives the buffer ioctls the same answers. */
TEST_F(modes, write_buf_on_read_only_file_is_ebadf_like_write)
{
	char out[4];

	EXPECT_EQ(-EBADF, cmisc_write_buf(self->rd, "abc", 3));
	EXPECT_EQ(-EBADF, cmisc_write_buf(self->rd, "", 0));
	/* The buffer is still empty. */
	EXPECT_EQ(0, cmisc_read_buf(self->rd, out, sizeof(out)));
}

TEST_F(modes, read_buf_on_write_only_file_is_ebadf_like_read)
{
	char out[4];

	ASSERT_EQ(3, write(self->wr, "abc", 3));
	poison(out);
	EXPECT_EQ(-EBADF, cmisc_read_buf(self->wr, out, sizeof(out)));
	EXPECT_EQ(POISON, (unsigned char)out[0]);
	EXPECT_EQ(0, cmisc_write_buf(self->wr, "xy", 2));
}

TEST_F(modes, ebadf_comes_before_argument_checks)
{
	/* Even a bad argument pointer: the mode is checked first, as in read(2). */
	EXPECT_EQ(-1, ioctl(self->rd, CMISC_IOC_WRITE_BUF, NULL));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, ioctl(self->wr, CMISC_IOC_READ_BUF, NULL));
	EXPECT_EQ(EBADF, errno);
}

TEST_F(modes, value_ioctls_work_in_every_mode)
{
	int fds[] = { self->rd, self->wr, self->rw };
	int32_t v;
	int i;

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, cmisc_set_value(fds[i], 40 + i));
		poison(v);
		EXPECT_EQ(0, cmisc_get_value(fds[i], &v));
		EXPECT_EQ(40 + i, v);
	}
}

TEST_F(modes, hello_returns_100_in_every_mode)
{
	int fds[] = { self->rd, self->wr, self->rw };
	int i;

	for (i = 0; i < 3; i++)
		EXPECT_EQ(CMISC_HELLO_VALUE, cmisc_hello(fds[i])) TH_LOG("file %d", i);
}

TEST_F(modes, read_write_file_can_do_both_buffer_ioctls)
{
	char out[4];

	EXPECT_EQ(0, cmisc_write_buf(self->rw, "abc", 3));
	EXPECT_EQ(3, cmisc_read_buf(self->rw, out, sizeof(out)));
	EXPECT_EQ(0, memcmp("abc", out, 3));
}

CMISC_TEST_MAIN
