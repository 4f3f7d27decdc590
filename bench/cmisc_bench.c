// SPDX-License-Identifier: GPL-2.0
/*
 * cmisc-bench: the driver's cost beside the kernel's cheapest paths,
 * measured side by side in one run on one kernel. Every figure is the
 * median of REPS repetitions, with min and max. Prints a table on stdout
 * and writes JSON to the path given with --json.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/cmisc.h"

#define REPS 5

struct stat3 {
	double med, min, max;
};

static FILE *json;
static int first_json = 1;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct stat3 summarize(double *v)
{
	qsort(v, REPS, sizeof(*v), cmp_double);
	return (struct stat3){ v[REPS / 2], v[0], v[REPS - 1] };
}

static void emit(const char *group, const char *name, const char *unit, struct stat3 s,
		 const char *vs, double ratio)
{
	printf("  %-34s %12.1f %-5s [%9.1f .. %9.1f]", name, s.med, unit, s.min, s.max);
	if (vs)
		printf("  %5.2fx %s", ratio, vs);
	printf("\n");
	if (!json)
		return;
	fprintf(json, "%s\n    {\"group\": \"%s\", \"name\": \"%s\", \"unit\": \"%s\", "
		"\"median\": %.2f, \"min\": %.2f, \"max\": %.2f",
		first_json ? "" : ",", group, name, unit, s.med, s.min, s.max);
	if (vs)
		fprintf(json, ", \"vs\": \"%s\", \"ratio\": %.3f", vs, ratio);
	fprintf(json, "}");
	first_json = 0;
}

/* ------------------------------------------------------------ latency */

enum lat_op { LAT_HELLO, LAT_GET, LAT_SET, LAT_NULL_IOCTL, LAT_GETPPID };

static long lat_iters = 200000;

static double lat_once(enum lat_op op, int fd)
{
	int32_t v = 1;
	double t0 = now();
	long i;

	for (i = 0; i < lat_iters; i++) {
		switch (op) {
		case LAT_HELLO:
		case LAT_NULL_IOCTL:
			ioctl(fd, CMISC_IOC_HELLO, 0);
			break;
		case LAT_GET:
			ioctl(fd, CMISC_IOC_GET_VALUE, &v);
			break;
		case LAT_SET:
			ioctl(fd, CMISC_IOC_SET_VALUE, &v);
			break;
		case LAT_GETPPID:
			getppid();
			break;
		}
	}
	return (now() - t0) * 1e9 / lat_iters;
}

static struct stat3 latency(enum lat_op op, int fd)
{
	double v[REPS];
	int r;

	lat_once(op, fd);	/* warm up */
	for (r = 0; r < REPS; r++)
		v[r] = lat_once(op, fd);
	return summarize(v);
}

static int set_dyndbg(const char *cmd)
{
	int fd = open("/sys/kernel/debug/dynamic_debug/control", O_WRONLY);
	int ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd);
	close(fd);
	return ok ? 0 : -EIO;
}

static void bench_latency(const char *dev)
{
	int fd = cmisc_open(dev, O_RDWR), null = open("/dev/null", O_RDWR);
	struct stat3 hello, get, set, nul, ppid, dbg;

	if (fd < 0 || null < 0) {
		fprintf(stderr, "cmisc-bench: open: %s\n", strerror(fd < 0 ? -fd : errno));
		exit(1);
	}
	printf("ioctl latency (ns/op, median of %d x %ld calls) [min .. max]\n", REPS, lat_iters);
	nul = latency(LAT_NULL_IOCTL, null);
	ppid = latency(LAT_GETPPID, fd);
	hello = latency(LAT_HELLO, fd);
	get = latency(LAT_GET, fd);
	set = latency(LAT_SET, fd);
	emit("latency", "getppid", "ns", ppid, NULL, 0);
	emit("latency", "ioctl(/dev/null) ENOTTY", "ns", nul, NULL, 0);
	emit("latency", "HELLO", "ns", hello, "/dev/null ioctl", hello.med / nul.med);
	emit("latency", "HELLO vs getppid", "ns", hello, "getppid", hello.med / ppid.med);
	emit("latency", "GET_VALUE", "ns", get, "/dev/null ioctl", get.med / nul.med);
	emit("latency", "SET_VALUE", "ns", set, "/dev/null ioctl", set.med / nul.med);
	if (set_dyndbg("module cmisc +p") == 0) {
		dbg = latency(LAT_HELLO, fd);
		set_dyndbg("module cmisc -p");
		emit("latency", "HELLO with dynamic debug on", "ns", dbg, "HELLO, debug off",
		     dbg.med / hello.med);
	} else {
		printf("  (dynamic debug control not available: logging cost not measured)\n");
	}
	close(fd);
	close(null);
}

/* --------------------------------------------------------- throughput */

enum io_kind { IO_WRITE, IO_READ };

static double io_once(int fd, enum io_kind kind, char *buf, size_t size, long iters)
{
	double t0 = now();
	long i;

	for (i = 0; i < iters; i++) {
		ssize_t n = kind == IO_WRITE ? pwrite(fd, buf, size, 0) : pread(fd, buf, size, 0);

		if (n != (ssize_t)size) {
			fprintf(stderr, "cmisc-bench: %s of %zu returned %zd (%s)\n",
				kind == IO_WRITE ? "write" : "read", size, n, strerror(errno));
			exit(1);
		}
	}
	return (double)size * iters / (now() - t0) / 1e6;
}

static struct stat3 io(int fd, enum io_kind kind, char *buf, size_t size)
{
	long iters = size >= (1 << 20) ? 40 : size >= 65536 ? 400 : 20000;
	double v[REPS];
	int r;

	io_once(fd, kind, buf, size, iters / 4 + 1);
	for (r = 0; r < REPS; r++)
		v[r] = io_once(fd, kind, buf, size, iters);
	return summarize(v);
}

/* One throughput row; @tmpfs, if given, is the baseline for the ratio. */
static void emit_io(const char *op, size_t size, const char *target, struct stat3 s,
		    const struct stat3 *tmpfs)
{
	char name[64], vs[32];

	snprintf(name, sizeof(name), "%s %zu B: %s", op, size, target);
	snprintf(vs, sizeof(vs), "tmpfs %s", op);
	emit("throughput", name, "MB/s", s, tmpfs ? vs : NULL, tmpfs ? s.med / tmpfs->med : 0);
}

static void bench_throughput(const char *dev)
{
	static const size_t sizes[] = { 64, 4096, 65536, 1 << 20 };
	char *buf = malloc(1 << 20);
	int fd = cmisc_open(dev, O_RDWR);
	int tmp = open("/tmp/cmisc-bench", O_RDWR | O_CREAT | O_TRUNC, 0600);
	int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
	size_t i;

	if (!buf || fd < 0 || tmp < 0 || zero < 0 || null < 0) {
		fprintf(stderr, "cmisc-bench: setup for throughput failed\n");
		exit(1);
	}
	memset(buf, 'x', 1 << 20);
	printf("\nread/write throughput (MB/s, median of %d) [min .. max]\n", REPS);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t sz = sizes[i];
		struct stat3 w, r, tw, tr, z, n;

		w = io(fd, IO_WRITE, buf, sz);
		r = io(fd, IO_READ, buf, sz);	/* reads back what the last write left */
		if (pwrite(tmp, buf, sz, 0) != (ssize_t)sz || ftruncate(tmp, sz))
			exit(1);
		tw = io(tmp, IO_WRITE, buf, sz);
		tr = io(tmp, IO_READ, buf, sz);
		z = io(zero, IO_READ, buf, sz);
		n = io(null, IO_WRITE, buf, sz);
		emit_io("write", sz, "cmisc", w, &tw);
		emit_io("write", sz, "tmpfs", tw, NULL);
		emit_io("write", sz, "/dev/null", n, NULL);
		emit_io("read", sz, "cmisc", r, &tr);
		emit_io("read", sz, "tmpfs", tr, NULL);
		emit_io("read", sz, "/dev/zero", z, NULL);
	}
	close(fd);
	close(tmp);
	unlink("/tmp/cmisc-bench");
	free(buf);
}

/* ------------------------------------------------------------ scaling */

struct scaler {
	int fd;
	double end;
	long ops;
};

static void *get_loop(void *arg)
{
	struct scaler *s = arg;
	int32_t v;

	while (now() < s->end) {
		int i;

		for (i = 0; i < 1000; i++)
			ioctl(s->fd, CMISC_IOC_GET_VALUE, &v);
		s->ops += 1000;
	}
	return NULL;
}

static void bench_scaling(const char *dev)
{
	static const int counts[] = { 1, 2, 4, 8 };
	struct scaler s[8];
	pthread_t th[8];
	double base = 0, v[REPS];
	char name[64];
	size_t c;
	int r, i;

	printf("\nscaling: GET_VALUE, each thread on its own fd (ops/s, %ld online CPUs)\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		struct stat3 st;

		for (r = 0; r < REPS; r++) {
			double t0 = now(), total = 0;

			for (i = 0; i < counts[c]; i++) {
				s[i] = (struct scaler){ .fd = cmisc_open(dev, O_RDWR), .end = t0 + 0.3 };
				pthread_create(&th[i], NULL, get_loop, &s[i]);
			}
			for (i = 0; i < counts[c]; i++) {
				pthread_join(th[i], NULL);
				total += s[i].ops;
				close(s[i].fd);
			}
			v[r] = total / (now() - t0);
		}
		st = summarize(v);
		if (c == 0)
			base = st.med;
		snprintf(name, sizeof(name), "%d thread%s", counts[c], counts[c] > 1 ? "s" : "");
		emit("scaling", name, "op/s", st, "1 thread", st.med / base);
	}
}

int main(int argc, char **argv)
{
	const char *dev = CMISC_DEFAULT_PATH;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = fopen(argv[++i], "w");
		} else if (!strcmp(argv[i], "--quick")) {
			lat_iters = 20000;
		} else {
			fprintf(stderr, "usage: cmisc-bench [--json FILE] [--quick]\n");
			return 2;
		}
	}
	if (json)
		fprintf(json, "{\n  \"results\": [");
	bench_latency(dev);
	bench_throughput(dev);
	bench_scaling(dev);
	if (json) {
		fprintf(json, "\n  ]\n}\n");
		fclose(json);
	}
	return 0;
}
