// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency: threads hammering one shared open file, threads on their own
 * files, and processes opening and closing in a loop. On the shared file the
 * position invariants hold whatever the interleaving: lseek(fd, 0, SEEK_CUR)
 * never fails and a read returns data or 0, never an error. Each test is bounded
 * in time (STRESS_SECONDS) rather than in luck.
 *
 * Each load runs twice: with the calls upstream's driver has too (read,
 * write, pread, pwrite, GET/SET_VALUE), and with cmisc's READ_BUF, lseek
 * and HELLO's 100 in their place, in the tests named for them.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

#define THREADS 4
#define STRESS_SECONDS 4
#define BASE_LEN 100	/* thread t writes (t + 1) * BASE_LEN + (k % 50) bytes of t + 1 */

struct worker {
	int fd;
	int id;
	int shared;
	int cmisc_calls;	/* READ_BUF and lseek, not pread and read */
	long ops;
	int error;	/* first inconsistency seen, 0 if none */
	char what[128];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bad(struct worker *w, const char *what, long a, long b)
{
	if (!w->error) {
		w->error = 1;
		snprintf(w->what, sizeof(w->what), "thread %d: %s (%ld, %ld)", w->id, what, a, b);
	}
	return -1;
}

/* A buffer is whole if it is one writer's: all bytes b, length fits b. */
static int check_snapshot(struct worker *w, const unsigned char *p, ssize_t n, int slice)
{
	ssize_t i;

	if (n < 0)
		return bad(w, "read failed", n, 0);
	if (n == 0)
		return 0;
	if (p[0] < 1 || p[0] > THREADS)
		return bad(w, "byte from no writer", p[0], n);
	for (i = 1; i < n; i++)
		if (p[i] != p[0])
			return bad(w, "torn buffer", p[0], p[i]);
	if (!slice && (n < p[0] * BASE_LEN || n >= p[0] * BASE_LEN + 50))
		return bad(w, "length from no writer", p[0], n);
	return 0;
}

static void *hammer(void *arg)
{
	struct worker *w = arg;
	unsigned char buf[THREADS * BASE_LEN + 64], out[sizeof(buf)];
	double end = now() + STRESS_SECONDS;
	size_t last_len = 0;
	int32_t v;
	long k;

	memset(buf, w->id + 1, sizeof(buf));
	for (k = 0; now() < end && !w->error; k++) {
		size_t len = (w->id + 1) * BASE_LEN + k % 50;
		int32_t mine = (w->id << 24) | (int32_t)(k & 0xffffff);
		ssize_t n;

		switch (k % 8) {
		case 0:
			if (cmisc_set_value(w->fd, mine))
				bad(w, "set failed", k, 0);
			break;
		case 1:
			if (cmisc_get_value(w->fd, &v))
				bad(w, "get failed", k, 0);
			else if (!w->shared && v != ((w->id << 24) | (int32_t)((k - 1) & 0xffffff)))
				bad(w, "own value lost", v, k);
			else if (v != 0 && ((v >> 24) >= THREADS || (v & 0xffffff) > k + 1000000))
				bad(w, "value nobody set", v, k);
			break;
		case 2:
			if (cmisc_write(w->fd, buf, len) != (ssize_t)len)
				bad(w, "write failed", k, len);
			last_len = len;
			break;
		case 3:
			/* The whole buffer, from its start. */
			if (w->cmisc_calls)
				n = cmisc_read_buf(w->fd, out, sizeof(out));
			else
				n = pread(w->fd, out, sizeof(out), 0);
			check_snapshot(w, out, n, 0);
			if (!w->shared && n != (ssize_t)last_len)
				bad(w, "own buffer length", n, last_len);
			break;
		case 4:
			if (!w->cmisc_calls) {
				n = pread(w->fd, out, 64, k % 500);
				check_snapshot(w, out, n, 1);
			} else if (cmisc_seek(w->fd, 0, SEEK_SET) < 0) {
				bad(w, "seek failed", k, 0);
			}
			break;
		case 5:
			n = cmisc_read(w->fd, out, 64);
			check_snapshot(w, out, n, 1);
			break;
		case 6:
			/* Replaces the buffer, moves no position: others' may now be past the end. */
			n = pwrite(w->fd, buf, len, k % 1000);
			if (n != (ssize_t)len)
				bad(w, "pwrite failed", n, len);
			last_len = len;
			break;
		case 7:
			if (!w->cmisc_calls) {
				n = cmisc_read(w->fd, out, 64);
				check_snapshot(w, out, n, 1);
				break;
			}
			/* Whatever the interleaving, "where am I?" answers. */
			n = lseek(w->fd, 0, SEEK_CUR);
			if (n < 0)
				bad(w, "lseek(0, SEEK_CUR) failed", n, errno);
			break;
		}
	}
	w->ops = k;
	return NULL;
}

static void run_workers(struct __test_metadata *_metadata, int shared, int cmisc_calls)
{
	struct worker w[THREADS];
	pthread_t th[THREADS];
	long total = 0;
	int i, fd = -1;

	if (shared) {
		fd = open(DEV, O_RDWR);
		ASSERT_LE(0, fd);
	}
	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].shared = shared;
		w[i].cmisc_calls = cmisc_calls;
		w[i].fd = shared ? fd : open(DEV, O_RDWR);
		ASSERT_LE(0, w[i].fd);
		ASSERT_EQ(0, pthread_create(&th[i], NULL, hammer, &w[i]));
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, w[i].error) TH_LOG("%s", w[i].what);
		total += w[i].ops;
		if (!shared)
			close(w[i].fd);
	}
	if (shared)
		close(fd);
	ksft_print_msg("%d threads, %ld operations in %d s\n", THREADS, total, STRESS_SECONDS);
	fflush(stdout);
	EXPECT_LT(THREADS * 100, total);
}

TEST(threads_share_one_fd)
{
	run_workers(_metadata, 1, 0);
}

TEST(threads_share_one_fd_through_read_buf_and_lseek)
{
	run_workers(_metadata, 1, 1);
}

TEST(threads_on_their_own_fds)
{
	run_workers(_metadata, 0, 0);
}

TEST(threads_on_their_own_fds_through_read_buf_and_lseek)
{
	run_workers(_metadata, 0, 1);
}

/*
 * One process's loop: open, then HELLO answers 100 (@hello) or a value set
 * is read back, a write and a read of one byte, close. 0 if all went well.
 */
static int open_and_close_in_a_loop(int hello)
{
	double end = now() + STRESS_SECONDS;
	int32_t v, mine = getpid();
	char b[16];

	while (now() < end) {
		int fd = open(DEV, O_RDWR);

		if (fd < 0)
			return 1;
		if (hello ? ioctl(fd, CMISC_IOC_HELLO, 0) != CMISC_HELLO_VALUE :
			    cmisc_set_value(fd, mine) || cmisc_get_value(fd, &v) || v != mine)
			return 1;
		if (write(fd, "x", 1) != 1 || read(fd, b, sizeof(b)) != 1)
			return 1;
		close(fd);
	}
	return 0;
}

static void run_processes(struct __test_metadata *_metadata, int hello)
{
	pid_t pids[8];
	int i, status, failures = 0;

	for (i = 0; i < 8; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(open_and_close_in_a_loop(hello));
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		failures += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	EXPECT_EQ(0, failures);
}

TEST(processes_open_and_close_in_a_loop)
{
	run_processes(_metadata, 0);
}

TEST(hello_returns_100_while_processes_open_and_close_in_a_loop)
{
	run_processes(_metadata, 1);
}

TEST(many_open_files_keep_their_own_buffers)
{
	int fds[256], i;

	for (i = 0; i < 256; i++) {
		fds[i] = open(DEV, O_RDWR);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(4096, cmisc_write(fds[i], memset((char[4096]){ 0 }, i, 4096), 4096));
	}
	for (i = 0; i < 256; i++) {
		unsigned char c = 0;

		ASSERT_EQ(1, pread(fds[i], &c, 1, 4095));
		EXPECT_EQ((unsigned char)i, c);
		close(fds[i]);
	}
}

CMISC_TEST_MAIN
