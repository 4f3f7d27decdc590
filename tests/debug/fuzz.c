// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded, seeded fuzzer for the driver's syscall surface: random ioctl
 * commands, sizes, pointers (valid, NULL, unmapped, kernel, misaligned) and
 * offsets from FUZZ_THREADS threads over shared and private files. The seed
 * is printed so any failure replays with CMISC_FUZZ_SEED=<seed>.
 *
 * Every call must return a result or one of the errnos the ABI documents;
 * anything else, and any kernel report on the console, fails the run.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "harness.h"

#define FUZZ_THREADS 4
#define BIG (1 << 20)

static uint64_t total_ops = 1000000;
static uint64_t seed;
static int shared_fd;
static char *unmapped;

struct fuzzer {
	uint64_t rng;
	int own_fd;
	uint64_t ops, errors;
	char what[160];
	unsigned char buf[BIG + 4096];
};

static uint64_t next(struct fuzzer *f)
{
	/* xorshift64*: small, fast and reproducible from the seed. */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545F4914F6CDD1DULL;
}

static void *pick_ptr(struct fuzzer *f)
{
	switch (next(f) % 8) {
	case 0:
		return NULL;
	case 1:
		return unmapped + next(f) % 4096;
	case 2:
		return (void *)(uintptr_t)(sizeof(void *) == 8 ? 0xffff888000000000ULL : 0xc0000000UL);
	case 3:
		return f->buf + 1 + next(f) % 7;	/* misaligned */
	case 4:
		return (void *)(uintptr_t)next(f);	/* anything */
	default:
		return f->buf;
	}
}

static size_t pick_len(struct fuzzer *f)
{
	uint64_t r = next(f) % 1000;

	if (r < 900)
		return next(f) % 256;
	if (r < 990)
		return next(f) % 65536;
	if (r < 998)
		return next(f) % (BIG + 2);
	return (size_t)next(f);		/* huge */
}

static const unsigned long known_cmds[] = {
	CMISC_IOC_FAIL, CMISC_IOC_HELLO, CMISC_IOC_GET_VALUE, CMISC_IOC_SET_VALUE,
	CMISC_IOC_WRITE_BUF, CMISC_IOC_READ_BUF,
};

static int errno_allowed(int e)
{
	return e == EFAULT || e == EINVAL || e == ENOTTY || e == EFBIG ||
	       e == ENOSPC || e == ENOMEM;
}

static void one_op(struct fuzzer *f)
{
	int fd = next(f) % 2 ? shared_fd : f->own_fd;
	struct cmisc_buf arg;
	unsigned long cmd;
	long ret = 0;
	const char *name;

	switch (next(f) % 6) {
	case 0:
	case 1:
		cmd = next(f) % 8 ? known_cmds[next(f) % 6] : (unsigned long)(uint32_t)next(f);
		name = "ioctl";
		if ((cmd == CMISC_IOC_WRITE_BUF || cmd == CMISC_IOC_READ_BUF) && next(f) % 4) {
			arg.ptr = (uintptr_t)pick_ptr(f);
			arg.len = pick_len(f);
			ret = ioctl(fd, cmd, &arg);
		} else {
			ret = ioctl(fd, cmd, pick_ptr(f));
		}
		break;
	case 2:
		name = "write";
		ret = write(fd, pick_ptr(f), pick_len(f) % (BIG + 2));
		break;
	case 3:
		name = "read";
		ret = read(fd, pick_ptr(f), pick_len(f) % (BIG + 2));
		break;
	case 4:
		name = "pread";
		ret = pread(fd, f->buf, next(f) % 512, next(f) % 2048);
		break;
	default:
		name = "lseek";
		ret = lseek(fd, (off_t)(next(f) % 4 ? next(f) % 4096 : next(f)), next(f) % 6);
		break;
	}
	if (ret < 0 && !errno_allowed(errno) && !f->errors++)
		snprintf(f->what, sizeof(f->what), "%s: unexpected errno %d (%s)",
			 name, errno, strerror(errno));
}

static void *run(void *arg)
{
	struct fuzzer *f = arg;
	uint64_t i, n = total_ops / FUZZ_THREADS;

	for (i = 0; i < n; i++)
		one_op(f);
	f->ops = n;
	return NULL;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* A million operations under KASAN and TCG need minutes, not 30 s. */
TEST_F_TIMEOUT(fuzz, syscall_surface, 600)
{
	static struct fuzzer fz[FUZZ_THREADS];
	pthread_t th[FUZZ_THREADS];
	const char *env = getenv("CMISC_FUZZ_SEED");
	struct timespec t0, t1;
	uint64_t ops = 0;
	int i;

	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	if (getenv("CMISC_FUZZ_OPS"))
		total_ops = strtoull(getenv("CMISC_FUZZ_OPS"), NULL, 0);
	ksft_print_msg("fuzz: seed %" PRIu64 " (replay with CMISC_FUZZ_SEED=%" PRIu64 ")\n",
		       seed, seed);
	fflush(stdout);
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(unmapped != MAP_FAILED);
	shared_fd = open(DEV, O_RDWR);
	ASSERT_LE(0, shared_fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < FUZZ_THREADS; i++) {
		fz[i].rng = seed * 2654435761ULL + i + 1;
		fz[i].own_fd = open(DEV, O_RDWR);
		ASSERT_LE(0, fz[i].own_fd);
		ASSERT_EQ(0, pthread_create(&th[i], NULL, run, &fz[i]));
	}
	for (i = 0; i < FUZZ_THREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0U, fz[i].errors) TH_LOG("thread %d: %s", i, fz[i].what);
		ops += fz[i].ops;
		close(fz[i].own_fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(shared_fd);
	ksft_print_msg("fuzz: %" PRIu64 " operations from %d threads in %.1f s, seed %" PRIu64 "\n",
		       ops, FUZZ_THREADS,
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, seed);
	fflush(stdout);
	EXPECT_EQ(total_ops / FUZZ_THREADS * FUZZ_THREADS, ops);
}

CMISC_TEST_MAIN
