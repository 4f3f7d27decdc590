/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's kselftest harness (tools/testing/selftests/kselftest_harness.h,
 * taken from Debian's linux-source at build time) plus what every cmisc test
 * shares: the device path, 0xcc pre-filling, module (re)loading and a
 * test filter.
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
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/klog.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib/cmisc.h"

#define DEV CMISC_DEFAULT_PATH
#define POISON 0xcc

/* An address that is never user memory on x86: the kernel's half. */
#define KERNEL_PTR ((void *)(uintptr_t)(sizeof(void *) == 8 ? 0xffffffff81000000ULL : 0xc0000000UL))

/* Fill an output object with 0xcc so bytes the kernel did not write show. */
#define poison(obj) memset(&(obj), POISON, sizeof(obj))

/*
 * Two pages of which only the first stays mapped, so an access that runs
 * past p + 4095 faults. NULL on failure; release with munmap(p, 4096).
 */
static inline char *page_before_hole(void)
{
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (munmap(p + 4096, 4096)) {
		munmap(p, 8192);
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

static inline int cmisc_reload(const char *params)
{
	int ret = module_unload("cmisc");

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

/* A numeric parameter of the loaded cmisc module, or -1. */
static inline long cmisc_param(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/cmisc/parameters/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Count lines of the kernel log containing @needle. */
static inline int dmesg_count(const char *needle)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *save = NULL;
	int n = 0, len;

	if (size <= 0)
		return -1;
	buf = malloc(size + 1);
	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (len < 0) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += strstr(line, needle) != NULL;
	free(buf);
	return n;
}

static inline int cmisc_test_wanted(const char *pattern, const char *name)
{
	if (strpbrk(pattern, "*?["))
		return fnmatch(pattern, name, 0) == 0;
	return strstr(name, pattern) != NULL;
}

/* Drop the tests that CMISC_TESTS does not select, before the plan. */
static inline void cmisc_filter_tests(const char *prog)
{
	const char *pattern = getenv("CMISC_TESTS");
	const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	struct __fixture_metadata *f;
	struct __test_metadata *t, *next, *keep, *tail;
	char name[256];

	if (!pattern || !*pattern)
		return;
	for (f = __fixture_list; f; f = f->next) {
		keep = tail = NULL;
		for (t = f->tests; t; t = next) {
			next = t->next;
			snprintf(name, sizeof(name), "%s.%s.%s", base, f->name, t->name);
			if (!cmisc_test_wanted(pattern, name))
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

#define CMISC_TEST_MAIN							\
	static void __attribute__((constructor))			\
	__constructor_order_last(void)					\
	{								\
		if (!__constructor_order)				\
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	}								\
	int main(int argc, char **argv)					\
	{								\
		cmisc_filter_tests(argv[0]);				\
		return test_harness_run(argc, argv);			\
	}

#endif /* CMISC_TEST_HARNESS_H */
