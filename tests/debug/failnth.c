// SPDX-License-Identifier: GPL-2.0
/*
 * Systematic fault injection: for every allocating path of the driver,
 * fail the 1st, 2nd, ... allocation the call makes (failslab and
 * fail_page_alloc through /proc/self/task/<tid>/fail-nth) until the call
 * gets through. Every failed call must return -ENOMEM and leave the file's
 * state as it was. Needs CONFIG_FAULT_INJECTION (the lab's debug kernel).
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "harness.h"

#define MAX_NTH 4000

static int fail_nth_fd(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth", (long)syscall(SYS_gettid));
	return open(path, O_RDWR);
}

static void set_nth(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fd, buf, len, 0) != len)
		abort();
}

/* What is left of the countdown: 0 means the n-th fault was injected. */
static unsigned int get_nth(int fd)
{
	char buf[16] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	return strtoul(buf, NULL, 10);
}

static void write_debugfs(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0)
			perror(path);
		close(fd);
	}
}

/* Let both injectors fail sleeping allocations, and keep them quiet. */
static void setup_injectors(void)
{
	write_debugfs("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	write_debugfs("/sys/kernel/debug/failslab/verbose", "0");
	write_debugfs("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_debugfs("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N");
	write_debugfs("/sys/kernel/debug/fail_page_alloc/min-order", "0");
	write_debugfs("/sys/kernel/debug/fail_page_alloc/verbose", "0");
}

enum op { OP_OPEN, OP_WRITE, OP_WRITE_BUF };

struct sweep {
	enum op op;
	size_t len;
	unsigned int injected;	/* calls that failed under injection */
	unsigned int bad;	/* calls with a wrong result or state */
};

static char *payload;

/* One call with the n-th allocation failing. Returns 1 once it succeeds. */
static int attempt(struct __test_metadata *_metadata, struct sweep *s, int nth_fd, unsigned int n)
{
	int fd = -1, ret, injected;
	char keep[8];

	if (s->op != OP_OPEN) {
		fd = open(DEV, O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(4, write(fd, "keep", 4));
		ASSERT_EQ(1, lseek(fd, 1, SEEK_SET));
	}
	set_nth(nth_fd, n);
	switch (s->op) {
	case OP_OPEN:
		fd = open(DEV, O_RDWR);
		ret = fd < 0 ? -errno : 0;
		break;
	case OP_WRITE:
		ret = write(fd, payload, s->len) < 0 ? -errno : 0;
		break;
	default:
		ret = cmisc_write_buf(fd, payload, s->len);
		break;
	}
	injected = get_nth(nth_fd) == 0;
	set_nth(nth_fd, 0);

	if (ret) {
		s->injected++;
		if (ret != -ENOMEM || !injected) {
			s->bad++;
			TH_LOG("nth %u: error %d (injected %d)", n, ret, injected);
		}
		if (s->op != OP_OPEN) {
			memset(keep, 0, sizeof(keep));
			if (lseek(fd, 0, SEEK_CUR) != 1 || pread(fd, keep, sizeof(keep), 0) != 4 ||
			    memcmp(keep, "keep", 4)) {
				s->bad++;
				TH_LOG("nth %u: state changed by a failed call", n);
			}
		}
	}
	if (fd >= 0)
		close(fd);
	return ret == 0 && !injected;
}

static void sweep(struct __test_metadata *_metadata, enum op op, size_t len)
{
	struct sweep s = { .op = op, .len = len };
	int nth_fd = fail_nth_fd();
	unsigned int n;

	ASSERT_LE(0, nth_fd) TH_LOG("no fail-nth: kernel without CONFIG_FAULT_INJECTION?");
	setup_injectors();
	payload = malloc(len ? len : 1);
	ASSERT_NE(NULL, payload);
	memset(payload, 0x42, len);
	for (n = 1; n < MAX_NTH; n++)
		if (attempt(_metadata, &s, nth_fd, n))
			break;
	ksft_print_msg("%u failed allocations injected, the call passed at nth=%u\n",
		       s.injected, n);
	fflush(stdout);
	EXPECT_LT(n, (unsigned int)MAX_NTH);
	EXPECT_EQ(0U, s.bad);
	free(payload);
	close(nth_fd);
}

TEST(open_under_fault_injection)
{
	sweep(_metadata, OP_OPEN, 0);
}

TEST(write_small_under_fault_injection)
{
	sweep(_metadata, OP_WRITE, 100);
}

TEST(write_1m_vmalloc_under_fault_injection)
{
	sweep(_metadata, OP_WRITE, 1 << 20);
}

TEST(write_buf_under_fault_injection)
{
	sweep(_metadata, OP_WRITE_BUF, 64 << 10);
}

/*
 * fail-nth injects a single fault, and kvmalloc() survives one: a failed
 * kmalloc falls back to vmalloc. So the sweeps above never take a large
 * buffer's allocation down. Here every allocation this task makes fails
 * (make-it-fail with task-filter), which reaches the vmalloc fallback too.
 */
static int fail_every_allocation(const char *injector, int on)
{
	static const char *const attrs[] = { "task-filter", "times", "probability" };
	static const char *const vals[2][3] = { { "N", "1", "0" }, { "Y", "-1", "100" } };
	char path[80];
	int i, j, fd, err = 0;

	/*
	 * Arm the task filter before the probability, and disarm in the
	 * reverse order: in between, every task on the machine would fail.
	 */
	for (j = 0; j < 3; j++) {
		i = on ? j : 2 - j;
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", injector, attrs[i]);
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, vals[on][i], strlen(vals[on][i])) < 0)
			err = -errno;
		if (fd >= 0)
			close(fd);
	}
	return err;
}

static void every_allocation_fails(struct __test_metadata *_metadata, enum op op, size_t len)
{
	int fd = open(DEV, O_RDWR), mif = open("/proc/self/make-it-fail", O_WRONLY), ret;
	ssize_t mif_on, mif_off;
	char keep[8] = "";

	ASSERT_LE(0, fd);
	ASSERT_LE(0, mif) TH_LOG("no make-it-fail: kernel without CONFIG_FAULT_INJECTION?");
	payload = malloc(len);
	ASSERT_NE(NULL, payload);
	memset(payload, 0x42, len);
	ASSERT_EQ(4, write(fd, "keep", 4));
	ASSERT_EQ(1, lseek(fd, 1, SEEK_SET));
	setup_injectors();
	/*
	 * Nothing between the two writes to make-it-fail may allocate, and
	 * that includes page faults: a failed one is retried for ever. So
	 * fault in and lock every page of this process first.
	 */
	ASSERT_EQ(0, mlockall(MCL_CURRENT));
	ASSERT_EQ(0, fail_every_allocation("failslab", 1));
	ASSERT_EQ(0, fail_every_allocation("fail_page_alloc", 1));

	mif_on = pwrite(mif, "1", 1, 0);
	if (op == OP_WRITE)
		ret = write(fd, payload, len) < 0 ? -errno : 0;
	else
		ret = cmisc_write_buf(fd, payload, len);
	mif_off = pwrite(mif, "0", 1, 0);

	EXPECT_EQ(0, fail_every_allocation("failslab", 0));
	EXPECT_EQ(0, fail_every_allocation("fail_page_alloc", 0));
	munlockall();
	ASSERT_EQ(1, mif_on);
	ASSERT_EQ(1, mif_off);
	EXPECT_EQ(-ENOMEM, ret);
	/* The failed call left the file as it was. */
	EXPECT_EQ(1, lseek(fd, 0, SEEK_CUR));
	EXPECT_EQ(4, pread(fd, keep, sizeof(keep), 0));
	EXPECT_EQ(0, memcmp(keep, "keep", 4));
	/* And the file still works. */
	EXPECT_EQ((ssize_t)len, write(fd, payload, len));
	free(payload);
	close(mif);
	close(fd);
}

TEST(write_1m_with_every_allocation_failing)
{
	every_allocation_fails(_metadata, OP_WRITE, 1 << 20);
}

TEST(write_small_with_every_allocation_failing)
{
	every_allocation_fails(_metadata, OP_WRITE, 100);
}

TEST(write_buf_with_every_allocation_failing)
{
	every_allocation_fails(_metadata, OP_WRITE_BUF, 64 << 10);
}

/* HELLO, GET and SET must not allocate: with every allocation failing they still work. */
TEST(hello_get_set_do_not_allocate)
{
	int nth_fd = fail_nth_fd(), fd = open(DEV, O_RDWR);
	int32_t v = 0;

	ASSERT_LE(0, nth_fd);
	ASSERT_LE(0, fd);
	setup_injectors();
	set_nth(nth_fd, 1);
	EXPECT_EQ(CMISC_HELLO_VALUE, ioctl(fd, CMISC_IOC_HELLO, 0));
	EXPECT_EQ(0, ioctl(fd, CMISC_IOC_SET_VALUE, &(int32_t){ 5 }));
	EXPECT_EQ(0, ioctl(fd, CMISC_IOC_GET_VALUE, &v));
	/* The countdown is untouched: no allocation was attempted. */
	EXPECT_EQ(1U, get_nth(nth_fd));
	set_nth(nth_fd, 0);
	EXPECT_EQ(5, v);
	close(fd);
	close(nth_fd);
}

CMISC_TEST_MAIN
