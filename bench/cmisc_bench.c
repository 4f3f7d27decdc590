// SPDX-License-Identifier: GPL-2.0
/*
 * cmisc-bench: the driver's cost beside the kernel's cheapest paths,
 * measured side by side in one boot on one kernel.
 *
 * usage: cmisc-bench [--clock icount|wall] [--driver cmisc|upstream]
 *                    [--device PATH] [--json FILE] [--quick]
 *
 * --clock icount: the guest runs under QEMU's -icount shift=0,sleep=off, so
 *	a CLOCK_MONOTONIC nanosecond is one guest instruction and every
 *	figure is an instruction count, the same from one boot to the next.
 *	Everything runs on one thread, pinned to one CPU; the thread-scaling
 *	rows are skipped (icount runs every vCPU on one host thread).
 * --clock wall: figures are nanoseconds; the thread-scaling rows and, for
 *	cmisc, the dynamic-debug row are added.
 * --driver upstream: the node is upstream's samples/rust/rust_misc_device:
 *	HELLO returns 0, there are no targets, and the driver's dev_info line
 *	on every call is part of what is measured.
 *
 * Defaults come from LAB_BENCH_CLOCK and LAB_DRIVER, else wall and cmisc.
 * Every figure is the median of REPS repetitions of a fixed number of calls
 * (after a fixed number of warm-up calls), with min and max. Nothing is
 * printed while measuring: the table, the notes and the summary line
 * "bench: N rows, N targets met, N missed" come at the end, on stdout, and
 * the rows go to --json FILE as an array of objects. Missed targets are
 * reported, not enforced: the exit status is 0 unless a call failed (1) or
 * the usage was wrong (2).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/cmisc.h"

#define REPS		5
#define MAX_ROWS	64
#define MAX_NOTES	16
#define TMPFS_MAGIC_	0x01021994
#define SIZE_1M		(1 << 20)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#ifndef DYNDBG_CONTROL
#define DYNDBG_CONTROL	"/sys/kernel/debug/dynamic_debug/control"
#endif

enum clock_mode { CLK_WALL, CLK_ICOUNT };
enum driver { DRV_CMISC, DRV_UPSTREAM };

static const char *const clock_names[] = { "wall", "icount" };
static const char *const driver_names[] = { "cmisc", "upstream" };

static enum clock_mode clk;
static enum driver drv;
static int quick;

/* One call of one row: a system call on one descriptor. */
enum op_kind { OP_GETPPID, OP_IOCTL, OP_WRITE, OP_WRITE_TWO, OP_PWRITE, OP_PREAD };

struct op {
	enum op_kind kind;
	int fd;
	unsigned long cmd;	/* OP_IOCTL */
	void *arg;		/* OP_IOCTL */
	long expect;		/* OP_IOCTL: the return value every call must give */
	int expect_errno;	/* OP_IOCTL: if expect is -1 */
	void *buf;		/* OP_WRITE, OP_WRITE_TWO, OP_PWRITE, OP_PREAD */
	size_t len;
	size_t len2;		/* OP_WRITE_TWO: len2 bytes, then len, in turn */
};

struct row {
	char name[32];
	const char *group;	/* "syscall", "io" or "scaling" */
	char what[64];		/* one call, for the notes */
	size_t bytes;		/* per call; 0 for a row without data */
	int threads;
	long iters;
	int err;		/* errno of a failed call: the row was not measured */
	double med, min, max;	/* per call, in the run's unit */
	const char *baseline;	/* a row name, or NULL */
	double ratio;		/* med / baseline's med, rounded to 3 decimals */
	int has_ratio;
	double limit;		/* target: ratio <= limit; 0 if none */
	const char *target;	/* e.g. "<= 1.08x /dev/null ioctl" */
	int met;
};

static struct row rows[MAX_ROWS];
static int nrows;
static char notes[MAX_NOTES][256];
static int nnotes;
static char kernel[65];
/* OP_WRITE_TWO: calls made since the row began (measure() resets it). */
static unsigned long turn;

__printf(1, 2)
static void note(const char *fmt, ...)
{
	va_list ap;

	if (nnotes == MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(notes[nnotes++], sizeof(notes[0]), fmt, ap);
	va_end(ap);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "cmisc-bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Run @iters calls of @o; 0, or the errno of the first call that failed. */
static int run_op(const struct op *o, long iters)
{
	long i, r = 0;

	for (i = 0; i < iters; i++) {
		size_t want = o->len;

		switch (o->kind) {
		case OP_GETPPID:
			getppid();
			continue;
		case OP_IOCTL:
			r = ioctl(o->fd, o->cmd, o->arg);
			if (r != o->expect)
				return r < 0 ? errno : EPROTO;
			if (r == -1 && errno != o->expect_errno)
				return errno;
			continue;
		case OP_WRITE:
			r = write(o->fd, o->buf, o->len);
			break;
		case OP_WRITE_TWO:
			/* Every call changes the length: see bench_new_buffer(). */
			want = turn++ % 2 ? o->len : o->len2;
			r = write(o->fd, o->buf, want);
			break;
		case OP_PWRITE:
			r = pwrite(o->fd, o->buf, o->len, 0);
			break;
		case OP_PREAD:
			r = pread(o->fd, o->buf, o->len, 0);
			break;
		}
		if (r != (ssize_t)want)
			return r < 0 ? errno : EIO;
	}
	return 0;
}

static struct row *new_row(const char *name, const char *group, const char *what)
{
	struct row *row;

	if (nrows == MAX_ROWS) {
		fprintf(stderr, "cmisc-bench: more than %d rows\n", MAX_ROWS);
		exit(1);
	}
	row = &rows[nrows++];
	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s", name);
	snprintf(row->what, sizeof(row->what), "%s", what);
	row->group = group;
	row->threads = 1;
	return row;
}

static void summarize(struct row *row, double *v)
{
	qsort(v, REPS, sizeof(*v), cmp_double);
	row->med = v[REPS / 2];
	row->min = v[0];
	row->max = v[REPS - 1];
}

/* Measure one row: a fixed warm-up, then REPS timed runs of @iters calls. */
static struct row *measure(const char *name, const char *group, const char *what,
			   const struct op *o, long iters)
{
	struct row *row = new_row(name, group, what);
	double v[REPS];
	int r;

	row->iters = iters;
	row->bytes = o->kind == OP_GETPPID || o->kind == OP_IOCTL ? 0 : o->len;
	if (o->kind == OP_WRITE_TWO)
		row->bytes = (o->len + o->len2) / 2;
	turn = 0;
	row->err = run_op(o, iters / 4 + 1);
	for (r = 0; r < REPS && !row->err; r++) {
		int64_t t0 = now_ns();

		row->err = run_op(o, iters);
		v[r] = (double)(now_ns() - t0) / iters;
	}
	if (!row->err)
		summarize(row, v);
	return row;
}

static long scaled(long wall, long icount)
{
	long n = clk == CLK_ICOUNT ? icount : wall;

	return quick ? n / 10 + 1 : n;
}

/* ----------------------------------------------------- syscall rows */

static int set_dyndbg(const char *cmd)
{
	int fd = open(DYNDBG_CONTROL, O_WRONLY);
	int ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd);
	close(fd);
	return ok ? 0 : -EIO;
}

static void bench_syscalls(int dev, int null)
{
	long iters = scaled(200000, 50000);
	long hello = drv == DRV_CMISC ? CMISC_HELLO_VALUE : 0;
	int32_t get = 0, set = 42;
	struct op o;

	o = (struct op){ .kind = OP_GETPPID };
	measure("getppid", "syscall", "getppid()", &o, iters);
	o = (struct op){ .kind = OP_IOCTL, .fd = null, .cmd = CMISC_IOC_HELLO,
			 .expect = -1, .expect_errno = ENOTTY };
	measure("devnull_ioctl", "syscall", "ioctl(/dev/null, HELLO) = -ENOTTY", &o, iters);
	o = (struct op){ .kind = OP_IOCTL, .fd = dev, .cmd = CMISC_IOC_HELLO, .expect = hello };
	measure("hello", "syscall", "ioctl(dev, HELLO)", &o, iters);
	o = (struct op){ .kind = OP_IOCTL, .fd = dev, .cmd = CMISC_IOC_GET_VALUE, .arg = &get };
	measure("get_value", "syscall", "ioctl(dev, GET_VALUE, &v)", &o, iters);
	o = (struct op){ .kind = OP_IOCTL, .fd = dev, .cmd = CMISC_IOC_SET_VALUE, .arg = &set };
	measure("set_value", "syscall", "ioctl(dev, SET_VALUE, &v)", &o, iters);

	if (drv != DRV_CMISC || clk != CLK_WALL)
		return;
	/* The cost of cmisc's dev_dbg lines when they are switched on. */
	if (set_dyndbg("module cmisc +p") == 0) {
		o = (struct op){ .kind = OP_IOCTL, .fd = dev, .cmd = CMISC_IOC_HELLO,
				 .expect = hello };
		measure("hello_dyndbg", "syscall", "ioctl(dev, HELLO), dynamic debug on", &o,
			iters / 10 + 1);
		set_dyndbg("module cmisc -p");
	} else {
		note("dynamic debug control not available: hello_dyndbg not measured");
	}
}

/* --------------------------------------------------------- I/O rows */

static const char *size_tag(size_t size)
{
	return size == SIZE_1M ? "1m" : size == 65536 ? "64k" : "4k";
}

/*
 * write(2) of @sz and of @sz - 4 KiB in turn, so that every call allocates.
 * cmisc replaces the buffer through the file's spare, reused only when it
 * has the new length, and keeps the old buffer as the next spare only when
 * that has the new buffer's length (cmisc_data_reserve() and
 * cmisc_data_settle()): with the length changing on every call, each write
 * kvmalloc()s its buffer and kvfree()s the one it replaces, where write_<sz>
 * reuses the spare and allocates nothing. The first call is already a new
 * length (the device holds @sz bytes from the rows before). Both lengths
 * round up to the same power of two of pages, so every kvmalloc() asks the
 * page allocator for the same order, where memory pressure tells.
 */
static void bench_new_buffer(int dev, char *buf, size_t sz, long iters)
{
	const char *tag = size_tag(sz);
	char name[32], what[64];
	struct op o;

	o = (struct op){ .kind = OP_WRITE_TWO, .fd = dev, .buf = buf, .len = sz,
			 .len2 = sz - 4096 };
	snprintf(name, sizeof(name), "write_%s_new_buffer", tag);
	snprintf(what, sizeof(what), "write(dev, %d or %d B in turn): a new buffer",
		 (int)(sz - 4096), (int)sz);
	measure(name, "io", what, &o, iters);
}

static void bench_io(int dev, int tmp, int zero, int null, char *buf)
{
	static const size_t sizes[] = { 4096, 65536, SIZE_1M };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t sz = sizes[i];
		long iters = sz == SIZE_1M ? scaled(40, 16) :
			     sz == 65536 ? scaled(400, 256) : scaled(20000, 4096);
		const char *tag = size_tag(sz);
		char name[32], what[64];
		struct op o;

		/* The tmpfs file holds exactly sz bytes, as the driver will. */
		if (ftruncate(tmp, 0) || pwrite(tmp, buf, sz, 0) != (ssize_t)sz)
			die("tmpfs file", errno);

		o = (struct op){ .kind = OP_PWRITE, .fd = tmp, .buf = buf, .len = sz };
		snprintf(name, sizeof(name), "tmpfs_write_%s", tag);
		snprintf(what, sizeof(what), "pwrite(tmpfs file of %zu B, %zu B, 0)", sz, sz);
		measure(name, "io", what, &o, iters);
		o = (struct op){ .kind = OP_WRITE, .fd = null, .buf = buf, .len = sz };
		snprintf(name, sizeof(name), "devnull_write_%s", tag);
		snprintf(what, sizeof(what), "write(/dev/null, %zu B)", sz);
		measure(name, "io", what, &o, iters);
		o = (struct op){ .kind = OP_WRITE, .fd = dev, .buf = buf, .len = sz };
		snprintf(name, sizeof(name), "write_%s", tag);
		snprintf(what, sizeof(what), "write(dev, %zu B): replaces the buffer", sz);
		measure(name, "io", what, &o, iters);

		o = (struct op){ .kind = OP_PREAD, .fd = tmp, .buf = buf, .len = sz };
		snprintf(name, sizeof(name), "tmpfs_read_%s", tag);
		snprintf(what, sizeof(what), "pread(tmpfs file, %zu B, 0)", sz);
		measure(name, "io", what, &o, iters);
		o = (struct op){ .kind = OP_PREAD, .fd = zero, .buf = buf, .len = sz };
		snprintf(name, sizeof(name), "devzero_read_%s", tag);
		snprintf(what, sizeof(what), "pread(/dev/zero, %zu B, 0)", sz);
		measure(name, "io", what, &o, iters);
		/* Reads back what the last write left: exactly sz bytes. */
		o = (struct op){ .kind = OP_PREAD, .fd = dev, .buf = buf, .len = sz };
		snprintf(name, sizeof(name), "read_%s", tag);
		snprintf(what, sizeof(what), "pread(dev, %zu B, 0)", sz);
		measure(name, "io", what, &o, iters);
		if (sz > 4096)
			bench_new_buffer(dev, buf, sz, iters);
	}
}

/* ----------------------------------------------------- scaling (wall) */

struct scaler {
	int fd;
	long iters;
	int err;
	pthread_barrier_t *start;
};

static void *get_loop(void *arg)
{
	struct scaler *s = arg;
	int32_t v;
	struct op o = { .kind = OP_IOCTL, .fd = s->fd, .cmd = CMISC_IOC_GET_VALUE, .arg = &v };

	pthread_barrier_wait(s->start);
	s->err = run_op(&o, s->iters);
	return NULL;
}

/* Aggregate wall ns per GET_VALUE with N threads, each on its own fd. */
static void bench_scaling(const char *path)
{
	static const int counts[] = { 1, 2, 4, 8 };
	long iters = quick ? 10000 : 100000;
	struct scaler s[8];
	pthread_t th[8];
	size_t c;
	int r, i;

	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		int n = counts[c];
		char name[32], what[64];
		struct row *row;
		double v[REPS];

		snprintf(name, sizeof(name), "get_value_%dt", n);
		snprintf(what, sizeof(what), "%d thread%s x %ld GET_VALUE, own fds, wall time",
			 n, n > 1 ? "s" : "", iters);
		row = new_row(name, "scaling", what);
		row->threads = n;
		row->iters = iters * n;
		for (r = 0; r < REPS && !row->err; r++) {
			pthread_barrier_t start;
			int64_t t0;

			pthread_barrier_init(&start, NULL, n + 1);
			for (i = 0; i < n; i++) {
				s[i] = (struct scaler){ .fd = cmisc_open(path, O_RDWR),
							.iters = iters, .start = &start };
				if (s[i].fd < 0)
					die(path, -s[i].fd);
				if (pthread_create(&th[i], NULL, get_loop, &s[i]))
					die("pthread_create", EAGAIN);
			}
			pthread_barrier_wait(&start);
			t0 = now_ns();
			for (i = 0; i < n; i++)
				pthread_join(th[i], NULL);
			v[r] = (double)(now_ns() - t0) / (iters * n);
			for (i = 0; i < n; i++) {
				close(s[i].fd);
				if (s[i].err && !row->err)
					row->err = s[i].err;
			}
			pthread_barrier_destroy(&start);
		}
		if (!row->err)
			summarize(row, v);
		if (n > 1)
			row->baseline = "get_value_1t";
	}
}

/* ------------------------------------------------------------ verdict */

static struct row *find_row(const char *name)
{
	int i;

	for (i = 0; i < nrows; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

static void set_baseline(const char *name, const char *baseline, double limit,
			 const char *target)
{
	struct row *row = find_row(name);

	if (!row)
		return;
	row->baseline = baseline;
	if (drv == DRV_CMISC && limit > 0) {
		row->limit = limit;
		row->target = target;
	}
}

/* Baselines, ratios and targets; returns the number of failed rows. */
static int judge(int *met, int *missed)
{
	static const char *const tags[] = { "4k", "64k", "1m" };
	int i, failed = 0;

	set_baseline("hello", "devnull_ioctl", 1.08, "<= 1.08x /dev/null ioctl");
	set_baseline("get_value", "devnull_ioctl", 1.15, "<= 1.15x /dev/null ioctl");
	set_baseline("set_value", "devnull_ioctl", 1.15, "<= 1.15x /dev/null ioctl");
	set_baseline("hello_dyndbg", "hello", 0, NULL);
	for (i = 0; i < 3; i++) {
		char name[32], base[32];
		int target = strcmp(tags[i], "4k") != 0;
		struct row *b;

		snprintf(name, sizeof(name), "write_%s", tags[i]);
		snprintf(base, sizeof(base), "tmpfs_write_%s", tags[i]);
		b = find_row(base);
		set_baseline(name, b ? b->name : NULL, target ? 1.10 : 0, "<= 1.10x tmpfs write");
		snprintf(name, sizeof(name), "read_%s", tags[i]);
		snprintf(base, sizeof(base), "tmpfs_read_%s", tags[i]);
		b = find_row(base);
		set_baseline(name, b ? b->name : NULL, target ? 1.10 : 0, "<= 1.10x tmpfs read");
		/* What allocating costs over reusing the spare: no target. */
		snprintf(name, sizeof(name), "write_%s_new_buffer", tags[i]);
		snprintf(base, sizeof(base), "write_%s", tags[i]);
		b = find_row(base);
		set_baseline(name, b ? b->name : NULL, 0, NULL);
	}

	*met = *missed = 0;
	for (i = 0; i < nrows; i++) {
		struct row *row = &rows[i], *b = row->baseline ? find_row(row->baseline) : NULL;

		if (row->err)
			failed++;
		if (!row->err && b && !b->err && b->med > 0) {
			/* Rounded as printed, so that the verdict is what one reads. */
			row->ratio = (long long)(row->med / b->med * 1000 + 0.5) / 1000.0;
			row->has_ratio = 1;
		}
		if (!row->target)
			continue;
		row->met = row->has_ratio && row->ratio <= row->limit + 0.0000001;
		if (row->met)
			(*met)++;
		else
			(*missed)++;
	}
	return failed;
}

/* ------------------------------------------------------------- output */

static const char *unit_name(void)
{
	return clk == CLK_ICOUNT ? "instructions" : "ns";
}

/* printf() a table line without the padding of its empty last columns. */
__printf(1, 2)
static void print_line(const char *fmt, ...)
{
	char line[256];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	puts(line);
}

static void print_row(const struct row *row)
{
	char range[40] = "", per_byte[16] = "", ratio[48] = "", target[48] = "";

	if (row->err) {
		printf("  %-20s FAILED: %s\n", row->name, strerror(row->err));
		return;
	}
	snprintf(range, sizeof(range), "[%.1f .. %.1f]", row->min, row->max);
	if (row->bytes)
		snprintf(per_byte, sizeof(per_byte), "%.4f", row->med / row->bytes);
	if (row->has_ratio)
		snprintf(ratio, sizeof(ratio), "%.3fx %s", row->ratio, row->baseline);
	if (row->target)
		snprintf(target, sizeof(target), "%s  %s", row->target,
			 row->met ? "met" : "MISSED");
	print_line("  %-20s %12.1f %-26s %9s  %-28s %s", row->name, row->med, range, per_byte,
		   ratio, target);
}

static void print_header(const char *title)
{
	printf("\n%s\n", title);
	print_line("  %-20s %12s %-26s %9s  %-28s %s", "row", "per call", "[min .. max]",
		   "per byte", "vs baseline", drv == DRV_CMISC ? "target" : "");
}

static const char io_title[] =
	"read and write (reads: pread at 0; writes: write() on devices, pwrite at 0 on tmpfs)";
static const char scaling_title[] =
	"thread scaling (wall time: aggregate ns per GET, one fd per thread; 0.50x = 2x the calls)";

static void print_table(int met, int missed, int failed)
{
	const char *group = "";
	int i;

	printf("cmisc-bench: driver %s, kernel %s, clock %s\n", driver_names[drv], kernel,
	       clock_names[clk]);
	if (clk == CLK_ICOUNT)
		printf("  unit: guest instructions per call (%s)\n",
		       "a CLOCK_MONOTONIC ns under QEMU -icount shift=0");
	else
		printf("  unit: ns of wall time per call\n");
	printf("  each figure: median of %d runs of a fixed number of calls (after a fixed\n"
	       "  warm-up), [min .. max] of the %d; per byte = per call / bytes per call\n",
	       REPS, REPS);
	for (i = 0; i < nrows; i++) {
		const struct row *row = &rows[i];

		if (strcmp(row->group, group)) {
			group = row->group;
			if (!strcmp(group, "syscall"))
				print_header("system calls");
			else if (!strcmp(group, "io"))
				print_header(io_title);
			else
				print_header(scaling_title);
		}
		print_row(row);
	}
	printf("\nnotes:\n");
	for (i = 0; i < nnotes; i++)
		printf("  - %s\n", notes[i]);
	if (drv == DRV_CMISC && missed)
		printf("  - %d target%s missed: reported, not enforced (exit status 0)\n", missed,
		       missed > 1 ? "s" : "");
	if (failed)
		printf("  - %d row%s failed: see FAILED above (exit status 1)\n", failed,
		       failed > 1 ? "s" : "");
	printf("bench: %d rows, %d targets met, %d missed\n", nrows - failed, met, missed);
}

static void json_str(FILE *f, const char *key, const char *s)
{
	fprintf(f, ", \"%s\": ", key);
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* One object per measured row, on one line each. */
static int write_json(const char *path)
{
	FILE *f = fopen(path, "w");
	int i, first = 1;

	if (!f)
		return -errno;
	fputs("[", f);
	for (i = 0; i < nrows; i++) {
		const struct row *row = &rows[i];

		if (row->err)
			continue;
		fprintf(f, "%s\n  {\"name\": \"%s\"", first ? "" : ",", row->name);
		first = 0;
		json_str(f, "group", row->group);
		json_str(f, "driver", driver_names[drv]);
		json_str(f, "kernel", kernel);
		json_str(f, "clock", clock_names[clk]);
		json_str(f, "unit", unit_name());
		json_str(f, "op", row->what);
		fprintf(f, ", \"per_op\": %.2f, \"min\": %.2f, \"max\": %.2f",
			row->med, row->min, row->max);
		fprintf(f, ", \"reps\": %d, \"iters\": %ld, \"threads\": %d",
			REPS, row->iters, row->threads);
		if (row->bytes)
			fprintf(f, ", \"bytes\": %zu, \"per_byte\": %.5f", row->bytes,
				row->med / row->bytes);
		else
			fputs(", \"bytes\": null, \"per_byte\": null", f);
		json_str(f, "baseline", row->has_ratio ? row->baseline : NULL);
		if (row->has_ratio)
			fprintf(f, ", \"baseline_ratio\": %.3f", row->ratio);
		else
			fputs(", \"baseline_ratio\": null", f);
		json_str(f, "target", row->target);
		if (row->target)
			fprintf(f, ", \"limit\": %.2f, \"met\": %s", row->limit,
				row->met ? "true" : "false");
		else
			fputs(", \"limit\": null, \"met\": null", f);
		fputs("}", f);
	}
	fputs("\n]\n", f);
	return fclose(f) ? -errno : 0;
}

/* ---------------------------------------------------------------- main */

static int parse_clock(const char *s)
{
	if (!strcmp(s, "icount"))
		clk = CLK_ICOUNT;
	else if (!strcmp(s, "wall"))
		clk = CLK_WALL;
	else
		return -1;
	return 0;
}

static int parse_driver(const char *s)
{
	if (!strcmp(s, "cmisc"))
		drv = DRV_CMISC;
	else if (!strcmp(s, "upstream"))
		drv = DRV_UPSTREAM;
	else
		return -1;
	return 0;
}

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "cmisc-bench: %s\n", why);
	fprintf(stderr, "usage: cmisc-bench [--clock icount|wall] [--driver cmisc|upstream]\n"
		"                   [--device PATH] [--json FILE] [--quick]\n"
		"defaults: $LAB_BENCH_CLOCK, else wall; $LAB_DRIVER, else cmisc\n");
	return 2;
}

/* Under icount the figures are instruction counts: stay on one CPU. */
static void pin_to_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu >= 0)
		CPU_SET(cpu, &set);
	if (cpu < 0 || sched_setaffinity(0, sizeof(set), &set))
		note("could not pin to one CPU (%s): a migration may add to a figure",
		     strerror(errno));
}

int main(int argc, char **argv)
{
	const char *path = CMISC_DEFAULT_PATH, *json = NULL, *env;
	char tmpname[64];
	int dev, null, tmp, zero, hello, i, met, missed, failed;
	struct statfs st;
	struct utsname un;
	char *buf;

	env = getenv("LAB_BENCH_CLOCK");
	if (env && *env && parse_clock(env))
		return usage("LAB_BENCH_CLOCK must be icount or wall");
	env = getenv("LAB_DRIVER");
	if (env && *env && parse_driver(env))
		return usage("LAB_DRIVER must be cmisc or upstream");
	for (i = 1; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--quick")) {
			quick = 1;
			continue;
		}
		if (!val)
			return usage(NULL);
		if (!strcmp(argv[i], "--json"))
			json = val;
		else if (!strcmp(argv[i], "--device"))
			path = val;
		else if (!strcmp(argv[i], "--clock") && !parse_clock(val))
			;
		else if (!strcmp(argv[i], "--driver") && !parse_driver(val))
			;
		else
			return usage(NULL);
		i++;
	}

	snprintf(kernel, sizeof(kernel), "%s", uname(&un) ? "unknown" : un.release);
	dev = cmisc_open(path, O_RDWR);
	if (dev < 0)
		die(path, -dev);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (null < 0 || zero < 0)
		die("/dev/null, /dev/zero", errno);
	snprintf(tmpname, sizeof(tmpname), "/tmp/cmisc-bench.%d", (int)getpid());
	tmp = open(tmpname, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (tmp < 0)
		die(tmpname, errno);
	unlink(tmpname);
	if (fstatfs(tmp, &st) == 0 && st.f_type != TMPFS_MAGIC_)
		note("/tmp is not tmpfs here (f_type %#lx): the tmpfs_* rows are that filesystem's",
		     (unsigned long)st.f_type);
	buf = malloc(SIZE_1M);
	if (!buf)
		die("malloc", ENOMEM);
	memset(buf, 'x', SIZE_1M);

	/* The right driver? cmisc's HELLO returns 100, upstream's 0. */
	hello = ioctl(dev, CMISC_IOC_HELLO, 0);
	if (hello != (drv == DRV_CMISC ? CMISC_HELLO_VALUE : 0)) {
		fprintf(stderr, "cmisc-bench: HELLO on %s: %d (%s), not %d: wrong --driver %s?\n",
			path, hello, hello < 0 ? strerror(errno) : "no error",
			drv == DRV_CMISC ? CMISC_HELLO_VALUE : 0, driver_names[drv]);
		return 1;
	}

	if (clk == CLK_ICOUNT) {
		pin_to_this_cpu();
		note("icount: one thread, pinned to one CPU; %s",
		     "the thread-scaling rows are skipped: QEMU runs every vCPU on one host thread");
	}
	note("devnull_ioctl is HELLO's number on /dev/null (-ENOTTY), the cheapest ioctl; "
	     "the JSON's \"op\" says what one call of each row is");
	note("write_<size>_new_buffer writes <size> and <size> - 4 KiB in turn, so that every "
	     "write allocates a new buffer; its per byte is per mean length");
	if (drv == DRV_UPSTREAM)
		note("upstream's rust_misc_device logs a dev_info line on every call (%s); %s",
		     "two per ioctl", "it is measured as shipped, and has no targets");

	/* Nothing is printed until every row is measured. */
	bench_syscalls(dev, null);
	bench_io(dev, tmp, zero, null, buf);
	if (clk == CLK_WALL)
		bench_scaling(path);
	close(dev);
	close(tmp);
	close(zero);
	close(null);
	free(buf);

	failed = judge(&met, &missed);
	print_table(met, missed, failed);
	fflush(stdout);
	if (json) {
		int err = write_json(json);

		if (err)
			die(json, -err);
	}
	return failed ? 1 : 0;
}
