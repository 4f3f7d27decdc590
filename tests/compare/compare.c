// SPDX-License-Identifier: GPL-2.0
/*
 * compare - upstream's rust_misc_device and cmisc, call for call.
 *
 * Runs the same seeded random sequence of calls against two devices at
 * once, in lockstep, in one process, and compares every call's outcome:
 *
 *   A: upstream's samples/rust/rust_misc_device.ko, /dev/rust-misc-device
 *   B: cmisc loaded with name=cmisc-compare, /dev/cmisc-compare
 *
 * Up to NSLOTS descriptors per side: slot i of A and slot i of B are
 * opened, closed and dup'ed together. The calls: open in every mode
 * (O_RDONLY, O_WRONLY, O_RDWR, with or without O_APPEND and O_NONBLOCK),
 * close, dup, read, pread, readv, preadv, write, pwrite, writev, pwritev,
 * lseek (SEEK_SET, SEEK_CUR, SEEK_END with small offsets, and SEEK_DATA,
 * SEEK_HOLE and whence values beyond SEEK_MAX), the ioctls HELLO,
 * GET_VALUE, SET_VALUE, WRITE_BUF, READ_BUF and unknown ones, with NULL,
 * an unmapped page, or a range that runs into one, as a data or argument
 * pointer now and then. Transfers are 0 to 300 bytes; the data written
 * comes from the seed.
 *
 * What is compared, for each call:
 *  - the return value and errno;
 *  - every byte of user memory the call may write (the read window and the
 *    page before the PROT_NONE page), both sides pre-filled with 0xcc;
 *  - the file position, where it can be read. Upstream has no llseek, so
 *    lseek(fd, 0, SEEK_CUR) is ESPIPE on A and A's position cannot be read
 *    without changing it. What is fair, then: B's position is read after
 *    every call and must equal the position the model below derives from
 *    the results both sides returned (read advances by its count; write
 *    and writev rewind as the VFS stores the driver's position; pread,
 *    pwrite and failed calls leave it). A's position is checked through
 *    what it does: every later read on A returns the bytes at A's
 *    position, compared byte for byte with B's. pread cannot show it, as
 *    it ignores the position. Where A does answer lseek (the self-test's
 *    cmisc-like fake), A's position is compared the same way.
 *
 * The model: for each open file (a slot, or several after dup), the
 * buffer, the position and the value that both sides agree on, built only
 * from the calls' results. It also checks those results against each
 * other (a read returns the buffer's bytes at the position, GET_VALUE the
 * last value set): when both devices agree but the model does not, the
 * call is unexplained too, since the repairs below would go wrong.
 *
 * Differences are classified (see classes[] or --classes). A difference
 * outside the table is UNEXPLAINED. After an explained difference both
 * sides are brought back to the model's state: the side that did what
 * the class allows for is rewritten through calls that the model predicts
 * exactly (a write of filler, lseek or a read to place the position, then
 * pwrite of the buffer, which keeps the position). Those repair calls are
 * checked but not counted as calls.
 *
 * On an unexplained difference the seed's run stops there; the sequence is
 * cut after that call, then minimised (delta debugging: drop parts of it
 * while the same kind of difference on the same kind of call persists, each
 * attempt on freshly opened files), and the shortest sequence found is
 * printed with both sides' results, with the command line that replays it.
 *
 * Output: TAP, one result per seed, then the line
 *   compare: N calls, N identical, N explained (class: N, ...), N unexplained
 * Exit status: 0 if nothing is unexplained, 1 otherwise, 2 on a usage
 * error, 3 if the devices cannot be used.
 *
 * --self-test runs the same machinery on two in-process fake devices (one
 * that behaves as upstream's driver does, one as cmisc does), with bugs
 * injected, and needs no kernel module.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/cmisc.h>

#define NSLOTS		4	/* descriptors per side */
#define MAXSEG		4	/* segments of a readv/writev */
#define MAXLEN		300	/* longest transfer */
#define CONTENT_MAX	512	/* the model's buffer */
#define SRC_SIZE	4096	/* seeded bytes that writes take their data from */
#define WIN		512	/* where valid reads land */
#define TAIL		320	/* compared bytes before the PROT_NONE page */
#define FILLER		512	/* repairs write up to this many filler bytes */
#define SEEK_MAX_	4	/* SEEK_HOLE: beyond it lseek(2) is EINVAL in the VFS */

#define DEFAULT_A	"/dev/rust-misc-device"
#define DEFAULT_B	"/dev/cmisc-compare"
#define B_MAX_SIZE_FILE	"/sys/module/cmisc/parameters/max_size"
#define CMISC_DEFAULT_MAX_SIZE	(1024 * 1024)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ the calls */

enum kind {
	K_OPEN, K_CLOSE, K_DUP,
	K_READ, K_PREAD, K_READV, K_PREADV,
	K_WRITE, K_PWRITE, K_WRITEV, K_PWRITEV,
	K_LSEEK, K_GET, K_SET, K_HELLO, K_UNKNOWN, K_WRITE_BUF, K_READ_BUF,
	NKINDS
};

static const struct {
	const char *name;
	unsigned int weight;	/* per mille of generated calls */
} kinds[NKINDS] = {
	[K_OPEN] = { "open", 30 },	[K_CLOSE] = { "close", 12 },
	[K_DUP] = { "dup", 13 },	[K_READ] = { "read", 140 },
	[K_PREAD] = { "pread", 70 },	[K_READV] = { "readv", 55 },
	[K_PREADV] = { "preadv", 30 },	[K_WRITE] = { "write", 140 },
	[K_PWRITE] = { "pwrite", 55 },	[K_WRITEV] = { "writev", 55 },
	[K_PWRITEV] = { "pwritev", 30 },	[K_LSEEK] = { "lseek", 110 },
	[K_GET] = { "ioctl GET_VALUE", 60 },	[K_SET] = { "ioctl SET_VALUE", 60 },
	[K_HELLO] = { "ioctl HELLO", 35 },	[K_UNKNOWN] = { "ioctl unknown", 30 },
	[K_WRITE_BUF] = { "ioctl WRITE_BUF", 40 },	[K_READ_BUF] = { "ioctl READ_BUF", 35 },
};

static bool is_read(int k)
{
	return k == K_READ || k == K_PREAD || k == K_READV || k == K_PREADV;
}

static bool is_positional(int k)
{
	return k == K_PREAD || k == K_PREADV || k == K_PWRITE || k == K_PWRITEV;
}

static bool is_vector(int k)
{
	return k == K_READV || k == K_PREADV || k == K_WRITEV || k == K_PWRITEV;
}

/* Where a pointer points. */
enum ptrc { P_VALID, P_NULL, P_UNMAPPED, P_EDGE };

/* One segment of data: where, how long, and for P_EDGE how many bytes are mapped. */
struct seg {
	uint8_t pc;
	uint16_t off;	/* into the source, or into the read window */
	uint16_t len;
	uint16_t keep;	/* P_EDGE: the segment starts this many bytes before the hole */
};

/* One generated call: data only, so that any subset of a sequence can run. */
struct op {
	uint8_t kind, slot, src, nseg, argpc;
	int flags;	/* open */
	int whence;	/* lseek */
	int32_t value;	/* SET_VALUE */
	uint32_t cmd;	/* unknown ioctl */
	int64_t off;	/* pread/pwrite offset, lseek offset */
	struct seg seg[MAXSEG];
};

static size_t op_total(const struct op *op)
{
	size_t t = 0;

	for (int i = 0; i < op->nseg; i++)
		t += op->seg[i].len;
	return t;
}

/* ------------------------------------------------------------ memory */

/*
 * Five pages: [PROT_NONE][edge_src][unmapped][edge_dst][PROT_NONE]. A write
 * from the end of edge_src runs into the unmapped page; a read into the end
 * of edge_dst runs into the PROT_NONE page. Nothing else is ever mapped
 * there: the unmapped page sits between two mappings of ours, and the
 * allocations made later are far larger than one page.
 */
static struct {
	size_t page;
	uint8_t *base;
	uint8_t *edge_src, *hole, *edge_dst;
	uint8_t *src;		/* SRC_SIZE seeded bytes */
	uint8_t *win;		/* the read window */
	uint8_t *arg;		/* ioctl arguments */
	uint8_t *scratch;	/* repairs' reads */
	uint8_t *filler;	/* repairs' writes */
} M;

static int map_memory(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	M.page = pg;
	p = mmap(NULL, 5 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	M.base = p;
	M.edge_src = M.base + pg;
	M.hole = M.base + 2 * pg;
	M.edge_dst = M.base + 3 * pg;
	if (mprotect(M.edge_src, pg, PROT_READ | PROT_WRITE) ||
	    mprotect(M.edge_dst, pg, PROT_READ | PROT_WRITE) || munmap(M.hole, pg))
		return -1;
	M.src = malloc(SRC_SIZE);
	M.win = malloc(WIN);
	M.arg = malloc(64);
	M.scratch = malloc(FILLER);
	M.filler = malloc(FILLER);
	if (!M.src || !M.win || !M.arg || !M.scratch || !M.filler)
		return -1;
	memset(M.filler, 'f', FILLER);
	return 0;
}

/* Is the hole still unmapped? mincore() fails with ENOMEM on an unmapped range. */
static bool hole_unmapped(void)
{
	unsigned char vec;

	return mincore(M.hole, M.page, &vec) == -1 && errno == ENOMEM;
}

/* splitmix64 */
static uint64_t next64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The bytes writes take their data from, the same for every run of a seed. */
static void fill_sources(uint64_t seed)
{
	uint64_t s = seed ^ 0x5eedda7a5eedda7aULL;
	size_t i;

	for (i = 0; i < SRC_SIZE; i++)
		M.src[i] = (uint8_t)next64(&s);
	for (i = 0; i < M.page; i++)
		M.edge_src[i] = (uint8_t)next64(&s);
}

static void *seg_ptr(const struct seg *s, bool dst)
{
	switch (s->pc) {
	case P_NULL:
		return NULL;
	case P_UNMAPPED:
		return M.hole + s->off % 256;
	case P_EDGE:
		return (dst ? M.edge_dst : M.edge_src) + M.page - s->keep;
	default:
		return dst ? M.win + s->off : M.src + s->off;
	}
}

static void *arg_ptr(int pc, void *valid)
{
	return pc == P_NULL ? NULL : pc == P_UNMAPPED ? (void *)M.hole : valid;
}

/* ------------------------------------------------------------ devices */

struct call {
	int kind, fd, flags, niov, whence;
	struct iovec iov[MAXSEG];
	int64_t off;
	unsigned long cmd;
	void *arg;
};

struct fake;

struct dev {
	const char *name;	/* "A" or "B" */
	const char *path;
	struct fake *fake;	/* in-process device, or NULL for the real one */
};

static long fake_do(struct fake *f, const struct call *c);

/* One call: its result, or -errno. */
static long dev_do(struct dev *dv, const struct call *c)
{
	long r;

	if (dv->fake)
		return fake_do(dv->fake, c);
	errno = 0;
	switch (c->kind) {
	case K_OPEN:
		r = open(dv->path, c->flags);
		break;
	case K_CLOSE:
		r = close(c->fd);
		break;
	case K_DUP:
		r = dup(c->fd);
		break;
	case K_READ:
		r = read(c->fd, c->iov[0].iov_base, c->iov[0].iov_len);
		break;
	case K_PREAD:
		r = pread(c->fd, c->iov[0].iov_base, c->iov[0].iov_len, (off_t)c->off);
		break;
	case K_READV:
		r = readv(c->fd, c->iov, c->niov);
		break;
	case K_PREADV:
		r = preadv(c->fd, c->iov, c->niov, (off_t)c->off);
		break;
	case K_WRITE:
		r = write(c->fd, c->iov[0].iov_base, c->iov[0].iov_len);
		break;
	case K_PWRITE:
		r = pwrite(c->fd, c->iov[0].iov_base, c->iov[0].iov_len, (off_t)c->off);
		break;
	case K_WRITEV:
		r = writev(c->fd, c->iov, c->niov);
		break;
	case K_PWRITEV:
		r = pwritev(c->fd, c->iov, c->niov, (off_t)c->off);
		break;
	case K_LSEEK:
		r = (long)lseek(c->fd, (off_t)c->off, c->whence);
		break;
	default:
		r = ioctl(c->fd, c->cmd, c->arg);
		break;
	}
	return r < 0 ? -(errno ? errno : EIO) : r;
}

/* A call the repairs and checks make: no data in user memory but theirs. */
static long xcall(struct dev *dv, int kind, int fd, const void *p, size_t n, int64_t off,
		  int whence)
{
	struct call c = { .kind = kind, .fd = fd, .niov = 1, .off = off, .whence = whence };

	c.iov[0].iov_base = (void *)p;
	c.iov[0].iov_len = n;
	return dev_do(dv, &c);
}

/* ------------------------------------------------------------ fake devices */

/*
 * In-process devices for --self-test and --fake: the VFS's part (access
 * modes, negative offsets, empty vectors, when the position is stored)
 * and either driver's, as read in their sources, with a few bugs that can
 * be injected into the cmisc-like one. Faults are the real memory map's:
 * NULL's page and the pages of M that are not read-write.
 */
#define FAKE_FDS	16
#define FAKE_FD0	1000
#define FAKE_MAX	4096

enum {
	BUG_WRITEV_PREAD = 1,	/* pread at an offset > 0 of a writev's buffer is a byte short */
	BUG_DUP_VALUE = 2,	/* GET_VALUE through a dup'ed descriptor flips bit 0 */
	BUG_HELLO_101 = 4,	/* HELLO returns 101 */
	BUG_LSEEK_SKEW = 8,	/* SEEK_SET inside the buffer lands one byte further */
};

static const struct {
	const char *name;
	unsigned int bit;
	const char *what;
} bugs[] = {
	{ "writev-pread", BUG_WRITEV_PREAD,
	  "pread/preadv at an offset > 0 of a buffer written by writev/pwritev returns a byte less" },
	{ "dup-value", BUG_DUP_VALUE, "GET_VALUE through a dup'ed descriptor flips bit 0" },
	{ "hello-101", BUG_HELLO_101, "HELLO returns 101" },
	{ "lseek-skew", BUG_LSEEK_SKEW, "SEEK_SET to a byte inside the buffer lands one further" },
};

struct fdesc {
	int refs, acc;
	size_t len;
	int64_t pos;
	int32_t value;
	bool by_writev;
	uint8_t data[FAKE_MAX];
};

struct fent {
	struct fdesc *d;
	bool dupped;
};

struct fake {
	bool upstream;
	uint64_t max_size;
	unsigned int bugs;
	struct fent fd[FAKE_FDS];
};

/* How many of the n bytes at p can be accessed before the first fault. */
static size_t reach(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, bad[4][2] = {
		{ 0, M.page },
		{ (uintptr_t)M.base, (uintptr_t)M.base + M.page },
		{ (uintptr_t)M.hole, (uintptr_t)M.hole + M.page },
		{ (uintptr_t)M.base + 4 * M.page, (uintptr_t)M.base + 5 * M.page },
	};

	for (size_t i = 0; i < 4; i++) {
		if (a < bad[i][1] && a + n > bad[i][0]) {
			if (a >= bad[i][0])
				return 0;
			n = bad[i][0] - a;
		}
	}
	return n;
}

static size_t fake_gather(const struct call *c, uint8_t *out, size_t cap)
{
	size_t got = 0;

	for (int i = 0; i < c->niov; i++) {
		size_t len = c->iov[i].iov_len, k = reach(c->iov[i].iov_base, len);

		if (got + k > cap)
			k = cap - got;
		if (k)
			memcpy(out + got, c->iov[i].iov_base, k);
		got += k;
		if (k < len)
			break;
	}
	return got;
}

static size_t fake_scatter(const struct call *c, const uint8_t *in, size_t n)
{
	size_t done = 0;

	for (int i = 0; i < c->niov && done < n; i++) {
		size_t m = c->iov[i].iov_len < n - done ? c->iov[i].iov_len : n - done;
		size_t k = reach(c->iov[i].iov_base, m);

		if (k)
			memcpy(c->iov[i].iov_base, in + done, k);
		done += k;
		if (k < m)
			break;
	}
	return done;
}

static size_t iov_total(const struct call *c)
{
	size_t t = 0;

	for (int i = 0; i < c->niov; i++)
		t += c->iov[i].iov_len;
	return t;
}

/* cmisc_seek_pos() of driver/cmisc_core.c, for a position and a length. */
static long seek_rule(int64_t cur, size_t len, int64_t off, int whence)
{
	int64_t base, pos;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		if (!off)
			return cur;
		base = cur;
		break;
	case SEEK_END:
		base = (int64_t)len;
		break;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, off, &pos) || pos < 0 || pos > (int64_t)len)
		return -EINVAL;
	return pos;
}

static long fake_read(struct fake *f, struct fdesc *d, const struct call *c)
{
	bool p = is_positional(c->kind);
	size_t want = iov_total(c), n, got;
	int64_t pos = p ? c->off : d->pos;

	if (p && c->off < 0)
		return -EINVAL;
	if (d->acc == O_WRONLY)
		return -EBADF;
	if (is_vector(c->kind) && !want)
		return 0;
	if (pos < 0 || pos >= (int64_t)d->len || (!f->upstream && !want))
		return 0;
	n = d->len - pos < want ? d->len - pos : want;
	if ((f->bugs & BUG_WRITEV_PREAD) && p && d->by_writev && pos > 0 && n >= 2)
		n--;
	got = fake_scatter(c, d->data + pos, n);
	if (!got && !f->upstream)
		return -EFAULT;
	/* new_sync_read() and do_iter_readv_writev() store ki_pos. */
	if (!p)
		d->pos = pos + got;
	return got;
}

static long fake_write(struct fake *f, struct fdesc *d, const struct call *c)
{
	bool p = is_positional(c->kind), vec = is_vector(c->kind);
	size_t total = iov_total(c), got;
	uint8_t tmp[FAKE_MAX];

	if (p && c->off < 0)
		return -EINVAL;
	if (d->acc == O_RDONLY)
		return -EBADF;
	if (vec && !total)
		return 0;	/* vfs_writev(): an empty vector never reaches the driver */
	if (total > FAKE_MAX)
		return -ENOMEM;
	got = fake_gather(c, tmp, sizeof(tmp));
	if (f->upstream) {
		/* clear(), then copy what can be copied; ki_pos = 0 whatever came. */
		memcpy(d->data, tmp, got);
		d->len = got;
		d->by_writev = vec;
		/* new_sync_write() stores ki_pos only after a byte; the vector path always. */
		if (!p && (vec || got > 0))
			d->pos = 0;
		return got;
	}
	if (total > f->max_size)
		return -EFBIG;
	if (got < total)
		return -EFAULT;
	memcpy(d->data, tmp, total);
	d->len = total;
	d->by_writev = vec;
	if (!p && total)
		d->pos = 0;
	return total;
}

static long fake_ioctl(struct fake *f, struct fent *e, const struct call *c)
{
	struct fdesc *d = e->d;
	struct cmisc_buf b;
	int32_t v;
	size_t cnt, k;

	switch (c->cmd) {
	case CMISC_IOC_HELLO:
		return f->upstream ? 0 : (f->bugs & BUG_HELLO_101) ? 101 : CMISC_HELLO_VALUE;
	case CMISC_IOC_GET_VALUE:
		if (reach(c->arg, sizeof(v)) < sizeof(v))
			return -EFAULT;
		v = d->value;
		if ((f->bugs & BUG_DUP_VALUE) && e->dupped)
			v ^= 1;
		memcpy(c->arg, &v, sizeof(v));
		return 0;
	case CMISC_IOC_SET_VALUE:
		if (reach(c->arg, sizeof(v)) < sizeof(v))
			return -EFAULT;
		memcpy(&d->value, c->arg, sizeof(v));
		return 0;
	}
	if (f->upstream)
		return -ENOTTY;
	switch (c->cmd) {
	case CMISC_IOC_WRITE_BUF: {
		struct call one = { .kind = K_WRITE, .niov = 1 };
		uint8_t tmp[FAKE_MAX];

		if (d->acc == O_RDONLY)
			return -EBADF;
		if (reach(c->arg, sizeof(b)) < sizeof(b))
			return -EFAULT;
		memcpy(&b, c->arg, sizeof(b));
		if (b.len > f->max_size)
			return -EFBIG;
		if (b.len > FAKE_MAX)
			return -ENOMEM;
		one.iov[0].iov_base = (void *)(uintptr_t)b.ptr;
		one.iov[0].iov_len = b.len;
		if (fake_gather(&one, tmp, sizeof(tmp)) < b.len)
			return -EFAULT;
		memcpy(d->data, tmp, b.len);
		d->len = b.len;
		d->by_writev = false;
		if (b.len)
			d->pos = 0;
		return 0;
	}
	case CMISC_IOC_READ_BUF:
		if (d->acc == O_WRONLY)
			return -EBADF;
		if (reach(c->arg, sizeof(b)) < sizeof(b))
			return -EFAULT;
		memcpy(&b, c->arg, sizeof(b));
		cnt = b.len < d->len ? b.len : d->len;
		k = reach((void *)(uintptr_t)b.ptr, cnt);
		if (k)
			memcpy((void *)(uintptr_t)b.ptr, d->data, k);
		return k < cnt ? -EFAULT : (long)cnt;
	}
	return -ENOTTY;
}

static long fake_do(struct fake *f, const struct call *c)
{
	struct fent *e = NULL;
	struct fdesc *d;
	long r;
	int i = 0;

	if (c->kind == K_OPEN || c->kind == K_DUP) {
		for (i = 0; i < FAKE_FDS && f->fd[i].d; i++)
			;
		if (i == FAKE_FDS)
			return -EMFILE;
		e = &f->fd[i];
	}
	if (c->kind == K_OPEN) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return -ENOMEM;
		d->refs = 1;
		d->acc = c->flags & O_ACCMODE;
		e->d = d;
		e->dupped = false;
		return FAKE_FD0 + i;
	}
	if (c->fd < FAKE_FD0 || c->fd >= FAKE_FD0 + FAKE_FDS || !f->fd[c->fd - FAKE_FD0].d)
		return -EBADF;
	d = f->fd[c->fd - FAKE_FD0].d;
	switch (c->kind) {
	case K_CLOSE:
		if (!--d->refs)
			free(d);
		f->fd[c->fd - FAKE_FD0].d = NULL;
		return 0;
	case K_DUP:
		d->refs++;
		e->d = d;
		e->dupped = true;
		return FAKE_FD0 + i;
	case K_READ: case K_PREAD: case K_READV: case K_PREADV:
		return fake_read(f, d, c);
	case K_WRITE: case K_PWRITE: case K_WRITEV: case K_PWRITEV:
		return fake_write(f, d, c);
	case K_LSEEK:
		if (c->whence < 0 || c->whence > SEEK_MAX_)
			return -EINVAL;
		if (f->upstream)
			return -ESPIPE;
		r = seek_rule(d->pos, d->len, c->off, c->whence);
		if ((f->bugs & BUG_LSEEK_SKEW) && c->whence == SEEK_SET && r >= 0 &&
		    r < (long)d->len)
			r++;
		if (r >= 0)
			d->pos = r;
		return r;
	default:
		return fake_ioctl(f, &f->fd[c->fd - FAKE_FD0], c);
	}
}

static void fake_reset(struct fake *f)
{
	for (int i = 0; i < FAKE_FDS; i++) {
		if (f->fd[i].d && !--f->fd[i].d->refs)
			free(f->fd[i].d);
		f->fd[i].d = NULL;
	}
}

/* ------------------------------------------------------------ classes */

enum cls { C_HELLO, C_LLSEEK, C_BUFIOCTL, C_BADWRITE, C_BADREAD, C_SIZE, NCLASSES };

static const struct {
	const char *name, *reason;
} classes[NCLASSES] = {
	[C_HELLO] = { "hello-value",
		"HELLO returns 0 upstream and 100 in cmisc (the tutorial's value)" },
	[C_LLSEEK] = { "no-llseek",
		"upstream's file_operations have no llseek, so lseek(2) is ESPIPE on A; B seeks "
		"within [0, size] or fails with EINVAL, as cmisc documents; B is then put back" },
	[C_BUFIOCTL] = { "no-buffer-ioctls",
		"upstream has no WRITE_BUF/READ_BUF: ENOTTY on A; B answers as cmisc documents "
		"(EBADF, EFAULT, EFBIG, the count or 0); B's buffer is then put back" },
	[C_BADWRITE] = { "bad-pointer-write",
		"upstream empties its buffer and copies what it can: a write from a source that "
		"faults is short (0 for NULL or an unmapped page) and replaces the buffer; cmisc "
		"fails with EFAULT and keeps its buffer; B then gets what A kept" },
	[C_BADREAD] = { "bad-pointer-read",
		"a read whose first destination byte faults returns 0 upstream and EFAULT in "
		"cmisc; neither copies anything or moves" },
	[C_SIZE] = { "no-size-limit",
		"upstream has no max_size: it takes a write longer than B's max_size, which cmisc "
		"refuses with EFBIG keeping its buffer; A is then rolled back to that buffer" },
};

enum aspect { A_RESULT, A_BYTES, A_POSITION, A_MODEL, A_REPAIR, NASPECTS };

static const char *const aspects[NASPECTS] = {
	"result", "bytes", "position", "state", "repair",
};

/* ------------------------------------------------------------ the model */

struct mdesc {
	bool live;
	int refs, acc;		/* O_RDONLY, O_WRONLY or O_RDWR */
	bool pa, pb;		/* lseek(fd, 0, SEEK_CUR) answers on A, on B */
	size_t len;
	int64_t pos;		/* may lie past len after a pwrite */
	int32_t value;
	uint8_t data[CONTENT_MAX];
};

struct slot {
	bool open;
	int fda, fdb;
	int desc;
};

struct result {
	long r;
	uint8_t win[WIN];
	uint8_t tail[TAIL];
};

struct stats {
	uint64_t calls, identical, explained[NCLASSES], unexplained, skipped, repairs;
};

struct ctx {
	struct dev *a, *b;
	uint64_t seed;
	uint64_t b_max;		/* B's max_size */
	bool no_repair;		/* self-test: show that the repairs matter */
	bool trace;		/* print every call */
	struct slot slot[NSLOTS];
	struct mdesc desc[NSLOTS];
	struct result ra, rb;
	struct stats st;
	/* The run's unexplained difference, if any. */
	bool failed;
	uint32_t fail_index;
	int fail_kind, fail_aspect;
	char fail_msg[768];
	/* The current call, for the trace. */
	const char *verdict;
	char why[512];
};

static bool readable(const struct mdesc *d)
{
	return d->acc != O_WRONLY;
}

static bool writable(const struct mdesc *d)
{
	return d->acc != O_RDONLY;
}

/* A bounded string builder. */
struct sbuf {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->len + 1 >= sb->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len = sb->len + n < sb->size - 1 ? sb->len + n : sb->size - 1;
}

static const char *errname(int e)
{
	static const struct {
		int e;
		const char *name;
	} t[] = {
		{ EBADF, "EBADF" }, { EFAULT, "EFAULT" }, { EFBIG, "EFBIG" }, { ENOSPC, "ENOSPC" },
		{ EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" }, { ESPIPE, "ESPIPE" }, { ENOMEM, "ENOMEM" },
		{ ENOENT, "ENOENT" }, { EACCES, "EACCES" }, { EPERM, "EPERM" }, { EMFILE, "EMFILE" },
		{ EOVERFLOW, "EOVERFLOW" }, { EINTR, "EINTR" }, { ENODEV, "ENODEV" }, { ENXIO, "ENXIO" },
		{ EAGAIN, "EAGAIN" }, { EIO, "EIO" }, { EBUSY, "EBUSY" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (t[i].e == e)
			return t[i].name;
	return "errno";
}

static const char *fmt_r(char *buf, size_t size, long r)
{
	if (r < 0)
		snprintf(buf, size, "-1 %s (%ld)", errname((int)-r), -r);
	else
		snprintf(buf, size, "%ld", r);
	return buf;
}

static void fmt_flags(struct sbuf *sb, int flags)
{
	int acc = flags & O_ACCMODE;

	sb_printf(sb, "%s", acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" : "O_RDWR");
	if (flags & O_APPEND)
		sb_printf(sb, "|O_APPEND");
	if (flags & O_NONBLOCK)
		sb_printf(sb, "|O_NONBLOCK");
}

static void fmt_ptr(struct sbuf *sb, const struct seg *s, bool dst)
{
	switch (s->pc) {
	case P_NULL:
		sb_printf(sb, "NULL");
		break;
	case P_UNMAPPED:
		sb_printf(sb, "unmapped");
		break;
	case P_EDGE:
		sb_printf(sb, "%s-%u", dst ? "prot_none" : "unmapped", s->keep);
		break;
	default:
		sb_printf(sb, "%s+%u", dst ? "buf" : "src", s->off);
	}
}

static void fmt_argp(struct sbuf *sb, int pc, const char *valid)
{
	sb_printf(sb, "%s", pc == P_NULL ? "NULL" : pc == P_UNMAPPED ? "unmapped" : valid);
}

static const char *whence_name(int w)
{
	static const char *const n[] = { "SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE" };

	return w >= 0 && w < 5 ? n[w] : NULL;
}

/* A call as C, with the notation of --help. */
static const char *op_str(const struct op *op, char *buf, size_t size)
{
	struct sbuf sb = { buf, size, 0 };
	bool dst = is_read(op->kind) || op->kind == K_READ_BUF;
	const char *w;
	char tmp[32];

	buf[0] = 0;
	switch (op->kind) {
	case K_OPEN:
		sb_printf(&sb, "open(slot %u, ", op->slot);
		fmt_flags(&sb, op->flags);
		sb_printf(&sb, ")");
		break;
	case K_CLOSE:
		sb_printf(&sb, "close(slot %u)", op->slot);
		break;
	case K_DUP:
		sb_printf(&sb, "dup(slot %u) into slot %u", op->src, op->slot);
		break;
	case K_READ: case K_PREAD: case K_WRITE: case K_PWRITE:
		sb_printf(&sb, "%s(slot %u, ", kinds[op->kind].name, op->slot);
		fmt_ptr(&sb, &op->seg[0], dst);
		sb_printf(&sb, ", %u", op->seg[0].len);
		if (is_positional(op->kind))
			sb_printf(&sb, ", %" PRId64, op->off);
		sb_printf(&sb, ")");
		break;
	case K_READV: case K_PREADV: case K_WRITEV: case K_PWRITEV:
		sb_printf(&sb, "%s(slot %u, [", kinds[op->kind].name, op->slot);
		for (int i = 0; i < op->nseg; i++) {
			sb_printf(&sb, "%s{", i ? ", " : "");
			fmt_ptr(&sb, &op->seg[i], dst);
			sb_printf(&sb, ", %u}", op->seg[i].len);
		}
		sb_printf(&sb, "]");
		if (is_positional(op->kind))
			sb_printf(&sb, ", %" PRId64, op->off);
		sb_printf(&sb, ")");
		break;
	case K_LSEEK:
		w = whence_name(op->whence);
		sb_printf(&sb, "lseek(slot %u, %" PRId64 ", ", op->slot, op->off);
		if (w)
			sb_printf(&sb, "%s)", w);
		else
			sb_printf(&sb, "%d)", op->whence);
		break;
	case K_GET:
		sb_printf(&sb, "ioctl(slot %u, GET_VALUE, ", op->slot);
		snprintf(tmp, sizeof(tmp), "buf+%u", op->seg[0].off);
		fmt_argp(&sb, op->argpc, tmp);
		sb_printf(&sb, ")");
		break;
	case K_SET:
		sb_printf(&sb, "ioctl(slot %u, SET_VALUE, ", op->slot);
		snprintf(tmp, sizeof(tmp), "&%" PRId32, op->value);
		fmt_argp(&sb, op->argpc, tmp);
		sb_printf(&sb, ")");
		break;
	case K_HELLO:
		sb_printf(&sb, "ioctl(slot %u, HELLO)", op->slot);
		break;
	case K_UNKNOWN:
		sb_printf(&sb, "ioctl(slot %u, %#x (unknown), ", op->slot, op->cmd);
		fmt_argp(&sb, op->argpc, "buf+0");
		sb_printf(&sb, ")");
		break;
	case K_WRITE_BUF: case K_READ_BUF:
		sb_printf(&sb, "ioctl(slot %u, %s, ", op->slot,
			  op->kind == K_WRITE_BUF ? "WRITE_BUF" : "READ_BUF");
		if (op->argpc != P_VALID) {
			fmt_argp(&sb, op->argpc, "");
		} else {
			sb_printf(&sb, "&{");
			fmt_ptr(&sb, &op->seg[0], dst);
			sb_printf(&sb, ", %u}", op->seg[0].len);
		}
		sb_printf(&sb, ")");
		break;
	}
	return buf;
}

/*
 * The bytes a write-like call offers, in order, as far as they can be read
 * (*total gets the length asked for). Returns how many can be read.
 */
static size_t stream(const struct op *op, uint8_t *out, size_t *total)
{
	size_t acc = 0, t = 0;
	bool stop = false;

	for (int i = 0; i < op->nseg; i++) {
		const struct seg *s = &op->seg[i];
		size_t k;

		t += s->len;
		if (stop)
			continue;
		switch (s->pc) {
		case P_VALID:
			k = s->len;
			memcpy(out + acc, M.src + s->off, k);
			break;
		case P_EDGE:
			k = s->keep < s->len ? s->keep : s->len;
			memcpy(out + acc, M.edge_src + M.page - s->keep, k);
			break;
		default:
			k = 0;
		}
		acc += k;
		if (k < s->len)
			stop = true;
	}
	*total = t;
	return acc;
}

/*
 * The n bytes a read-like call put in user memory, in order, from the
 * snapshot of that memory; false if they cannot all have been copied.
 */
static bool landed(const struct op *op, int nseg, const struct result *res, size_t n,
		   uint8_t *out)
{
	size_t done = 0;

	for (int i = 0; i < nseg && done < n; i++) {
		const struct seg *s = &op->seg[i];
		size_t m = s->len < n - done ? s->len : n - done;

		if (!m)
			continue;
		switch (s->pc) {
		case P_VALID:
			memcpy(out + done, res->win + s->off, m);
			break;
		case P_EDGE:
			if (m > s->keep)
				return false;
			memcpy(out + done, res->tail + TAIL - s->keep, m);
			break;
		default:
			return false;
		}
		done += m;
	}
	return done == n;
}

/*
 * The file's state after op returned r on one side, whose user memory is
 * res; NULL, or why that result is impossible.
 */
static const char *apply(struct ctx *cx, struct mdesc *d, const struct op *op, long r,
			 const struct result *res)
{
	uint8_t buf[FAKE_MAX];
	size_t total = 0, acc;
	int64_t at;
	int32_t v;

	switch (op->kind) {
	case K_READ: case K_PREAD: case K_READV: case K_PREADV:
		if (r < 0)
			return NULL;
		if (!readable(d))
			return "a read succeeded on a file not open for reading";
		total = op_total(op);
		at = is_positional(op->kind) ? op->off : d->pos;
		if (!r)
			return NULL;
		if ((size_t)r > total || at < 0 || at >= (int64_t)d->len ||
		    (size_t)r > d->len - (size_t)at) {
			snprintf(cx->why, sizeof(cx->why), "%ld bytes read at position %" PRId64
				 " of a %zu-byte buffer", r, at, d->len);
			return cx->why;
		}
		if (!landed(op, op->nseg, res, r, buf))
			return "bytes read into memory that cannot take them";
		if (memcmp(buf, d->data + at, r)) {
			snprintf(cx->why, sizeof(cx->why), "the %ld bytes read at position %" PRId64
				 " are not the buffer's", r, at);
			return cx->why;
		}
		if (!is_positional(op->kind))
			d->pos = at + r;
		return NULL;
	case K_WRITE: case K_PWRITE: case K_WRITEV: case K_PWRITEV:
		if (r < 0)
			return NULL;
		if (!writable(d))
			return "a write succeeded on a file not open for writing";
		acc = stream(op, buf, &total);
		if (is_vector(op->kind) && !total)
			return r ? "an empty vector wrote something" : NULL;
		if ((size_t)r > acc) {
			snprintf(cx->why, sizeof(cx->why), "%ld bytes written, of which only %zu "
				 "of %zu can be read", r, acc, total);
			return cx->why;
		}
		memcpy(d->data, buf, r);
		d->len = r;
		/*
		 * write(2) stores the driver's position (0) only after a write of
		 * at least one byte (new_sync_write()); writev(2) whenever the
		 * driver did not fail (do_iter_readv_writev()). pwrite never.
		 */
		if (!is_positional(op->kind) && (is_vector(op->kind) || r > 0))
			d->pos = 0;
		return NULL;
	case K_LSEEK:
		if (r >= 0)
			d->pos = r;
		return NULL;
	case K_SET:
		if (r)
			return NULL;
		if (op->argpc != P_VALID)
			return "SET_VALUE succeeded from a bad pointer";
		d->value = op->value;
		return NULL;
	case K_GET:
		if (r)
			return NULL;
		if (op->argpc != P_VALID)
			return "GET_VALUE succeeded into a bad pointer";
		memcpy(&v, res->win + op->seg[0].off, sizeof(v));
		if (v != d->value) {
			snprintf(cx->why, sizeof(cx->why), "GET_VALUE gave %" PRId32
				 ", the last value set is %" PRId32, v, d->value);
			return cx->why;
		}
		return NULL;
	case K_WRITE_BUF:
		if (r)
			return NULL;
		if (!writable(d) || op->argpc != P_VALID)
			return "WRITE_BUF succeeded on a read-only file or from a bad pointer";
		acc = stream(op, buf, &total);
		if (acc < total)
			return "WRITE_BUF succeeded from a source that faults";
		memcpy(d->data, buf, total);
		d->len = total;
		if (total)
			d->pos = 0;
		return NULL;
	case K_READ_BUF:
		if (r <= 0)
			return NULL;
		if ((size_t)r > op->seg[0].len || (size_t)r > d->len)
			return "READ_BUF returned more than asked for or held";
		if (!landed(op, 1, res, r, buf))
			return "READ_BUF copied into memory that cannot take it";
		if (memcmp(buf, d->data, r))
			return "READ_BUF's bytes are not the buffer's";
		return NULL;
	}
	return NULL;
}

static bool same_state(const struct mdesc *x, const struct mdesc *y)
{
	return x->len == y->len && x->pos == y->pos && x->value == y->value &&
	       !memcmp(x->data, y->data, x->len);
}

/* Whether the destination's first byte to be written faults. */
static bool first_dst_faults(const struct op *op)
{
	for (int i = 0; i < op->nseg; i++) {
		if (!op->seg[i].len)
			continue;
		return op->seg[i].pc == P_NULL || op->seg[i].pc == P_UNMAPPED;
	}
	return false;
}

/* What cmisc documents for WRITE_BUF and READ_BUF (include/uapi/linux/cmisc.h). */
static long cmisc_buf_ioctl(const struct ctx *cx, const struct mdesc *d, const struct op *op)
{
	const struct seg *s = &op->seg[0];
	uint8_t buf[FAKE_MAX];
	size_t total, cnt;

	if (op->kind == K_WRITE_BUF) {
		if (!writable(d))
			return -EBADF;
		if (op->argpc != P_VALID)
			return -EFAULT;
		if (s->len > cx->b_max)
			return -EFBIG;
		return stream(op, buf, &total) < total ? -EFAULT : 0;
	}
	if (!readable(d))
		return -EBADF;
	if (op->argpc != P_VALID)
		return -EFAULT;
	cnt = s->len < d->len ? s->len : d->len;
	if (cnt && (s->pc == P_NULL || s->pc == P_UNMAPPED || (s->pc == P_EDGE && s->keep < cnt)))
		return -EFAULT;
	return cnt;
}

/*
 * The class of a difference, or -1. *a_ref tells which side did what both
 * should have done: A (B is repaired) or B (A is rolled back).
 */
static int classify(const struct ctx *cx, const struct op *op, const struct mdesc *d,
		    bool same_mem, bool *a_ref)
{
	long ra = cx->ra.r, rb = cx->rb.r;
	uint8_t buf[FAKE_MAX];
	size_t total = 0, acc;
	int64_t at;

	*a_ref = true;
	switch (op->kind) {
	case K_HELLO:
		if (ra == 0 && rb == CMISC_HELLO_VALUE && same_mem)
			return C_HELLO;
		break;
	case K_LSEEK:
		if (ra == -ESPIPE && same_mem && op->whence >= 0 && op->whence <= SEEK_MAX_ &&
		    rb == seek_rule(d->pos, d->len, op->off, op->whence))
			return C_LLSEEK;
		break;
	case K_WRITE_BUF: case K_READ_BUF:
		/* B's READ_BUF may have copied part of a faulting range: no memcmp. */
		if (ra == -ENOTTY && rb == cmisc_buf_ioctl(cx, d, op))
			return C_BUFIOCTL;
		break;
	case K_WRITE: case K_PWRITE: case K_WRITEV: case K_PWRITEV:
		if (!same_mem || !writable(d))
			break;
		acc = stream(op, buf, &total);
		if (rb == -EFBIG && total > cx->b_max && ra >= 0) {
			*a_ref = false;
			return C_SIZE;
		}
		if (rb == -EFAULT && acc < total && ra >= 0 && (size_t)ra < total &&
		    (size_t)ra <= acc && total <= cx->b_max)
			return C_BADWRITE;
		break;
	case K_READ: case K_PREAD: case K_READV: case K_PREADV:
		at = is_positional(op->kind) ? op->off : d->pos;
		if (rb == -EFAULT && ra == 0 && same_mem && readable(d) && op_total(op) &&
		    at >= 0 && at < (int64_t)d->len && first_dst_faults(op))
			return C_BADREAD;
		break;
	}
	return -1;
}

/* ------------------------------------------------------------ running */

/* Where the runs print: stdout, or the self-test's buffer. */
static FILE *out_f;

static void __attribute__((format(printf, 5, 6)))
unexplained(struct ctx *cx, const struct op *op, uint32_t index, int aspect, const char *fmt, ...)
{
	struct sbuf sb = { cx->fail_msg, sizeof(cx->fail_msg), 0 };
	char what[256];
	va_list ap;

	cx->st.unexplained++;
	cx->verdict = "UNEXPLAINED";
	if (cx->failed)
		return;
	cx->failed = true;
	cx->fail_index = index;
	cx->fail_kind = op->kind;
	cx->fail_aspect = aspect;
	sb_printf(&sb, "call %u, %s: ", index + 1, op_str(op, what, sizeof(what)));
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	sb_printf(&sb, "%s: %s", aspects[aspect], what);
}

/* Compare the positions both sides can tell with the model's. */
static const char *check_positions(struct ctx *cx, const struct slot *sl, const struct mdesc *d)
{
	long p;

	if (d->pb) {
		p = xcall(cx->b, K_LSEEK, sl->fdb, NULL, 0, 0, SEEK_CUR);
		if (p != d->pos) {
			snprintf(cx->why, sizeof(cx->why), "B's position is %ld, the results say %"
				 PRId64, p, d->pos);
			return cx->why;
		}
	}
	if (d->pa) {
		p = xcall(cx->a, K_LSEEK, sl->fda, NULL, 0, 0, SEEK_CUR);
		if (p != d->pos) {
			snprintf(cx->why, sizeof(cx->why), "A's position is %ld, the results say %"
				 PRId64, p, d->pos);
			return cx->why;
		}
	}
	return NULL;
}

/*
 * Bring one side's file (fd) to the model's state d, from the position cur:
 * its buffer (when content, or when the position must be rebuilt) and its
 * position. Only calls whose outcome the model predicts exactly.
 */
static const char *restore(struct ctx *cx, struct dev *dv, bool seekable, int fd,
			   const struct mdesc *d, int64_t cur, bool content)
{
	long r;

#define EXPECT(call, want, what) do {							\
		cx->st.repairs++;							\
		r = (call);								\
		if (r != (long)(want)) {						\
			snprintf(cx->why, sizeof(cx->why), "repairing %s: %s returned %ld, " \
				 "not %ld", dv->name, what, r, (long)(want));		\
			return cx->why;							\
		}									\
	} while (0)

	if (!writable(d)) {
		if (d->len)
			return "a read-only file holds data";
		if (cur == d->pos)
			return NULL;
		if (!seekable)
			return "a read-only file cannot be moved without lseek";
		EXPECT(xcall(dv, K_LSEEK, fd, NULL, 0, d->pos, SEEK_SET), d->pos, "lseek");
		return NULL;
	}
	if (cur != d->pos && !content && seekable && d->pos <= (int64_t)d->len) {
		EXPECT(xcall(dv, K_LSEEK, fd, NULL, 0, d->pos, SEEK_SET), d->pos, "lseek");
		return NULL;
	}
	if (cur != d->pos) {
		/* A buffer at least as long as the position, then the position, then the buffer. */
		size_t p = d->pos ? (size_t)d->pos : 1;

		if (p > FILLER)
			return "the position is beyond what a repair can rebuild";
		EXPECT(xcall(dv, K_WRITE, fd, M.filler, p, 0, 0), p, "write of filler");
		if (seekable)
			EXPECT(xcall(dv, K_LSEEK, fd, NULL, 0, d->pos, SEEK_SET), d->pos, "lseek");
		else if (readable(d) && d->pos)
			EXPECT(xcall(dv, K_READ, fd, M.scratch, p, 0, 0), p, "read");
		else if (d->pos)
			return "a write-only file cannot be moved without lseek";
	}
	/* pwrite replaces the buffer and keeps the position. */
	EXPECT(xcall(dv, K_PWRITE, fd, d->data, d->len, 0, 0), d->len, "pwrite of the buffer");
	return NULL;
#undef EXPECT
}

/* Materialise op's pointers and arguments; the same addresses for both sides. */
static void build_call(const struct op *op, struct call *c)
{
	bool dst = is_read(op->kind) || op->kind == K_READ_BUF;
	struct cmisc_buf b;

	memset(c, 0, sizeof(*c));
	c->kind = op->kind;
	c->niov = op->nseg;
	c->off = op->off;
	c->whence = op->whence;
	for (int i = 0; i < op->nseg; i++) {
		c->iov[i].iov_base = seg_ptr(&op->seg[i], dst);
		c->iov[i].iov_len = op->seg[i].len;
	}
	switch (op->kind) {
	case K_GET:
		c->cmd = CMISC_IOC_GET_VALUE;
		c->arg = arg_ptr(op->argpc, M.win + op->seg[0].off);
		break;
	case K_SET:
		c->cmd = CMISC_IOC_SET_VALUE;
		memcpy(M.arg, &op->value, sizeof(op->value));
		c->arg = arg_ptr(op->argpc, M.arg);
		break;
	case K_HELLO:
		c->cmd = CMISC_IOC_HELLO;
		break;
	case K_UNKNOWN:
		c->cmd = op->cmd;
		c->arg = arg_ptr(op->argpc, M.win);
		break;
	case K_WRITE_BUF: case K_READ_BUF:
		c->cmd = op->kind == K_WRITE_BUF ? CMISC_IOC_WRITE_BUF : CMISC_IOC_READ_BUF;
		b.ptr = (uintptr_t)c->iov[0].iov_base;
		b.len = op->seg[0].len;
		memcpy(M.arg + 16, &b, sizeof(b));
		c->arg = arg_ptr(op->argpc, M.arg + 16);
		break;
	}
}

static void side_call(struct dev *dv, int fd, struct call *c, struct result *res)
{
	uint8_t *tail = M.edge_dst + M.page - TAIL;

	memset(M.win, 0xcc, WIN);
	memset(tail, 0xcc, TAIL);
	c->fd = fd;
	res->r = dev_do(dv, c);
	memcpy(res->win, M.win, WIN);
	memcpy(res->tail, tail, TAIL);
}

static int desc_alloc(struct ctx *cx)
{
	for (int i = 0; i < NSLOTS; i++)
		if (!cx->desc[i].live)
			return i;
	return -1;
}

/* Close a slot on both sides, outside the comparison. */
static void slot_drop(struct ctx *cx, int i)
{
	struct slot *sl = &cx->slot[i];

	if (!sl->open)
		return;
	xcall(cx->a, K_CLOSE, sl->fda, NULL, 0, 0, 0);
	xcall(cx->b, K_CLOSE, sl->fdb, NULL, 0, 0, 0);
	if (!--cx->desc[sl->desc].refs)
		cx->desc[sl->desc].live = false;
	sl->open = false;
}

static void close_all(struct ctx *cx)
{
	for (int i = 0; i < NSLOTS; i++)
		slot_drop(cx, i);
	if (cx->a->fake)
		fake_reset(cx->a->fake);
	if (cx->b->fake)
		fake_reset(cx->b->fake);
}

/* open and dup: both succeed, or both fail alike. */
static void step_fd(struct ctx *cx, const struct op *op, uint32_t index)
{
	struct slot *sl = &cx->slot[op->slot], *src = &cx->slot[op->src];
	struct call c = { .kind = op->kind, .flags = op->flags };
	char sa[48], sb[48];
	struct mdesc *d;
	long ra, rb;
	int di;

	if (op->kind == K_DUP && (!src->open || op->src == op->slot)) {
		cx->st.skipped++;
		cx->verdict = "skipped: slot closed";
		return;
	}
	slot_drop(cx, op->slot);	/* a slot in use is closed first, uncounted */
	cx->st.calls++;
	if (op->kind == K_DUP) {
		c.fd = src->fda;
		ra = dev_do(cx->a, &c);
		c.fd = src->fdb;
		rb = dev_do(cx->b, &c);
	} else {
		ra = dev_do(cx->a, &c);
		rb = dev_do(cx->b, &c);
	}
	cx->ra.r = ra;
	cx->rb.r = rb;
	if ((ra >= 0) != (rb >= 0) || (ra < 0 && ra != rb)) {
		if (ra >= 0)
			xcall(cx->a, K_CLOSE, ra, NULL, 0, 0, 0);
		if (rb >= 0)
			xcall(cx->b, K_CLOSE, rb, NULL, 0, 0, 0);
		unexplained(cx, op, index, A_RESULT, "A %s, B %s", fmt_r(sa, sizeof(sa), ra),
			    fmt_r(sb, sizeof(sb), rb));
		return;
	}
	cx->verdict = "identical";
	if (ra < 0) {
		cx->st.identical++;
		return;
	}
	sl->open = true;
	sl->fda = ra;
	sl->fdb = rb;
	if (op->kind == K_DUP) {
		sl->desc = src->desc;
		cx->desc[sl->desc].refs++;
		cx->st.identical++;
		return;
	}
	di = desc_alloc(cx);
	d = &cx->desc[di];
	memset(d, 0, sizeof(*d));
	d->live = true;
	d->refs = 1;
	d->acc = op->flags & O_ACCMODE;
	sl->desc = di;
	/* Which sides can tell their position; where they can, it must be 0. */
	ra = xcall(cx->a, K_LSEEK, sl->fda, NULL, 0, 0, SEEK_CUR);
	rb = xcall(cx->b, K_LSEEK, sl->fdb, NULL, 0, 0, SEEK_CUR);
	d->pa = ra >= 0;
	d->pb = rb >= 0;
	if (ra > 0 || rb > 0) {
		unexplained(cx, op, index, A_POSITION, "a new file's position is %ld on A, %ld on B",
			    ra, rb);
		return;
	}
	cx->st.identical++;
}

static void step(struct ctx *cx, const struct op *op, uint32_t index)
{
	struct slot *sl = &cx->slot[op->slot];
	struct mdesc *d, before, after_a, after_b;
	char sa[48], sb[48];
	struct call c;
	const char *why;
	bool same_mem, a_ref;
	long ra, rb;
	int cls;

	if (op->kind == K_OPEN || op->kind == K_DUP) {
		step_fd(cx, op, index);
		return;
	}
	if (!sl->open) {
		cx->st.skipped++;
		cx->verdict = "skipped: slot closed";
		return;
	}
	cx->st.calls++;
	if (op->kind == K_CLOSE) {
		ra = xcall(cx->a, K_CLOSE, sl->fda, NULL, 0, 0, 0);
		rb = xcall(cx->b, K_CLOSE, sl->fdb, NULL, 0, 0, 0);
		cx->ra.r = ra;
		cx->rb.r = rb;
		if (!--cx->desc[sl->desc].refs)
			cx->desc[sl->desc].live = false;
		sl->open = false;
		if (ra != rb) {
			unexplained(cx, op, index, A_RESULT, "A %s, B %s",
				    fmt_r(sa, sizeof(sa), ra), fmt_r(sb, sizeof(sb), rb));
			return;
		}
		cx->verdict = "identical";
		cx->st.identical++;
		return;
	}

	d = &cx->desc[sl->desc];
	before = *d;
	build_call(op, &c);
	side_call(cx->a, sl->fda, &c, &cx->ra);
	side_call(cx->b, sl->fdb, &c, &cx->rb);
	ra = cx->ra.r;
	rb = cx->rb.r;
	same_mem = !memcmp(cx->ra.win, cx->rb.win, WIN) && !memcmp(cx->ra.tail, cx->rb.tail, TAIL);

	if (ra == rb && same_mem) {
		why = apply(cx, d, op, ra, &cx->ra);
		if (why) {
			unexplained(cx, op, index, A_MODEL, "both return %s, but the state their "
				    "results imply does not hold: %s", fmt_r(sa, sizeof(sa), ra), why);
			return;
		}
		why = check_positions(cx, sl, d);
		if (why) {
			unexplained(cx, op, index, A_POSITION, "both return %s, but %s",
				    fmt_r(sa, sizeof(sa), ra), why);
			return;
		}
		cx->verdict = "identical";
		cx->st.identical++;
		return;
	}

	cls = classify(cx, op, &before, same_mem, &a_ref);
	if (cls < 0) {
		if (ra == rb)
			unexplained(cx, op, index, A_BYTES, "both return %s, but the bytes "
				    "copied out differ", fmt_r(sa, sizeof(sa), ra));
		else
			unexplained(cx, op, index, A_RESULT, "A %s, B %s",
				    fmt_r(sa, sizeof(sa), ra), fmt_r(sb, sizeof(sb), rb));
		return;
	}
	after_a = before;
	after_b = before;
	why = apply(cx, &after_a, op, ra, &cx->ra);
	if (!why)
		why = apply(cx, &after_b, op, rb, &cx->rb);
	if (why) {
		unexplained(cx, op, index, A_MODEL, "%s, but the state the results imply does "
			    "not hold: %s", classes[cls].name, why);
		return;
	}
	if (a_ref) {
		*d = after_a;
		if (!cx->no_repair && !same_state(&after_a, &after_b))
			why = restore(cx, cx->b, d->pb, sl->fdb, d, after_b.pos,
				      after_a.len != after_b.len ||
				      memcmp(after_a.data, after_b.data, after_a.len));
	} else {
		*d = after_b;
		if (!cx->no_repair && !same_state(&after_a, &after_b))
			why = restore(cx, cx->a, d->pa, sl->fda, d, after_a.pos, true);
	}
	if (!why)
		why = check_positions(cx, sl, d);
	if (why) {
		unexplained(cx, op, index, A_REPAIR, "%s, then %s", classes[cls].name, why);
		return;
	}
	cx->verdict = classes[cls].name;
	cx->st.explained[cls]++;
}

static void stats_reset(struct ctx *cx)
{
	memset(&cx->st, 0, sizeof(cx->st));
	cx->failed = false;
	cx->fail_msg[0] = 0;
}

/*
 * Run ops[idx[0..n)] (all of ops[0..n) if idx is NULL) on fresh files,
 * stopping at the first unexplained difference; everything is closed at
 * the end. With trace, print each call.
 */
static void run_seq(struct ctx *cx, const struct op *ops, const uint32_t *idx, size_t n)
{
	char what[256], sa[48], sb[48];

	stats_reset(cx);
	close_all(cx);
	memset(cx->desc, 0, sizeof(cx->desc));
	fill_sources(cx->seed);
	for (size_t i = 0; i < n && !cx->failed; i++) {
		uint32_t k = idx ? idx[i] : (uint32_t)i;

		cx->verdict = "";
		step(cx, &ops[k], k);
		if (cx->trace)
			fprintf(out_f, "#   %3zu. call %u: %s -> A %s, B %s: %s\n", i + 1, k + 1,
			       op_str(&ops[k], what, sizeof(what)), fmt_r(sa, sizeof(sa), cx->ra.r),
			       fmt_r(sb, sizeof(sb), cx->rb.r), cx->verdict);
	}
	if (cx->failed && cx->trace)
		fprintf(out_f, "#        %s\n", cx->fail_msg);
	close_all(cx);
}

/* ------------------------------------------------------------ generation */

static uint64_t rnd(uint64_t *s)
{
	return next64(s);
}

static uint16_t pick_len(uint64_t *s)
{
	unsigned int x = rnd(s) % 100;

	if (x < 8)
		return 0;
	if (x < 48)
		return 1 + rnd(s) % 16;
	if (x < 80)
		return 17 + rnd(s) % 112;
	return 129 + rnd(s) % (MAXLEN - 128);
}

/* Lay out n bytes over nseg segments; dst: consecutive in the window, with gaps. */
static void pick_segs(uint64_t *s, struct op *op, int nseg, size_t n, bool dst)
{
	size_t left = n, at = rnd(s) % 16;

	op->nseg = nseg;
	for (int i = 0; i < nseg; i++) {
		struct seg *g = &op->seg[i];
		size_t len = i == nseg - 1 ? left : rnd(s) % (left + 1);

		left -= len;
		g->pc = P_VALID;
		g->len = len;
		if (dst) {
			g->off = at;
			at += len + rnd(s) % 8;
		} else {
			g->off = rnd(s) % (SRC_SIZE - MAXLEN);
		}
	}
	/* Now and then one segment points where nothing can be copied. */
	if (rnd(s) % 100 < 7) {
		struct seg *g = &op->seg[rnd(s) % nseg];
		unsigned int x = rnd(s) % 3;

		if (x == 2 && g->len >= 2) {
			g->pc = P_EDGE;
			g->keep = 1 + rnd(s) % (g->len - 1);
		} else {
			g->pc = x == 1 ? P_UNMAPPED : P_NULL;
			g->off = rnd(s) % 64;
		}
	}
}

static int pick_argpc(uint64_t *s)
{
	unsigned int x = rnd(s) % 100;

	return x < 5 ? P_NULL : x < 10 ? P_UNMAPPED : P_VALID;
}

static bool known_cmd(uint32_t cmd)
{
	return cmd == CMISC_IOC_HELLO || cmd == CMISC_IOC_GET_VALUE || cmd == CMISC_IOC_SET_VALUE ||
	       cmd == CMISC_IOC_WRITE_BUF || cmd == CMISC_IOC_READ_BUF;
}

static uint32_t pick_cmd(uint64_t *s)
{
	/* Near the known numbers: other sizes, directions, numbers, magic. */
	static const uint32_t near[] = {
		CMISC_IOC_FAIL,
		_IO(CMISC_IOC_MAGIC, 0x7f),
		_IO(CMISC_IOC_MAGIC, 0x85),
		_IOR(CMISC_IOC_MAGIC, 0x80, __s32),
		_IO(CMISC_IOC_MAGIC, 0x81),
		_IOW(CMISC_IOC_MAGIC, 0x81, __s32),
		_IOWR(CMISC_IOC_MAGIC, 0x81, __s32),
		_IOR(CMISC_IOC_MAGIC, 0x81, __s64),
		_IOR(CMISC_IOC_MAGIC, 0x82, __s32),
		_IOW(CMISC_IOC_MAGIC, 0x82, __s64),
		_IOR(CMISC_IOC_MAGIC, 0x83, struct cmisc_buf),
		_IOWR(CMISC_IOC_MAGIC, 0x84, struct cmisc_buf),
		_IOR(CMISC_IOC_MAGIC + 1, 0x81, __s32),
	};
	uint32_t cmd;

	if (rnd(s) % 2)
		return near[rnd(s) % ARRAY_SIZE(near)];
	do
		cmd = _IOC(rnd(s) % 4, CMISC_IOC_MAGIC, rnd(s) % 256, rnd(s) % 64);
	while (known_cmd(cmd));
	return cmd;
}

static int64_t pick_off(uint64_t *s)
{
	unsigned int x = rnd(s) % 100;

	if (x < 10)
		return rnd(s) % 8;
	if (x < 16)
		return -(int64_t)(1 + rnd(s) % 4);
	if (x < 20)
		return (1 << 20) + rnd(s) % 4096;
	return rnd(s) % 320;
}

static int pick_slot(uint64_t *s, const bool *open, bool want_open)
{
	int cand[NSLOTS], n = 0;

	for (int i = 0; i < NSLOTS; i++)
		if (open[i] == want_open)
			cand[n++] = i;
	return n ? cand[rnd(s) % n] : (int)(rnd(s) % NSLOTS);
}

/*
 * The seed's calls. Prefix-stable: the first n calls of a longer sequence
 * are the n calls of a shorter one, so --calls N --keep replays them.
 */
static void gen_ops(uint64_t seed, struct op *ops, size_t n)
{
	uint64_t s = seed * 0x2545f4914f6cdd1dULL + 0x1234567;
	bool open[NSLOTS] = { false };
	unsigned int sum = 0;

	for (int k = 0; k < NKINDS; k++)
		sum += kinds[k].weight;
	for (size_t i = 0; i < n; i++) {
		struct op *op = &ops[i];
		unsigned int x = rnd(&s) % sum, nopen = 0;
		int k, acc;

		memset(op, 0, sizeof(*op));
		for (k = 0; x >= kinds[k].weight; k++)
			x -= kinds[k].weight;
		for (int j = 0; j < NSLOTS; j++)
			nopen += open[j];
		if (!nopen && k != K_OPEN)
			k = K_OPEN;
		if (k == K_CLOSE && nopen == 1)
			k = K_OPEN;
		op->kind = k;
		op->nseg = 1;
		switch (k) {
		case K_OPEN:
			op->slot = pick_slot(&s, open, false);
			x = rnd(&s) % 4;
			acc = x == 0 ? O_RDONLY : x == 1 ? O_WRONLY : O_RDWR;
			op->flags = acc | (rnd(&s) % 4 ? 0 : O_APPEND) | (rnd(&s) % 4 ? 0 : O_NONBLOCK);
			open[op->slot] = true;
			continue;
		case K_CLOSE:
			op->slot = pick_slot(&s, open, true);
			open[op->slot] = false;
			continue;
		case K_DUP:
			op->src = pick_slot(&s, open, true);
			do
				op->slot = rnd(&s) % NSLOTS;
			while (op->slot == op->src);
			open[op->slot] = true;
			continue;
		}
		op->slot = pick_slot(&s, open, true);
		switch (k) {
		case K_READ: case K_PREAD: case K_WRITE: case K_PWRITE:
			pick_segs(&s, op, 1, pick_len(&s), is_read(k));
			break;
		case K_READV: case K_PREADV: case K_WRITEV: case K_PWRITEV:
			pick_segs(&s, op, 1 + rnd(&s) % MAXSEG, pick_len(&s), is_read(k));
			break;
		case K_LSEEK:
			x = rnd(&s) % 100;
			op->whence = x < 30 ? SEEK_SET : x < 60 ? SEEK_CUR : x < 85 ? SEEK_END :
				     x < 95 ? 3 + (int)(rnd(&s) % 2) : 5 + (int)(rnd(&s) % 3);
			if (rnd(&s) % 4 == 0)
				op->off = 0;
			else if (op->whence == SEEK_SET)
				op->off = (int64_t)(rnd(&s) % 340) - 20;
			else
				op->off = (int64_t)(rnd(&s) % 81) - 40;
			break;
		case K_GET:
			op->argpc = pick_argpc(&s);
			op->seg[0].off = 4 * (rnd(&s) % 64);
			break;
		case K_SET:
			op->argpc = pick_argpc(&s);
			op->value = rnd(&s) % 2 ? (int32_t)(rnd(&s) % 201) - 100 : (int32_t)rnd(&s);
			break;
		case K_UNKNOWN:
			op->cmd = pick_cmd(&s);
			op->argpc = rnd(&s) % 4 ? P_VALID : P_NULL;
			break;
		case K_WRITE_BUF: case K_READ_BUF:
			op->argpc = pick_argpc(&s);
			pick_segs(&s, op, 1, pick_len(&s), k == K_READ_BUF);
			break;
		}
		if (is_positional(k))
			op->off = pick_off(&s);
	}
}

/* ------------------------------------------------------------ minimising */

struct minimiser {
	unsigned int attempts, max_attempts;
	uint64_t calls, max_calls;
	int kind, aspect;
};

/* Does the subset still show an unexplained difference of the same kind? */
static bool reproduces(struct ctx *cx, struct minimiser *mz, const struct op *ops,
		       const uint32_t *idx, size_t n)
{
	bool trace = cx->trace;

	mz->attempts++;
	cx->trace = false;
	run_seq(cx, ops, idx, n);
	cx->trace = trace;
	mz->calls += cx->st.calls;
	return cx->failed && cx->fail_kind == mz->kind && cx->fail_aspect == mz->aspect;
}

/* Delta debugging (complements only): a 1-minimal subset, within the budget. */
static size_t ddmin(struct ctx *cx, struct minimiser *mz, const struct op *ops, uint32_t *idx,
		    size_t n, bool *minimal)
{
	uint32_t *tmp = malloc((n ? n : 1) * sizeof(*tmp));
	size_t gran = 2;

	*minimal = false;
	if (!tmp)
		return n;
	while (n >= 2) {
		size_t chunk = (n + gran - 1) / gran;
		bool reduced = false;

		for (size_t start = 0; start < n; start += chunk) {
			size_t m = 0;

			if (mz->attempts >= mz->max_attempts || mz->calls >= mz->max_calls)
				goto out;
			for (size_t i = 0; i < n; i++)
				if (i < start || i >= start + chunk)
					tmp[m++] = idx[i];
			if (m && reproduces(cx, mz, ops, tmp, m)) {
				memcpy(idx, tmp, m * sizeof(*idx));
				n = m;
				gran = gran > 2 ? gran - 1 : 2;
				reduced = true;
				break;
			}
		}
		if (!reduced) {
			if (gran >= n)
				break;
			gran = 2 * gran < n ? 2 * gran : n;
		}
	}
	*minimal = true;
out:
	if (n == 1)
		*minimal = true;
	free(tmp);
	return n;
}

/*
 * The shortest sequence found that still shows the failure of the last
 * run (cx->fail_*): the prefix up to the failing call, then only the slots
 * that share files with the failing one, then ddmin. Returns its length in
 * idx (which holds fail_index + 1 entries).
 */
static size_t minimise(struct ctx *cx, struct minimiser *mz, const struct op *ops, uint32_t *idx,
		       bool *minimal)
{
	uint32_t f = cx->fail_index, *sub;
	unsigned int mask = 1u << ops[f].slot;
	size_t n = f + 1, m = 0;
	bool changed = true;

	mz->kind = cx->fail_kind;
	mz->aspect = cx->fail_aspect;
	for (uint32_t i = 0; i <= f; i++)
		idx[i] = i;
	if (ops[f].kind == K_DUP)
		mask |= 1u << ops[f].src;
	while (changed) {
		changed = false;
		for (uint32_t i = 0; i < f; i++) {
			unsigned int both = (1u << ops[i].slot) | (1u << ops[i].src);

			if (ops[i].kind == K_DUP && (mask & both) && (mask | both) != mask) {
				mask |= both;
				changed = true;
			}
		}
	}
	sub = malloc(n * sizeof(*sub));
	if (sub) {
		for (uint32_t i = 0; i <= f; i++)
			if (mask & ((1u << ops[i].slot) | (ops[i].kind == K_DUP ? 1u << ops[i].src : 0)))
				sub[m++] = i;
		if (m < n && reproduces(cx, mz, ops, sub, m)) {
			memcpy(idx, sub, m * sizeof(*idx));
			n = m;
		}
		free(sub);
	}
	return ddmin(cx, mz, ops, idx, n, minimal);
}

/* ------------------------------------------------------------ the runs */

struct opts {
	uint64_t first_seed;
	unsigned int nseeds;
	size_t calls;
	const char *dev_a, *dev_b;
	uint64_t b_max;
	bool b_max_given;
	bool trace, minimise, fake;
	unsigned int bugs;
	unsigned int max_attempts;
	uint64_t max_calls;	/* minimiser's budget of calls per failing seed */
	uint32_t *keep;		/* 0-based call indices to replay, sorted */
	size_t nkeep;
	bool quiet;		/* self-test: no per-seed output */
};

struct outcome {
	struct stats total;
	unsigned int seeds_failed;
	/* The kinds of failure minimised so far: each is minimised once. */
	bool minimised[NKINDS][NASPECTS];
	uint64_t minimised_seed[NKINDS][NASPECTS];
	/* The first failure, minimised. */
	bool have_fail;
	uint64_t fail_seed;
	uint32_t fail_index;
	int fail_kind, fail_aspect;
	size_t min_len;
	bool min_proven;
	uint32_t min_idx[16];
};

static void stats_add(struct stats *t, const struct stats *s)
{
	t->calls += s->calls;
	t->identical += s->identical;
	t->unexplained += s->unexplained;
	t->skipped += s->skipped;
	t->repairs += s->repairs;
	for (int i = 0; i < NCLASSES; i++)
		t->explained[i] += s->explained[i];
}

static void fmt_stats(struct sbuf *sb, const struct stats *s)
{
	uint64_t ex = 0;

	for (int i = 0; i < NCLASSES; i++)
		ex += s->explained[i];
	sb_printf(sb, "%" PRIu64 " calls, %" PRIu64 " identical, %" PRIu64 " explained (", s->calls,
		  s->identical, ex);
	for (int i = 0; i < NCLASSES; i++)
		sb_printf(sb, "%s%s: %" PRIu64, i ? ", " : "", classes[i].name, s->explained[i]);
	sb_printf(sb, "), %" PRIu64 " unexplained", s->unexplained);
}

static const char *bug_names(unsigned int set, char *buf, size_t size)
{
	struct sbuf sb = { buf, size, 0 };

	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bugs); i++)
		if (set & bugs[i].bit)
			sb_printf(&sb, "%s%s", sb.len ? "," : "", bugs[i].name);
	return buf;
}

/* One seed: run, and on an unexplained difference minimise and print it. */
static bool run_seed(struct ctx *cx, const struct opts *o, uint64_t seed, unsigned int tapno,
		     struct op *ops, uint32_t *idx, struct outcome *out)
{
	char line[1024], what[256];
	struct sbuf sb = { line, sizeof(line), 0 };
	struct minimiser mz = { .max_attempts = o->max_attempts, .max_calls = o->max_calls };
	struct stats st;
	size_t n;
	bool minimal;
	uint32_t fail_index;
	int fail_kind, fail_aspect;

	cx->seed = seed;
	gen_ops(seed, ops, o->calls);
	if (o->keep && !o->quiet)
		fprintf(out_f, "# seed %" PRIu64 ": replaying %zu of its first %zu calls\n", seed, o->nkeep,
		       o->calls);
	cx->trace = o->trace || o->keep;
	run_seq(cx, ops, o->keep, o->keep ? o->nkeep : o->calls);
	cx->trace = o->trace;
	st = cx->st;
	stats_add(&out->total, &st);
	fmt_stats(&sb, &st);
	if (!o->quiet)
		fprintf(out_f, "# seed %" PRIu64 ": %s; %" PRIu64 " repair calls\n", seed, line, st.repairs);
	if (!hole_unmapped()) {
		fprintf(out_f, "# the unmapped page got mapped during the run: the bad-pointer calls are void\n");
		cx->failed = true;
		out->total.unexplained++;
	}
	if (!cx->failed) {
		if (!o->quiet)
			fprintf(out_f, "ok %u compare.seed_%" PRIu64 "\n", tapno, seed);
		return true;
	}
	out->seeds_failed++;
	fail_index = cx->fail_index;
	fail_kind = cx->fail_kind;
	fail_aspect = cx->fail_aspect;
	if (!o->quiet)
		fprintf(out_f, "# seed %" PRIu64 ": UNEXPLAINED at %s\n", seed, cx->fail_msg);
	if (o->minimise && !o->keep && out->minimised[fail_kind][fail_aspect] && !o->quiet) {
		fprintf(out_f, "# seed %" PRIu64 ": the same kind of difference (%s, %s) as seed %"
			PRIu64 ", minimised there; replay this one with: compare%s%s%s --seed %"
			PRIu64 " --calls %u\n", seed, kinds[fail_kind].name, aspects[fail_aspect],
			out->minimised_seed[fail_kind][fail_aspect], o->fake ? " --fake" : "",
			o->bugs ? " --inject " : "", o->bugs ? bug_names(o->bugs, what,
			sizeof(what)) : "", seed, fail_index + 1);
	} else if (o->minimise && !o->keep) {
		out->minimised[fail_kind][fail_aspect] = true;
		out->minimised_seed[fail_kind][fail_aspect] = seed;
		n = minimise(cx, &mz, ops, idx, &minimal);
		if (!o->quiet) {
			fprintf(out_f, "# seed %" PRIu64 ": the shortest sequence found has %zu call%s (of %u; %u "
			       "attempts, %" PRIu64 " calls%s):\n", seed, n, n == 1 ? "" : "s",
			       fail_index + 1, mz.attempts, mz.calls,
			       minimal ? ", 1-minimal" : ", budget spent: not proven 1-minimal");
			cx->trace = true;
			run_seq(cx, ops, idx, n);
			cx->trace = o->trace;
			sb.len = 0;
			line[0] = 0;
			for (size_t i = 0; i < n; i++)
				sb_printf(&sb, "%s%u", i ? "," : "", idx[i] + 1);
			fprintf(out_f, "# seed %" PRIu64 ": replay with: compare%s%s%s --seed %" PRIu64
			       " --calls %u --keep %s\n", seed, o->fake ? " --fake" : "",
			       o->bugs ? " --inject " : "", o->bugs ? bug_names(o->bugs, what,
			       sizeof(what)) : "", seed, fail_index + 1, line);
		}
		if (!out->have_fail) {
			out->have_fail = true;
			out->fail_seed = seed;
			out->fail_index = fail_index;
			out->fail_kind = fail_kind;
			out->fail_aspect = fail_aspect;
			out->min_len = n;
			out->min_proven = minimal;
			for (size_t i = 0; i < n && i < ARRAY_SIZE(out->min_idx); i++)
				out->min_idx[i] = idx[i];
		}
	}
	if (!o->quiet)
		fprintf(out_f, "not ok %u compare.seed_%" PRIu64 "\n", tapno, seed);
	return false;
}

static int run_all(struct ctx *cx, const struct opts *o, struct outcome *out)
{
	struct op *ops = calloc(o->calls ? o->calls : 1, sizeof(*ops));
	uint32_t *idx = calloc(o->calls ? o->calls : 1, sizeof(*idx));
	unsigned int ok = 0;

	memset(out, 0, sizeof(*out));
	if (!ops || !idx) {
		free(ops);
		free(idx);
		return -1;
	}
	for (unsigned int i = 0; i < o->nseeds; i++)
		ok += run_seed(cx, o, o->first_seed + i, i + 1, ops, idx, out);
	free(ops);
	free(idx);
	return ok == o->nseeds ? 0 : 1;
}

/* ------------------------------------------------------------ self-test */

struct st_tap {
	unsigned int n, failed;
};

static void __attribute__((format(printf, 3, 4))) tap(struct st_tap *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	t->n++;
	if (!ok)
		t->failed++;
	printf("%s %u ", ok ? "ok" : "not ok", t->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void st_devices(struct ctx *cx, struct dev *a, struct dev *b, struct fake *fa,
		       struct fake *fb, bool a_upstream, unsigned int bugs, uint64_t b_max)
{
	memset(fa, 0, sizeof(*fa));
	memset(fb, 0, sizeof(*fb));
	fa->upstream = a_upstream;
	fa->max_size = b_max;
	fb->max_size = b_max;
	fb->bugs = bugs;
	*a = (struct dev){ .name = "A", .path = "fake", .fake = fa };
	*b = (struct dev){ .name = "B", .path = "fake", .fake = fb };
	memset(cx, 0, sizeof(*cx));
	cx->a = a;
	cx->b = b;
	cx->b_max = b_max;
}

static void st_print_stats(const char *what, const struct stats *s)
{
	char line[1024];
	struct sbuf sb = { line, sizeof(line), 0 };

	fmt_stats(&sb, s);
	printf("# %s: %s; %" PRIu64 " repair calls\n", what, line, s->repairs);
}

/*
 * The kinds of the calls of a minimal sequence, for the expectations below:
 * want[i] or alt[i] in order, and besides them at most one dup (the file
 * may have been written or read through a dup'ed descriptor). ddmin's
 * result is 1-minimal, not the shortest there is.
 */
static bool kinds_are(const struct op *ops, const uint32_t *idx, size_t n, const unsigned int *want,
		      size_t nwant)
{
	size_t j = 0, dups = 0;

	for (size_t i = 0; i < n; i++) {
		int k = ops[idx[i]].kind;

		if (j < nwant && (want[j] & 1u << k))
			j++;
		else if (k == K_DUP && !dups)
			dups++;
		else
			return false;
	}
	return j == nwant;
}

static int self_test(void)
{
	static struct ctx cx;
	struct fake fa, fb;
	struct dev a, b;
	struct opts o = {
		.first_seed = 1, .nseeds = 4, .calls = 25000, .minimise = true,
		.max_attempts = 5000, .max_calls = 10000000, .quiet = true,
	};
	struct outcome out;
	struct st_tap t = { 0 };
	uint64_t ex;
	bool every;
#define B(k) (1u << (k))
	static const struct {
		unsigned int bug;
		unsigned int want[3];	/* the kinds each call may have */
		size_t n;
		const char *shape;
	} inj[] = {
		{ BUG_WRITEV_PREAD, { B(K_OPEN), B(K_WRITEV) | B(K_PWRITEV), B(K_PREAD) | B(K_PREADV) },
		  3, "open, writev or pwritev, pread or preadv (and a dup at most)" },
		{ BUG_DUP_VALUE, { B(K_OPEN), B(K_DUP), B(K_GET) }, 3, "open, dup, GET_VALUE" },
		{ BUG_HELLO_101, { B(K_OPEN), B(K_HELLO) }, 2, "open, HELLO (and a dup at most)" },
		{ BUG_LSEEK_SKEW, { B(K_OPEN), B(K_WRITE) | B(K_WRITEV) | B(K_PWRITE) | B(K_PWRITEV),
				    B(K_LSEEK) },
		  3, "open, a write, lseek (and a dup at most)" },
	};
#undef B

	printf("TAP version 13\n1..%zu\n", 5 + 2 * ARRAY_SIZE(inj));
	printf("# self-test: two in-process fake devices, %u seeds of %zu calls each run\n",
	       o.nseeds, o.calls);

	/* 1: one driver against itself: every call identical, no repair. */
	st_devices(&cx, &a, &b, &fa, &fb, false, 0, 256);
	run_all(&cx, &o, &out);
	st_print_stats("cmisc-like against cmisc-like", &out.total);
	tap(&t, out.total.calls >= 100000 && out.total.identical == out.total.calls &&
	    !out.total.repairs, "self_test.same_driver_is_identical");

	/* 2, 3: upstream-like against cmisc-like: all explained, every class seen. */
	st_devices(&cx, &a, &b, &fa, &fb, true, 0, 256);
	run_all(&cx, &o, &out);
	st_print_stats("upstream-like against cmisc-like (max_size 256)", &out.total);
	ex = 0;
	for (int i = 0; i < NCLASSES; i++)
		ex += out.total.explained[i];
	tap(&t, out.total.calls >= 100000 && !out.total.unexplained && !out.seeds_failed &&
	    out.total.identical + ex == out.total.calls,
	    "self_test.upstream_differences_are_all_explained");
	every = true;
	for (int i = 0; i < NCLASSES; i++)
		every &= out.total.explained[i] > 0;
	tap(&t, every, "self_test.every_class_is_seen");

	/* 4: without the repairs, the explained differences leave the sides apart. */
	st_devices(&cx, &a, &b, &fa, &fb, true, 0, 256);
	cx.no_repair = true;
	o.minimise = false;
	run_all(&cx, &o, &out);
	st_print_stats("the same without repairs", &out.total);
	tap(&t, out.seeds_failed == o.nseeds, "self_test.without_repairs_every_seed_fails");
	o.minimise = true;

	/* 5: with B's max_size at cmisc's default, no call can be too long. */
	st_devices(&cx, &a, &b, &fa, &fb, true, 0, CMISC_DEFAULT_MAX_SIZE);
	o.nseeds = 1;
	run_all(&cx, &o, &out);
	tap(&t, !out.total.unexplained && !out.total.explained[C_SIZE] &&
	    out.total.explained[C_BADWRITE], "self_test.no_size_class_under_the_default_max_size");
	o.nseeds = 4;

	/* Each injected bug: found, not explained, minimised to its shape, replayable. */
	for (size_t i = 0; i < ARRAY_SIZE(inj); i++) {
		const char *name = "";
		uint32_t sub[16];
		bool shape, one_minimal = true, replays;
		struct op *ops;
		size_t n;

		for (size_t j = 0; j < ARRAY_SIZE(bugs); j++)
			if (bugs[j].bit == inj[i].bug)
				name = bugs[j].name;
		st_devices(&cx, &a, &b, &fa, &fb, true, inj[i].bug, 256);
		o.quiet = false;
		printf("# injected into B: %s\n", name);
		/* The per-seed TAP lines of the run are shown as comments. */
		{
			char *buf = NULL;
			size_t len = 0;
			FILE *mem = open_memstream(&buf, &len);

			out_f = mem ? mem : stdout;
			run_all(&cx, &o, &out);
			out_f = stdout;
			if (mem) {
				fclose(mem);
				for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
					printf("%s%s\n", l[0] == '#' ? "" : "# ", l);
				free(buf);
			}
		}
		o.quiet = true;
		n = out.min_len;
		ops = calloc(o.calls, sizeof(*ops));
		if (!ops)
			return 3;
		shape = out.have_fail && out.min_proven && n <= ARRAY_SIZE(sub);
		if (shape) {
			gen_ops(out.fail_seed, ops, o.calls);
			shape = kinds_are(ops, out.min_idx, n, inj[i].want, inj[i].n);
		}
		tap(&t, out.have_fail && shape, "self_test.injected_%s_is_found_and_minimised "
		    "# %zu calls: %s", name, n, inj[i].shape);
		/* Replays as printed, and dropping any one call makes it go away. */
		replays = false;
		if (out.have_fail && n <= ARRAY_SIZE(sub)) {
			struct minimiser mz = { .kind = out.fail_kind, .aspect = out.fail_aspect,
						.max_attempts = ~0u };

			cx.seed = out.fail_seed;
			replays = reproduces(&cx, &mz, ops, out.min_idx, n);
			for (size_t drop = 0; drop < n; drop++) {
				size_t m = 0;

				for (size_t k = 0; k < n; k++)
					if (k != drop)
						sub[m++] = out.min_idx[k];
				if (reproduces(&cx, &mz, ops, sub, m))
					one_minimal = false;
			}
		}
		tap(&t, replays && one_minimal, "self_test.injected_%s_replays_and_is_1_minimal", name);
		free(ops);
	}
	printf("# self-test: %u of %u passed\n", t.n - t.failed, t.n);
	return t.failed ? 1 : 0;
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f)
{
	fprintf(f,
"usage: compare [options]\n"
"\n"
"Runs the same seeded random calls against upstream's rust_misc_device (A)\n"
"and cmisc (B) in lockstep, compares every call's result, errno, the bytes\n"
"it copied out and the file position, and classifies each difference.\n"
"Prints TAP (one result per seed) and ends with the line\n"
"  compare: N calls, N identical, N explained (class: N, ...), N unexplained\n"
"\n"
"  --seeds K        run K seeds (default 4; 1 with --seed alone)\n"
"  --seed S         the first seed (default 1): seeds S, S+1, ..., S+K-1\n"
"  --calls N        calls per seed (default 25000)\n"
"  --keep LIST      replay only these calls (1-based, comma-separated) of\n"
"                   the seed's first N, each printed with both results\n"
"  --dev-a PATH     device A (default " DEFAULT_A ")\n"
"  --dev-b PATH     device B (default " DEFAULT_B ")\n"
"  --b-max-size N   B's max_size (default: read from " B_MAX_SIZE_FILE ",\n"
"                   else cmisc's default 1 MiB)\n"
"  --no-minimise    report an unexplained difference without minimising it\n"
"  --max-attempts N the minimiser's budget of runs per failing seed (3000)\n"
"  --max-calls N    and of calls (default 1000000); each kind of difference\n"
"                   (the call's kind, what differed) is minimised once\n"
"  --trace          print every call with both results\n"
"  --classes        print the classes of explained differences and exit\n"
"  --fake           compare two in-process fakes (upstream-like A, cmisc-like\n"
"                   B with max_size 256 unless --b-max-size) instead of devices\n"
"  --inject BUGS    with --fake: bugs in B, comma-separated (--inject help)\n"
"  --self-test      check this program on the fakes (no module needed)\n"
"  -h, --help       this text\n"
"\n"
"In printed calls, src+N is byte N of the seed's source data, buf+N byte N of\n"
"the read window, unmapped-N a pointer N bytes before an unmapped page (a\n"
"write from it faults after N bytes), prot_none-N one N bytes before a\n"
"PROT_NONE page; slot i is the i-th descriptor pair. An open or dup into a\n"
"slot in use closes that slot's descriptors first.\n"
"\n"
"Exit status: 0 nothing unexplained, 1 an unexplained difference (or a\n"
"failed self-test), 2 usage error, 3 the devices cannot be used.\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static int parse_keep(const char *s, struct opts *o)
{
	size_t cap = 1;
	char *copy = strdup(s), *tok, *save = NULL;

	if (!copy)
		return -1;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	o->keep = calloc(cap, sizeof(*o->keep));
	if (!o->keep) {
		free(copy);
		return -1;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (parse_u64(tok, &v) || !v || v > UINT32_MAX) {
			free(copy);
			return -1;
		}
		o->keep[o->nkeep++] = (uint32_t)(v - 1);
	}
	free(copy);
	if (!o->nkeep)
		return -1;
	qsort(o->keep, o->nkeep, sizeof(*o->keep), cmp_u32);
	return 0;
}

static int parse_bugs(const char *s, unsigned int *set)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int ret = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bugs); i++)
			if (!strcmp(tok, bugs[i].name))
				break;
		if (i == ARRAY_SIZE(bugs))
			ret = -1;
		else
			*set |= bugs[i].bit;
	}
	free(copy);
	return ret;
}

static void print_classes(void)
{
	for (int i = 0; i < NCLASSES; i++)
		printf("# class %s: %s\n", classes[i].name, classes[i].reason);
}

static uint64_t read_b_max(bool *found)
{
	FILE *f = fopen(B_MAX_SIZE_FILE, "r");
	unsigned long long v;

	*found = false;
	if (!f)
		return CMISC_DEFAULT_MAX_SIZE;
	if (fscanf(f, "%llu", &v) == 1 && v)
		*found = true;
	fclose(f);
	return *found ? v : CMISC_DEFAULT_MAX_SIZE;
}

/* Both devices open, read-write, before anything else. */
static int probe(struct dev *dv)
{
	int fd = open(dv->path, O_RDWR);

	if (fd < 0) {
		printf("Bail out! cannot open device %s, %s: %s\n", dv->name, dv->path,
		       strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_SEEDS = 256, O_SEED, O_CALLS, O_KEEP, O_DEVA, O_DEVB, O_BMAX, O_NOMIN,
	       O_ATTEMPTS, O_BUDGET, O_TRACE, O_CLASSES, O_FAKE, O_INJECT, O_SELFTEST };
	static const struct option lo[] = {
		{ "seeds", required_argument, NULL, O_SEEDS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "calls", required_argument, NULL, O_CALLS },
		{ "keep", required_argument, NULL, O_KEEP },
		{ "dev-a", required_argument, NULL, O_DEVA },
		{ "dev-b", required_argument, NULL, O_DEVB },
		{ "b-max-size", required_argument, NULL, O_BMAX },
		{ "no-minimise", no_argument, NULL, O_NOMIN },
		{ "no-minimize", no_argument, NULL, O_NOMIN },
		{ "max-attempts", required_argument, NULL, O_ATTEMPTS },
		{ "max-calls", required_argument, NULL, O_BUDGET },
		{ "trace", no_argument, NULL, O_TRACE },
		{ "classes", no_argument, NULL, O_CLASSES },
		{ "fake", no_argument, NULL, O_FAKE },
		{ "inject", required_argument, NULL, O_INJECT },
		{ "self-test", no_argument, NULL, O_SELFTEST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.first_seed = 1, .nseeds = 4, .calls = 25000, .dev_a = DEFAULT_A,
		.dev_b = DEFAULT_B, .minimise = true, .max_attempts = 3000, .max_calls = 1000000,
	};
	static struct ctx cx;
	struct fake fa, fb;
	struct dev a, b;
	struct outcome out;
	char line[1024];
	struct sbuf sb = { line, sizeof(line), 0 };
	bool seeds_given = false, seed_given = false, self = false, found = false;
	uint64_t v;
	int c, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	out_f = stdout;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_SEEDS:
			if (parse_u64(optarg, &v) || !v || v > 1000000)
				goto bad;
			o.nseeds = (unsigned int)v;
			seeds_given = true;
			break;
		case O_SEED:
			if (parse_u64(optarg, &v))
				goto bad;
			o.first_seed = v;
			seed_given = true;
			break;
		case O_CALLS:
			if (parse_u64(optarg, &v) || !v || v > 10000000)
				goto bad;
			o.calls = (size_t)v;
			break;
		case O_KEEP:
			if (parse_keep(optarg, &o))
				goto bad;
			break;
		case O_DEVA:
			o.dev_a = optarg;
			break;
		case O_DEVB:
			o.dev_b = optarg;
			break;
		case O_BMAX:
			if (parse_u64(optarg, &v) || !v)
				goto bad;
			o.b_max = v;
			o.b_max_given = true;
			break;
		case O_NOMIN:
			o.minimise = false;
			break;
		case O_ATTEMPTS:
			if (parse_u64(optarg, &v) || !v || v > 1000000)
				goto bad;
			o.max_attempts = (unsigned int)v;
			break;
		case O_BUDGET:
			if (parse_u64(optarg, &v) || !v)
				goto bad;
			o.max_calls = v;
			break;
		case O_TRACE:
			o.trace = true;
			break;
		case O_CLASSES:
			print_classes();
			return 0;
		case O_FAKE:
			o.fake = true;
			break;
		case O_INJECT:
			if (!strcmp(optarg, "help")) {
				for (size_t i = 0; i < ARRAY_SIZE(bugs); i++)
					printf("%-14s %s\n", bugs[i].name, bugs[i].what);
				return 0;
			}
			if (parse_bugs(optarg, &o.bugs)) {
				fprintf(stderr, "compare: unknown bug in '%s' (see --inject help)\n",
					optarg);
				return 2;
			}
			break;
		case O_SELFTEST:
			self = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "compare: unexpected argument '%s'\n", argv[optind]);
		goto bad;
	}
	if (o.bugs && !o.fake) {
		fprintf(stderr, "compare: --inject needs --fake\n");
		goto bad;
	}
	if (o.keep && (o.nkeep == 0 || o.keep[o.nkeep - 1] >= o.calls)) {
		fprintf(stderr, "compare: --keep names a call beyond --calls %zu\n", o.calls);
		goto bad;
	}
	if (seed_given && !seeds_given)
		o.nseeds = 1;
	if (o.keep && o.nseeds != 1) {
		fprintf(stderr, "compare: --keep replays one seed: give --seed S\n");
		goto bad;
	}
	if (map_memory() || !hole_unmapped()) {
		printf("Bail out! cannot map the test pages\n");
		return 3;
	}
	if (self)
		return self_test();

	if (o.fake) {
		memset(&fa, 0, sizeof(fa));
		memset(&fb, 0, sizeof(fb));
		fa.upstream = true;
		fb.max_size = o.b_max_given ? o.b_max : 256;
		fb.bugs = o.bugs;
		a = (struct dev){ .name = "A", .path = "fake upstream-like device", .fake = &fa };
		b = (struct dev){ .name = "B", .path = "fake cmisc-like device", .fake = &fb };
		o.b_max = fb.max_size;
	} else {
		a = (struct dev){ .name = "A", .path = o.dev_a };
		b = (struct dev){ .name = "B", .path = o.dev_b };
		if (!o.b_max_given)
			o.b_max = read_b_max(&found);
	}
	cx.a = &a;
	cx.b = &b;
	cx.b_max = o.b_max;
	cx.trace = o.trace;

	printf("TAP version 13\n1..%u\n", o.nseeds);
	if (!o.fake && (probe(&a) || probe(&b)))
		return 3;
	printf("# compare: A = %s, B = %s (max_size %" PRIu64 "%s); %u seed%s of %zu calls from "
	       "seed %" PRIu64 "\n", a.path, b.path, o.b_max,
	       o.fake || o.b_max_given ? "" : found ? ", from sysfs" : ", cmisc's default",
	       o.nseeds, o.nseeds == 1 ? "" : "s", o.calls, o.first_seed);
	print_classes();
	ret = run_all(&cx, &o, &out);
	if (ret < 0) {
		printf("Bail out! out of memory\n");
		return 3;
	}
	fmt_stats(&sb, &out.total);
	printf("# %" PRIu64 " repair calls, %" PRIu64 " calls skipped (slot closed)\n",
	       out.total.repairs, out.total.skipped);
	printf("compare: %s\n", line);
	return out.total.unexplained ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
