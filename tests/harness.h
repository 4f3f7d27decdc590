/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's kselftest harness (tools/testing/selftests/kselftest_harness.h,
 * taken from Debian's linux-source at build time) plus what every cmisc test
 * shares: the device path, 0xcc pre-filling, addresses that are not the
 * task's, module (re)loading, kernel log marks and a test filter.
 *
 * Run a subset with CMISC_TESTS=pattern (make check TESTS=pattern): a test
 * runs when "<binary>.<fixture>.<test>" matches the glob, or contains the
 * pattern if it has no glob characters.
 */
#ifndef CMISC_TEST_HARNESS_H
#define CMISC_TEST_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib/cmisc.h"

#define DEV CMISC_DEFAULT_PATH
#define POISON 0xcc

/* Fill an output object with 0xcc so bytes the kernel did not write show. */
#define poison(obj) memset(&(obj), POISON, sizeof(obj))

/* The page size the kernel uses for this process (4 KiB, 16 KiB, 64 KiB...). */
static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * A kernel-half address, for struct cmisc_buf.ptr (a __u64 in every build)
 * and, in 64-bit builds, for plain pointers (KERNEL_PTR). Whatever the
 * architecture's layout, no user mapping can ever be there:
 *  - x86-64: the kernel half starts at 0xffff800000000000 (4-level paging)
 *    or 0xff00000000000000 (5-level); 0xffffffff81000000 is the default
 *    start of the kernel text mapping.
 *  - arm64: the kernel half starts at -(1 << VA_BITS): 0xfffffff000000000
 *    for the smallest VA_BITS (36), 0xffffff8000000000 (39),
 *    0xffff000000000000 (48), 0xfff0000000000000 (52); user space ends at
 *    1 << VA_BITS.
 * Bit 55 is set too, so arm64's untagging of tagged user pointers (it
 * sign-extends bit 55) leaves it a kernel address; x86's LAM untags user
 * addresses only (bit 63 clear).
 */
#define KERNEL_ADDR	0xffffffff81000000ULL

/*
 * An address the system confirms is not mapped in this process: a page
 * mmap()ed, munmap()ed, then checked with mincore(), which fails with
 * ENOMEM for a range holding unmapped pages. Only a later mmap() (by the
 * test, or malloc() of a large block) could map it again, so use it at
 * once. Aborts, failing the test, if the system does not confirm the hole.
 */
static inline void *unmapped_ptr(void)
{
	size_t pg = page_size();
	unsigned char vec;
	void *p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p, pg)) {
		perror("unmapped_ptr: mmap/munmap");
		abort();
	}
	if (mincore(p, pg, &vec) == 0 || errno != ENOMEM) {
		fprintf(stderr, "unmapped_ptr: %p is still mapped\n", p);
		abort();
	}
	return p;
}

/*
 * Plain pointers (an ioctl's argument, read(2)/write(2) buffers) that are
 * not the task's memory, for the EFAULT cases: void *bad[] = { BAD_USER_PTRS };
 * A 64-bit task can pass a kernel address. A 32-bit task cannot express one:
 * all 4 GiB of its pointer range is user address space on a 64-bit kernel
 * (even 0xc0000000, the kernel's start on i386, is ordinary user memory
 * there, and on arm64 0xffff0000 may be the mapped vectors page), so its
 * list stops at an address the system verifies is unmapped.
 */
#if UINTPTR_MAX > 0xffffffffUL
#define KERNEL_PTR	((void *)(uintptr_t)KERNEL_ADDR)
#define BAD_USER_PTRS	NULL, unmapped_ptr(), KERNEL_PTR
#else
#define BAD_USER_PTRS	NULL, unmapped_ptr()
#endif

/*
 * Values of struct cmisc_buf.ptr that are not the task's memory, in any
 * build: 0, an unmapped page and KERNEL_ADDR; in a 32-bit task also @good
 * + 4 GiB (above everything a 32-bit task maps) and @good with the upper
 * half all ones (a kernel-half address). @good is a valid buffer of the
 * caller's, so a driver that truncated ptr to 32 bits would reach it and
 * succeed instead of returning EFAULT. (In a 64-bit task those two could
 * be ordinary addresses, so they are left out.) Fills @out, returns the
 * count.
 */
#define BAD_BUF_PTRS_MAX 5
static inline size_t bad_buf_ptrs(uint64_t out[BAD_BUF_PTRS_MAX], const void *good)
{
	size_t n = 0;

	memset(out, 0, BAD_BUF_PTRS_MAX * sizeof(*out));
	out[n++] = 0;
	out[n++] = (uintptr_t)unmapped_ptr();
	out[n++] = KERNEL_ADDR;
	if (UINTPTR_MAX == 0xffffffffUL) {
		out[n++] = (1ULL << 32) | (uintptr_t)good;
		out[n++] = 0xffffffff00000000ULL | (uintptr_t)good;
	}
	return n;
}

/* WRITE_BUF or READ_BUF with a raw 64-bit ptr: the ioctl's result or -errno. */
static inline long buf_ioctl(int fd, unsigned long cmd, uint64_t ptr, uint64_t len)
{
	struct cmisc_buf arg = { .ptr = ptr, .len = len };
	int ret = ioctl(fd, cmd, &arg);

	return ret < 0 ? -errno : ret;
}

/*
 * Two pages of which only the first stays mapped, so an access that runs
 * past p + page_size() - 1 faults. NULL on failure; release with
 * munmap(p, page_size()).
 */
static inline char *page_before_hole(void)
{
	size_t pg = page_size();
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (munmap(p + pg, pg)) {
		munmap(p, 2 * pg);
		return NULL;
	}
	return p;
}

static inline const char *cmisc_ko(void)
{
	const char *ko = getenv("CMISC_KO");

	return ko ? ko : "/lib/modules/cmisc/cmisc.ko";
}

/* finit_module(2) with @params; returns 0 or -errno. */
static inline int module_load(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* delete_module(2) as rmmod does it (O_NONBLOCK); returns 0 or -errno. */
static inline int module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/*
 * The module under test: cmisc, or, when the lab runs the suite against
 * upstream's driver, the name in CMISC_MODULE (rust_misc_device).
 */
static inline const char *cmisc_module(void)
{
	const char *name = getenv("CMISC_MODULE");

	return name ? name : "cmisc";
}

static inline int cmisc_reload(const char *params)
{
	int ret = module_unload(cmisc_module());

	if (ret && ret != -ENOENT)
		return ret;
	return module_load(cmisc_ko(), params);
}

static inline int module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* The decimal number a sysfs file holds, or -1. */
static inline long sysfs_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* A numeric parameter of the loaded cmisc module, or -1. */
static inline long cmisc_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/cmisc/parameters/%s", name);
	return sysfs_long(path);
}

/*
 * Kernel messages since a point in time, read from /dev/kmsg by record
 * sequence number rather than by counting lines of the whole ring buffer
 * (which breaks once the ring wraps):
 *
 *	KMSG_MARK(log);		(the log's current end; do this first)
 *	...act...
 *	EXPECT_EQ(1, kmsg_count_since(&log, "needle"));
 *
 * The mark keeps an fd whose read position lseek(SEEK_END) set to the next
 * record to come. kmsg_count_since() reads every record after the mark that
 * is in the log by then, keeps their text, and counts the records whose
 * text contains @needle, so one mark serves several needles and repeated
 * counts. Each /dev/kmsg read returns one record: "prio,seq,ts,flags;text\n"
 * plus dictionary lines that start with a space. EAGAIN is the end of the
 * log; EPIPE means the ring overwrote records before they were read
 * (->lost counts such gaps; reading goes on with the oldest record left).
 * KMSG_MARK() releases the mark when it goes out of scope; a failed ASSERT
 * skips that, but each test runs in its own process, which exit() cleans up.
 */
struct kmsg_mark {
	int fd;			/* -1: /dev/kmsg unavailable */
	char *text;		/* texts read so far, one per line */
	size_t len, size;
	unsigned long lost;	/* records overwritten before they were read */
};

static inline struct kmsg_mark kmsg_mark(void)
{
	struct kmsg_mark m = { .fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC) };

	if (m.fd >= 0 && lseek(m.fd, 0, SEEK_END) < 0) {
		close(m.fd);
		m.fd = -1;
	}
	return m;
}

static inline void kmsg_release(struct kmsg_mark *m)
{
	if (m->fd >= 0)
		close(m->fd);
	free(m->text);
	m->fd = -1;
	m->text = NULL;
	m->len = m->size = 0;
}

#define KMSG_MARK(m) \
	struct kmsg_mark m __attribute__((cleanup(kmsg_release))) = kmsg_mark()

/* Append the records logged since the last call; 0, or -1 on error. */
static inline int kmsg_collect(struct kmsg_mark *m)
{
	char rec[8192];	/* CONSOLE_EXT_LOG_MAX: /dev/kmsg's largest record */
	const char *text, *eol;
	ssize_t n;
	size_t tlen;
	char *grown;

	if (m->fd < 0)
		return -1;
	for (;;) {
		n = read(m->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE) {
			m->lost++;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		eol = strchr(text, '\n');
		tlen = eol ? (size_t)(eol - text) : strlen(text);
		if (m->len + tlen + 2 > m->size) {
			size_t size = 2 * m->size + tlen + 2 + 4096;

			grown = realloc(m->text, size);
			if (!grown)
				return -1;
			m->text = grown;
			m->size = size;
		}
		memcpy(m->text + m->len, text, tlen);
		m->len += tlen;
		m->text[m->len++] = '\n';
		m->text[m->len] = '\0';
	}
}

/* How many records since @m contain @needle; -1 if the log cannot be read. */
static inline int kmsg_count_since(struct kmsg_mark *m, const char *needle)
{
	const char *line, *eol;
	int n = 0;

	if (kmsg_collect(m))
		return -1;
	for (line = m->text; line && *line; line = eol + 1) {
		eol = strchr(line, '\n');
		/* Only this line: compare within [line, eol). */
		if (memmem(line, eol - line, needle, strlen(needle)))
			n++;
	}
	return n;
}

static inline int cmisc_test_wanted(const char *pattern, const char *name)
{
	if (strpbrk(pattern, "*?["))
		return fnmatch(pattern, name, 0) == 0;
	return strstr(name, pattern) != NULL;
}

/* Is @name one of the space-separated full names in @list? */
static inline int cmisc_test_listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || !p[len]))
			return 1;
	return 0;
}

/*
 * Drop the tests that CMISC_TESTS does not select, and those that
 * CMISC_TESTS_SKIP names ("<binary>.<fixture>.<test> ..."; the lab skips
 * there the tests that would crash upstream's driver), before the plan.
 */
static inline void cmisc_filter_tests(const char *prog)
{
	const char *pattern = getenv("CMISC_TESTS");
	const char *skip = getenv("CMISC_TESTS_SKIP");
	const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	struct __fixture_metadata *f;
	struct __test_metadata *t, *next, *keep, *tail;
	char name[256];

	if ((!pattern || !*pattern) && (!skip || !*skip))
		return;
	for (f = __fixture_list; f; f = f->next) {
		keep = tail = NULL;
		for (t = f->tests; t; t = next) {
			next = t->next;
			snprintf(name, sizeof(name), "%s.%s.%s", base, f->name, t->name);
			if ((pattern && *pattern && !cmisc_test_wanted(pattern, name)) ||
			    (skip && cmisc_test_listed(skip, name)))
				continue;
			t->next = NULL;
			if (tail) {
				tail->next = t;
				t->prev = tail;
			} else {
				keep = t;
			}
			tail = t;
		}
		if (keep)
			keep->prev = tail;
		f->tests = keep;
	}
}

/*
 * The programs' main(). stdout is line-buffered, as on a terminal, even
 * when it is a pipe or a file: each result line leaves the process as it
 * is printed, so the lab's per-line timestamps say when it happened.
 */
#define CMISC_TEST_MAIN							\
	static void __attribute__((constructor))			\
	__constructor_order_last(void)					\
	{								\
		if (!__constructor_order)				\
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	}								\
	int main(int argc, char **argv)					\
	{								\
		setvbuf(stdout, NULL, _IOLBF, 0);			\
		cmisc_filter_tests(argv[0]);				\
		return test_harness_run(argc, argv);			\
	}

#endif /* CMISC_TEST_HARNESS_H */
