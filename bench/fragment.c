// SPDX-License-Identifier: GPL-2.0
/*
 * fragment: memory that is plentiful but fragmented, for the bench under
 * pressure (make bench BENCH_PRESSURE=1). Not a benchmark: lab/guest/bench.sh
 * starts it in the background, waits for its "fragment: ready" line, runs
 * cmisc-bench and kills it. Run it as root in a guest without swap: it takes
 * almost all of the memory.
 *
 * usage: fragment
 *
 * 1. Fill. Touch anonymous pages (no transparent huge pages) until every
 *    zone is down to its low watermark plus its lowmem protection: the point
 *    where the page allocator stops serving userspace without waking
 *    kswapd. The lower zones (DMA) are left there, below what a GFP_KERNEL
 *    allocation may take from them.
 * 2. Holes. Give back (MADV_DONTNEED) every page of the highest zone whose
 *    page frame number is even. Its buddy, the odd frame next to it, stays
 *    held, so the freed pages cannot merge: half of the memory is free, in
 *    single pages. (Without frame numbers from /proc/self/pagemap, every
 *    other page by address.)
 * 3. The last large blocks. The allocator hands out its smallest free
 *    blocks first, so the highest zone still has its watermark's worth of
 *    free memory in large blocks. Fill pipes, 1 MiB each: their pages are
 *    unmovable, and an unmovable allocation that finds no free unmovable page
 *    takes the largest free block of another type. Stop when the zone has no
 *    free block of order FREE_ORDER or more.
 *
 * Then print "fragment: ready", what it holds, each zone's free pages and
 * marks, and /proc/buddyinfo, and sleep until killed. (A lower zone can
 * still serve a block of 2^N pages to GFP_KERNEL while its free pages, less
 * 2^N - 1, exceed its min mark plus its protection.) Only compaction can now make a free block of FREE_ORDER or
 * more: the held pages are movable. The caller turns off the compaction and
 * watermark boosting that would otherwise undo the holes in the background
 * (vm.compaction_proactiveness, vm.watermark_boost_factor).
 *
 * Exit status: 1 if it could not set up (then it says why), else killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

/* 64 KiB: the bench's smaller new-buffer row (order 4) finds no free block. */
#define FREE_ORDER	4
#define MAX_ZONES	16
#define MAX_ORDERS	16
#define PIPE_BYTES	(1 << 20)
#define PFN_MASK	((UINT64_C(1) << 55) - 1)
#define PAGE_PRESENT	(UINT64_C(1) << 63)

struct zone {
	char name[16];
	unsigned long free, min, low, managed, spanned, start_pfn, protection;
};

static struct zone zones[MAX_ZONES];
static int nzones;
static long page_size;
static char text[1 << 16];

static void die(const char *what, int err)
{
	fprintf(stderr, "fragment: %s: %s\n", what, strerror(err));
	exit(1);
}

/* The whole of a /proc file into text[]; its length. */
static size_t slurp(const char *path)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(path, errno);
	while ((n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	if (n < 0)
		die(path, errno);
	close(fd);
	text[len] = '\0';
	return len;
}

/* Node 0's zones from /proc/zoneinfo (the lab's guest has one node). */
static void read_zones(void)
{
	char *line, *save = NULL;
	struct zone *z = NULL;

	slurp("/proc/zoneinfo");
	nzones = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[32];
		unsigned long v;
		int node;

		if (sscanf(line, "Node %d, zone %15s", &node, key) == 2) {
			z = NULL;
			if (node != 0 || nzones == MAX_ZONES)
				continue;
			z = &zones[nzones++];
			memset(z, 0, sizeof(*z));
			memcpy(z->name, key, sizeof(z->name) - 1);
			continue;
		}
		if (!z)
			continue;
		if (sscanf(line, " pages free %lu", &v) == 1) {
			z->free = v;
		} else if (sscanf(line, " protection: (%lu", &v) == 1) {
			/* The largest, against allocations that may use any zone. */
			const char *p = strchr(line, '(');

			while (p && *p) {
				char *end;
				unsigned long x = strtoul(p + 1, &end, 10);

				if (end == p + 1)
					break;
				if (x > z->protection)
					z->protection = x;
				p = strchr(end, ',');
			}
		} else if (sscanf(line, " %31s %lu", key, &v) == 2) {
			if (!strcmp(key, "min"))
				z->min = v;
			else if (!strcmp(key, "low"))
				z->low = v;
			else if (!strcmp(key, "managed"))
				z->managed = v;
			else if (!strcmp(key, "spanned"))
				z->spanned = v;
			else if (!strcmp(key, "start_pfn:"))
				z->start_pfn = v;
		}
	}
}

/* The zone GFP_KERNEL allocations try first: the highest populated one. */
static struct zone *top_zone(void)
{
	int i;

	for (i = nzones - 1; i >= 0; i--)
		if (zones[i].managed)
			return &zones[i];
	return NULL;
}

/* Pages still to take before every zone is at its low mark + protection. */
static unsigned long pages_to_fill(void)
{
	unsigned long sum = 0;
	int i;

	read_zones();
	for (i = 0; i < nzones; i++) {
		unsigned long floor = zones[i].low + zones[i].protection;

		if (zones[i].managed && zones[i].free > floor)
			sum += zones[i].free - floor;
	}
	return sum;
}

/* Free blocks of order FREE_ORDER or more in zone @name, from /proc/buddyinfo. */
static unsigned long large_blocks(const char *name)
{
	char *line, *save = NULL;
	unsigned long n = 0;

	slurp("/proc/buddyinfo");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char zname[16];
		int node, off = 0, order;
		unsigned long count;
		const char *p;

		if (sscanf(line, "Node %d, zone %15s %n", &node, zname, &off) != 2 || node ||
		    strcmp(zname, name))
			continue;
		p = line + off;
		for (order = 0; order < MAX_ORDERS; order++) {
			int used;

			if (sscanf(p, "%lu%n", &count, &used) != 1)
				break;
			p += used;
			if (order >= FREE_ORDER)
				n += count;
		}
	}
	return n;
}

/* 1. Touch pages of @region until the zones are down to their marks. */
static size_t fill(char *region, size_t max_pages)
{
	size_t done = 0;

	for (;;) {
		unsigned long want = pages_to_fill();
		size_t step = want / 2 > 16 ? want / 2 : 16;

		if (!want || done == max_pages)
			return done;
		if (step > max_pages - done)
			step = max_pages - done;
		for (; step; step--, done++)
			region[done * page_size] = 1;
	}
}

/* 2. Free the even frames of the top zone; the number of pages freed. */
static size_t holes(char *region, size_t pages, const struct zone *top, int *by_pfn)
{
	uint64_t *map = calloc(pages, sizeof(*map));
	size_t i, freed = 0;
	ssize_t n = -1;
	int fd;

	if (!map)
		die("calloc", ENOMEM);
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		off_t at = (off_t)((uintptr_t)region / page_size * sizeof(*map));

		n = pread(fd, map, pages * sizeof(*map), at);
		close(fd);
	}
	*by_pfn = n == (ssize_t)(pages * sizeof(*map));
	/* Without CAP_SYS_ADMIN every frame number reads as 0. */
	for (i = 0; *by_pfn && i < pages && !(map[i] & PFN_MASK); i++)
		;
	if (i == pages)
		*by_pfn = 0;
	for (i = 0; i < pages; i++) {
		uint64_t pfn = map[i] & PFN_MASK;

		if (*by_pfn) {
			if (!(map[i] & PAGE_PRESENT) || pfn % 2 || pfn < top->start_pfn ||
			    pfn >= top->start_pfn + top->spanned)
				continue;
		} else if (i % 2) {
			continue;
		}
		if (madvise(region + i * page_size, page_size, MADV_DONTNEED))
			die("madvise", errno);
		freed++;
	}
	free(map);
	return freed;
}

/* 3. Pipes of PIPE_BYTES until @top has no large free block; how many. */
static int pipes(const struct zone *top, size_t max_pipes, unsigned long *left)
{
	static char src[PIPE_BYTES];
	size_t n = 0;
	int fds[2];

	memset(src, 'f', sizeof(src));
	while ((*left = large_blocks(top->name)) && n < max_pipes) {
		if (pipe2(fds, O_NONBLOCK | O_CLOEXEC))
			break;	/* out of descriptors: say so below */
		if (fcntl(fds[1], F_SETPIPE_SZ, PIPE_BYTES) < 0 ||
		    write(fds[1], src, sizeof(src)) != (ssize_t)sizeof(src))
			die("pipe", errno);
		/* The data stays in the pipe for as long as the read end is open. */
		close(fds[1]);
		n++;
	}
	return n;
}

/* Each zone's free pages and marks, then /proc/buddyinfo. */
static void print_zones(void)
{
	char *line, *save = NULL;
	int i;

	read_zones();
	for (i = 0; i < nzones; i++)
		if (zones[i].managed)
			printf("fragment: zone %s: %lu pages free, min %lu, low %lu, protection %lu\n",
			       zones[i].name, zones[i].free, zones[i].min, zones[i].low,
			       zones[i].protection);
	slurp("/proc/buddyinfo");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("fragment: %s\n", line);
}

int main(void)
{
	struct rlimit nofile;
	struct zone *top;
	size_t pages, held, freed, max_pipes;
	unsigned long left;
	char *region;
	int by_pfn, npipes;

	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	read_zones();
	top = top_zone();
	if (!top || !top->spanned)
		die("/proc/zoneinfo: no populated zone", ENOENT);
	/* Room for every page of memory; only what fill() touches is used. */
	pages = top->start_pfn + top->spanned;
	region = mmap(NULL, pages * page_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (region == MAP_FAILED)
		die("mmap", errno);
	/* Single pages, whatever THP's setting (EINVAL: a kernel without THP). */
	if (madvise(region, pages * page_size, MADV_NOHUGEPAGE) && errno != EINVAL)
		die("madvise(MADV_NOHUGEPAGE)", errno);

	held = fill(region, pages);
	read_zones();
	top = top_zone();
	freed = holes(region, held, top, &by_pfn);

	/* A pipe per descriptor, but never more than half what was freed. */
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	max_pipes = freed * page_size / 2 / PIPE_BYTES;
	npipes = pipes(top, max_pipes, &left);

	read_zones();
	printf("fragment: ready: %zu MiB touched, %zu MiB given back as single pages (%s), "
	       "%d MiB in pipes; zone %s: %lu pages free, %lu free blocks of order >= %d%s\n",
	       held * page_size >> 20, freed * page_size >> 20,
	       by_pfn ? "even frames" : "every other page by address", npipes, top->name,
	       top->free, left, FREE_ORDER, left ? " (the pipes ran out)" : "");
	print_zones();
	for (;;)
		pause();
}
