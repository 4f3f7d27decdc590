// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded fuzzer that checks the driver against a model of its contract.
 *
 * Every thread owns NFILES descriptors, opened O_RDWR, O_RDONLY, O_WRONLY
 * and O_RDWR, and models each: its value, its buffer's bytes and its file
 * position. Each operation is first predicted from the model (return value
 * or errno; for reads the bytes that must arrive, with the bytes around
 * them left alone), then made, compared with the prediction and applied to
 * the model. The position is compared with lseek(fd, 0, SEEK_CUR) after
 * every operation, and every file's whole state at quiescent points. The
 * first mismatch of a thread is kept in full; the file is then reopened,
 * so that the model is exact again and the run goes on counting.
 *
 * The budget: the device charges the sum of its open files' buffer lengths.
 * Runs with several threads use limits under which ENOSPC cannot happen
 * (threads * NFILES * max_size <= max_total), so no thread needs the
 * others' lengths; the single-threaded run sees every file and predicts
 * ENOSPC exactly. sysfs charged_bytes and open_files are compared with the
 * model at quiescent points: in the single-threaded run after every call
 * that reaches the driver's budget check (and every zero-length writev),
 * and every SYSFS_EVERY calls; in the others at a barrier of all threads
 * every SYNC_EVERY calls; in all, before the first open, after the run, and
 * after the last close (where charged_bytes must be 0).
 *
 * Replay: the seed is printed at the start of each test, and
 * CMISC_FUZZ_SEED=<seed> gives every thread of every run the same calls:
 * they follow from the seed and the model only, never from timing.
 * CMISC_FUZZ_OPS=<n> sets the number of calls of the three runs together
 * (default 1,000,000).
 *
 * Only pointers whose outcome the contract fixes are used: for reads,
 * ranges that are wholly valid or wholly invalid; for writes also ranges
 * that start valid and run into a hole, which must fail with EFAULT and
 * change nothing. A kernel address, or a length no address space holds,
 * fails the VFS's access_ok() before the driver runs, so that EFAULT comes
 * before any size or budget check.
 */
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

#include "harness.h"

#define NFILES		4	/* descriptors per thread, modes in file_flags[] */
#define MAX_THREADS	4
#define MAX_SEGS	8	/* segments of a readv/writev */
#define IOV_LIMIT	1024	/* UIO_MAXIOV: more segments is EINVAL */
#define GUARD		32	/* bytes past a read's data that must stay intact */
#define SLACK		(64 * 1024)
#define SYNC_EVERY	4096	/* calls per thread between quiescent checks */
#define SYSFS_EVERY	16	/* single thread: sysfs check at least this often */
#define NUM_ARGS	6

/* The lowest TASK_SIZE_MAX of x86-64: every range below it passes access_ok(). */
#define USER_TOP	0x7ffffffff000ULL
/* Longer than any address space: access_ok() refuses it at any address. */
#define HUGE_LEN	(1ULL << 60)
/* The kernel text mapping: never user memory. */
#define FUZZ_KERNEL_ADDR 0xffffffff81000000ULL
#define SYSFS_DIR	"/sys/class/misc/" CMISC_DEFAULT_NAME "/"

static const int file_flags[NFILES] = { O_RDWR, O_RDONLY, O_WRONLY, O_RDWR };

/* ------------------------------------------------------------ runs */

struct run_cfg {
	const char *name;
	const char *params;	/* module parameters, for cmisc_reload() */
	int threads;
	unsigned int share;	/* per mille of all calls */
	unsigned int edge_pm;	/* lengths within 2 of max_size, per mille */
	unsigned int full_pm;	/* lengths uniform in [0, max_size], per mille */
	unsigned int room_pm;	/* lengths within 2 of the budget's room, per mille */
	unsigned int salt;	/* tells the runs' random streams apart */
};

static const struct run_cfg run_default = {
	.name = "default limits, 4 threads", .params = "", .threads = 4,
	.share = 500, .edge_pm = 2, .full_pm = 2, .salt = 1,
};

/* 4 threads * 4 files * 4096 = 65536: EFBIG often, ENOSPC never. */
static const struct run_cfg run_small_mt = {
	.name = "small limits, 4 threads", .params = "max_size=4096 max_total=65536",
	.threads = 4, .share = 350, .edge_pm = 40, .full_pm = 60, .salt = 2,
};

/* Three writable files of up to 1024 bytes share 1100: ENOSPC often. */
static const struct run_cfg run_small_st = {
	.name = "small limits, 1 thread", .params = "max_size=1024 max_total=1100",
	.threads = 1, .share = 150, .edge_pm = 100, .full_pm = 100, .room_pm = 150,
	.salt = 3,
};

/* ------------------------------------------------------------ state */

enum ptr_class { P_VALID, P_NULL, P_NONE, P_KERNEL, P_RDONLY, P_STRADDLE };

static const char *const ptr_names[] = {
	[P_VALID] = "valid", [P_NULL] = "NULL", [P_NONE] = "unmapped",
	[P_KERNEL] = "kernel", [P_RDONLY] = "read-only", [P_STRADDLE] = "into-hole",
};

enum { ST_OK, ST_EBADF, ST_EFAULT, ST_EFBIG, ST_ENOSPC, ST_EINVAL, ST_ENOTTY, NR_ST };

static const char *const st_names[NR_ST] = {
	"ok", "EBADF", "EFAULT", "EFBIG", "ENOSPC", "EINVAL", "ENOTTY",
};

/* The model of one open file. */
struct mfile {
	int fd;
	int flags;
	int32_t value;
	size_t len;
	uint64_t pos;		/* may lie past len after a pwrite */
	unsigned char *buf;	/* max_size bytes */
};

/* The call being made, for the report of a mismatch. */
struct oplog {
	uint64_t index;
	const char *name;
	int nargs;
	const char *arg_name[NUM_ARGS];
	const char *arg_str[NUM_ARGS];	/* a string such as a pointer class, or NULL: arg[] */
	long long arg[NUM_ARGS];
	size_t len;		/* the model before the call */
	uint64_t pos;
	int32_t value;
};

struct frun;

struct fthread {
	struct frun *run;
	int id;
	uint64_t rng;
	struct mfile files[NFILES];
	struct mfile *cur;	/* the file of the call being made */
	unsigned char *src;	/* random bytes, the source of writes */
	unsigned char *dst;	/* where reads land */
	unsigned char *cat;	/* a writev's concatenation, for the model */
	size_t src_cap, dst_cap;
	struct iovec iov[MAX_SEGS];
	uint64_t ops, mismatches, stats[NR_ST];
	struct oplog op;
	bool bad;		/* the current call mismatched */
	bool budget;		/* the current call reached the driver's budget check */
	bool dead;		/* a file could not be reopened: no more calls */
	uint64_t first_index;	/* the call of the first mismatch */
	char first[1024];
	unsigned char scratch[64] __attribute__((aligned(16)));
};

struct frun {
	const struct run_cfg *cfg;
	uint64_t max_size, max_total;
	int threads;
	uint64_t ops_per_thread;
	size_t page;
	unsigned char *hole;	/* one read-write page, then none_size bytes of PROT_NONE */
	unsigned char *none;
	size_t none_size;
	unsigned char *ro;	/* ro_size bytes of PROT_READ zeros */
	size_t ro_size;
	int charged_fd, open_fd;	/* sysfs attributes, -1 if missing */
	bool sysfs_off;		/* stop comparing after the first sysfs mismatch */
	uint64_t sysfs_checks, sysfs_mismatches;
	uint64_t sysfs_first_index;	/* thread 0's call count at the first mismatch */
	char sysfs_first[1024];
	pthread_barrier_t barrier;
	struct fthread th[MAX_THREADS];
};

/* The run in progress, for the fixture's teardown to close what is open. */
static struct frun *cur_run;

/* ------------------------------------------------------------ helpers */

/* splitmix64: small, fast, and every thread's stream follows from the seed. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct fthread *t)
{
	return splitmix64(&t->rng);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static bool readable(const struct mfile *f)
{
	return f->flags != O_WRONLY;
}

static bool writable(const struct mfile *f)
{
	return f->flags != O_RDONLY;
}

static const char *mode_name(int flags)
{
	return flags == O_RDWR ? "O_RDWR" : flags == O_RDONLY ? "O_RDONLY" : "O_WRONLY";
}

static const char *errname(int e)
{
	switch (e) {
	case 0:
		return "no error";
	case EBADF:
		return "EBADF";
	case EFAULT:
		return "EFAULT";
	case EFBIG:
		return "EFBIG";
	case ENOSPC:
		return "ENOSPC";
	case EINVAL:
		return "EINVAL";
	case ENOTTY:
		return "ENOTTY";
	case ENOMEM:
		return "ENOMEM";
	case ESPIPE:
		return "ESPIPE";
	case EOVERFLOW:
		return "EOVERFLOW";
	case EINTR:
		return "EINTR";
	case ENODEV:
		return "ENODEV";
	default:
		return "another errno";
	}
}

static int stat_slot(int e)
{
	switch (e) {
	case EBADF:
		return ST_EBADF;
	case EFAULT:
		return ST_EFAULT;
	case EFBIG:
		return ST_EFBIG;
	case ENOSPC:
		return ST_ENOSPC;
	case EINVAL:
		return ST_EINVAL;
	case ENOTTY:
		return ST_ENOTTY;
	default:
		return ST_OK;
	}
}

/* A bounded string builder: appends never overflow, they truncate. */
struct sbuf {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->len + 1 >= sb->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len = min_u64(sb->len + n, sb->size - 1);
}

/* Index of the first byte of p[0, n) that is not b, or n. */
static size_t first_not(const unsigned char *p, size_t n, unsigned char b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != b)
			return i;
	return n;
}

/* Index of the first byte where a[0, n) and b[0, n) differ, or n. */
static size_t first_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i;

	if (!memcmp(a, b, n))
		return n;
	for (i = 0; a[i] == b[i]; i++)
		;
	return i;
}

/* ------------------------------------------------------------ reporting */

static void op_begin(struct fthread *t, const struct mfile *f, const char *name)
{
	t->op.name = name;
	t->op.nargs = 0;
	t->op.len = f->len;
	t->op.pos = f->pos;
	t->op.value = f->value;
}

static void op_arg(struct fthread *t, const char *name, long long v)
{
	struct oplog *o = &t->op;

	if (o->nargs < NUM_ARGS) {
		o->arg_name[o->nargs] = name;
		o->arg_str[o->nargs] = NULL;
		o->arg[o->nargs++] = v;
	}
}

static void op_str(struct fthread *t, const char *name, const char *str)
{
	struct oplog *o = &t->op;

	if (o->nargs < NUM_ARGS) {
		o->arg_name[o->nargs] = name;
		o->arg_str[o->nargs++] = str;
	}
}

static void op_ptr(struct fthread *t, const char *name, enum ptr_class cls)
{
	op_str(t, name, ptr_names[cls]);
}

static void describe(const struct fthread *t, const struct mfile *f, struct sbuf *sb)
{
	const struct oplog *o = &t->op;
	int i;

	sb_printf(sb, "thread %d, call #%" PRIu64 ", file %d (%s; model before: len %zu, pos %"
		  PRIu64 ", value %" PRId32 "): %s(", t->id, o->index, (int)(f - t->files),
		  mode_name(f->flags), o->len, o->pos, o->value, o->name);
	for (i = 0; i < o->nargs; i++) {
		sb_printf(sb, "%s%s ", i ? ", " : "", o->arg_name[i]);
		if (o->arg_str[i])
			sb_printf(sb, "%s", o->arg_str[i]);
		else if (o->arg[i] > 9999 || o->arg[i] < -9999)
			sb_printf(sb, "%lld (%#llx)", o->arg[i], (unsigned long long)o->arg[i]);
		else
			sb_printf(sb, "%lld", o->arg[i]);
	}
	sb_printf(sb, ")");
}

/* Count one mismatch per call; keep the thread's first in full. */
static void __attribute__((format(printf, 3, 4)))
mismatch(struct fthread *t, const struct mfile *f, const char *fmt, ...)
{
	struct sbuf sb = { t->first, sizeof(t->first), 0 };
	char what[512];
	va_list ap;

	if (t->bad)
		return;
	t->bad = true;
	if (t->mismatches++)
		return;
	t->first_index = t->op.index;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	describe(t, f, &sb);
	sb_printf(&sb, ": %s", what);
}

/* ------------------------------------------------------------ predictions */

struct expect {
	long long ret;		/* the result when err is 0 */
	int err;		/* the errno expected, 0 for success */
};

static struct expect ok(long long ret)
{
	return (struct expect){ .ret = ret };
}

static struct expect fail(int err)
{
	return (struct expect){ .ret = -1, .err = err };
}

static void fmt_outcome(char *buf, size_t size, long long ret, int err)
{
	if (ret < 0)
		snprintf(buf, size, "%lld, errno %d (%s)", ret, err, errname(err));
	else
		snprintf(buf, size, "%lld", ret);
}

/* Compare a call's result with the prediction. */
static bool check_ret(struct fthread *t, const struct mfile *f, struct expect e,
		      long long ret, int err)
{
	char want[64], got[64];

	t->stats[e.err ? stat_slot(e.err) : ST_OK]++;
	if (e.err ? ret == -1 && err == e.err : ret == e.ret)
		return true;
	fmt_outcome(want, sizeof(want), e.ret, e.err);
	fmt_outcome(got, sizeof(got), ret, err);
	mismatch(t, f, "expected %s, got %s", want, got);
	return false;
}

/* Whether replacing f's buffer with n bytes is refused, pointers aside. */
static int replace_err(struct fthread *t, const struct mfile *f, uint64_t n)
{
	const struct frun *r = t->run;
	uint64_t charged = 0;
	int i;

	t->budget = true;
	if (n > r->max_size)
		return EFBIG;
	/* With several threads the limits make ENOSPC impossible (see run_fuzz()). */
	if (r->threads == 1) {
		for (i = 0; i < NFILES; i++)
			charged += t->files[i].len;
		if (charged - f->len + n > r->max_total)
			return ENOSPC;
	}
	return 0;
}

/* A copy from p of n bytes must fault: p starts, or runs, into no memory. */
static bool src_faults(enum ptr_class cls, uint64_t n)
{
	return n && (cls == P_NULL || cls == P_NONE || cls == P_STRADDLE);
}

/* A copy to p of n bytes must fault, without copying anything. */
static bool dst_faults(enum ptr_class cls, uint64_t n)
{
	return n && (cls == P_NULL || cls == P_NONE || cls == P_RDONLY);
}

static void model_replace(struct mfile *f, const void *data, uint64_t n)
{
	if (n)
		memcpy(f->buf, data, n);
	f->len = n;
}

/* ------------------------------------------------------------ choices */

/* What the budget leaves for the current file's buffer (single thread only). */
static uint64_t budget_room(const struct fthread *t)
{
	uint64_t charged = 0;
	int i;

	for (i = 0; i < NFILES; i++)
		charged += t->files[i].len;
	return t->run->max_total - (charged - t->cur->len);
}

/*
 * A buffer length: mostly small, sometimes around or beyond max_size, and
 * in a single-threaded run sometimes within 2 of what the budget leaves.
 */
static uint64_t pick_len(struct fthread *t)
{
	const struct frun *r = t->run;
	const struct run_cfg *c = r->cfg;
	unsigned int x = rnd(t) % 1000;
	uint64_t room;

	if (r->threads == 1 && x < c->room_pm) {
		room = budget_room(t);
		return room < 2 ? rnd(t) % 3 : room - 2 + rnd(t) % 5;
	}
	x = rnd(t) % 1000;
	if (x < 400)
		return rnd(t) % 17;
	if (x < 750)
		return rnd(t) % 257;
	if (x < 850)
		return rnd(t) % 4097;
	x -= 850;
	if (x < c->edge_pm)
		return r->max_size - 2 + rnd(t) % 5;
	x -= c->edge_pm;
	if (x < c->full_pm)
		return rnd(t) % (r->max_size + 1);
	x -= c->full_pm;
	if (x < 30)
		return r->max_size + 1 + rnd(t) % SLACK;
	return rnd(t) % 65;
}

/* A segment of a vector: shorter still. */
static uint64_t pick_seg_len(struct fthread *t)
{
	unsigned int x = rnd(t) % 100;

	if (x < 10)
		return 0;
	if (x < 60)
		return rnd(t) % 33;
	if (x < 85)
		return rnd(t) % 257;
	if (x < 95)
		return rnd(t) % 4097;
	return pick_len(t);
}

/* An offset for pread/pwrite: around the buffer, far, or negative. */
static long long pick_off(struct fthread *t, const struct mfile *f)
{
	unsigned int x = rnd(t) % 100;

	if (x < 55)
		return rnd(t) % (f->len + 9);
	if (x < 65)
		return 0;
	if (x < 75)
		return f->len + rnd(t) % 4096;
	if (x < 85)
		return rnd(t) % (1ULL << 40);
	if (x < 90)
		return -1;
	if (x < 94)
		return LLONG_MIN;
	return -(long long)(rnd(t) % (1ULL << 40)) - 1;
}

enum len_class { L_NORMAL, L_LARGE, L_HUGE };

/* The length of a read(2) or write(2). */
static uint64_t pick_rw_len(struct fthread *t, enum len_class *lc)
{
	unsigned int x = rnd(t) % 1000;

	if (x < 2) {
		*lc = L_HUGE;
		return UINT64_MAX - rnd(t) % 4096;
	}
	if (x < 6) {
		*lc = L_HUGE;
		return HUGE_LEN + rnd(t) % (1ULL << 20);
	}
	if (x < 16) {
		/* Beyond max_size, within the address space: EFBIG for writes. */
		*lc = L_LARGE;
		return t->run->max_size + 1 + rnd(t) % (1ULL << 30);
	}
	*lc = L_NORMAL;
	return pick_len(t);
}

static void *kernel_ptr(struct fthread *t)
{
	return (void *)(uintptr_t)(FUZZ_KERNEL_ADDR + rnd(t) % 4096);
}

/* Shorten n so that [p, p + n) stays below USER_TOP. */
static uint64_t clamp_user(const void *p, uint64_t n)
{
	return min_u64(n, USER_TOP - (uintptr_t)p);
}

/*
 * The source of a write of n bytes. A large length comes with a valid or
 * NULL pointer (whose range then holds the program, so no fault is
 * certain: the size check must come first) or a kernel one.
 */
static const void *pick_src(struct fthread *t, uint64_t n, enum len_class lc,
			    enum ptr_class *cls)
{
	const struct frun *r = t->run;
	unsigned int x = rnd(t) % 100;
	uint64_t k;

	if (x < 4) {
		*cls = P_NULL;
		return NULL;
	}
	if (x < 7) {
		*cls = P_KERNEL;
		return kernel_ptr(t);
	}
	if (lc == L_NORMAL) {
		if (x < 10) {
			*cls = P_NONE;
			return r->none + rnd(t) % r->page;
		}
		if (x < 13 && n >= 2) {
			k = 1 + rnd(t) % min_u64(n - 1, r->page);
			*cls = P_STRADDLE;
			return r->hole + r->page - k;
		}
		if (x < 17) {
			*cls = P_RDONLY;
			return r->ro + rnd(t) % (r->ro_size - n + 1);
		}
	}
	*cls = P_VALID;
	if (n <= t->src_cap)
		return t->src + rnd(t) % (t->src_cap - n + 1);
	return t->src + rnd(t) % 8;
}

/*
 * The destination of a read of n bytes (n no longer than a bad region for
 * L_NORMAL); *off is its offset in t->dst when valid.
 */
static void *pick_dst(struct fthread *t, enum len_class lc, enum ptr_class *cls, size_t *off)
{
	const struct frun *r = t->run;
	unsigned int x = rnd(t) % 100;

	*off = rnd(t) % 10 ? rnd(t) % 8 : rnd(t) % r->page;
	if (x < 4) {
		*cls = P_KERNEL;
		return kernel_ptr(t);
	}
	if (lc == L_NORMAL || lc == L_HUGE) {
		if (x < 8) {
			*cls = P_NULL;
			return NULL;
		}
		if (x < 12) {
			*cls = P_NONE;
			return r->none + rnd(t) % r->page;
		}
		if (x < 16) {
			*cls = P_RDONLY;
			return r->ro + rnd(t) % r->page;
		}
	}
	*cls = P_VALID;
	return t->dst + *off;
}

/* ------------------------------------------------------------ checks */

/*
 * After a read of cnt bytes at model offset from into the segments of
 * t->dst (at offsets off[], nseg of them, in increasing order, lengths
 * len[]), check the data arrived and nothing else in [0, foot) changed.
 */
static void check_scatter(struct fthread *t, const struct mfile *f, const size_t *off,
			  const uint64_t *len, int nseg, uint64_t from, uint64_t cnt, size_t foot)
{
	size_t prev = 0, bad;
	uint64_t done = 0, c;
	int i;

	for (i = 0; i < nseg; i++) {
		c = min_u64(len[i], cnt - done);
		if (!c)
			continue;
		bad = first_not(t->dst + prev, off[i] - prev, POISON);
		if (bad < off[i] - prev) {
			mismatch(t, f, "destination byte %zu, outside the data, changed to %#x",
				 prev + bad, t->dst[prev + bad]);
			return;
		}
		bad = first_diff(t->dst + off[i], f->buf + from + done, c);
		if (bad < c) {
			mismatch(t, f, "data byte %" PRIu64 " (segment %d) is %#x, model %#x",
				 done + bad, i, t->dst[off[i] + bad], f->buf[from + done + bad]);
			return;
		}
		prev = off[i] + c;
		done += c;
	}
	bad = first_not(t->dst + prev, foot - prev, POISON);
	if (bad < foot - prev)
		mismatch(t, f, "destination byte %zu, past the data, changed to %#x",
			 prev + bad, t->dst[prev + bad]);
}

static void check_pos(struct fthread *t, struct mfile *f)
{
	off_t got;

	if (t->bad)
		return;
	errno = 0;
	got = lseek(f->fd, 0, SEEK_CUR);
	if (got < 0 || (uint64_t)got != f->pos)
		mismatch(t, f, "then lseek(fd, 0, SEEK_CUR) returned %lld (%s), model position %"
			 PRIu64, (long long)got, got < 0 ? errname(errno) : "ok", f->pos);
}

/* After a mismatch: a fresh open, so that the model is exact again. */
static void resync(struct fthread *t, struct mfile *f)
{
	close(f->fd);
	f->fd = open(DEV, f->flags);
	f->value = 0;
	f->len = 0;
	f->pos = 0;
	if (f->fd < 0) {
		t->dead = true;
		if (t->mismatches == 1) {
			struct sbuf sb = { t->first, sizeof(t->first), strlen(t->first) };

			sb_printf(&sb, "; reopening the file then failed (%s): thread stopped",
				  strerror(errno));
		}
	}
}

/* The whole state of every file: buffer (for readable files), value, position. */
static void verify_files(struct fthread *t)
{
	uint64_t whole;
	struct mfile *f;
	size_t at = 0;
	int32_t v;
	ssize_t ret;
	int i, err;

	for (i = 0; i < NFILES; i++) {
		f = &t->files[i];
		if (f->fd < 0)
			continue;
		t->bad = false;
		t->op.index = t->ops;
		op_begin(t, f, "state check: pread(whole buffer), GET_VALUE");
		if (readable(f)) {
			memset(t->dst, POISON, f->len + GUARD);
			errno = 0;
			ret = pread(f->fd, t->dst, f->len + GUARD, 0);
			err = errno;
			whole = f->len + GUARD;
			if (check_ret(t, f, ok(f->len), ret, err))
				check_scatter(t, f, &at, &whole, 1, 0, f->len, whole);
		}
		memset(t->scratch, POISON, sizeof(t->scratch));
		errno = 0;
		ret = ioctl(f->fd, CMISC_IOC_GET_VALUE, t->scratch);
		err = errno;
		if (check_ret(t, f, ok(0), ret, err)) {
			memcpy(&v, t->scratch, sizeof(v));
			if (v != f->value)
				mismatch(t, f, "value %" PRId32 ", model %" PRId32, v, f->value);
		}
		check_pos(t, f);
		if (t->bad)
			resync(t, f);
	}
}

static long long sysfs_read(int fd)
{
	char buf[32];
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 1 || buf[n - 1] != '\n')
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/*
 * At a quiescent point: charged_bytes must be the sum of the model's
 * lengths, open_files the number of open files. The report names @t's
 * last call, or says @when (which also forces a check after a mismatch).
 */
static void check_sysfs(struct frun *r, struct fthread *t, const char *when)
{
	unsigned long long charged = 0, open = 0;
	long long got_charged, got_open;
	struct sbuf sb = { r->sysfs_first, sizeof(r->sysfs_first), 0 };
	int i, j;

	if (r->charged_fd < 0 || r->open_fd < 0 || (r->sysfs_off && !when))
		return;
	for (i = 0; i < r->threads; i++) {
		for (j = 0; j < NFILES; j++) {
			if (r->th[i].files[j].fd >= 0) {
				charged += r->th[i].files[j].len;
				open++;
			}
		}
	}
	r->sysfs_checks++;
	got_charged = sysfs_read(r->charged_fd);
	got_open = sysfs_read(r->open_fd);
	if (got_charged == (long long)charged && got_open == (long long)open)
		return;
	r->sysfs_off = true;
	if (r->sysfs_mismatches++)
		return;
	r->sysfs_first_index = r->th[0].ops;
	sb_printf(&sb, "sysfs charged_bytes %lld, model %llu; open_files %lld, model %llu; ",
		  got_charged, charged, got_open, open);
	if (when) {
		sb_printf(&sb, "%s", when);
	} else {
		sb_printf(&sb, "after ");
		describe(t, t->cur, &sb);
	}
}

/* ------------------------------------------------------------ calls */

/* write(2) and pwrite(2) of n bytes at p (of class cls, length class lc). */
static struct expect predict_write(struct fthread *t, const struct mfile *f, bool positional,
				   long long off, enum ptr_class cls, enum len_class lc, uint64_t n)
{
	int err;

	if (positional && off < 0)
		return fail(EINVAL);
	if (!writable(f))
		return fail(EBADF);
	if (cls == P_KERNEL || lc == L_HUGE)
		return fail(EFAULT);	/* access_ok() in vfs_write() */
	err = replace_err(t, f, n);
	if (err)
		return fail(err);
	if (src_faults(cls, n))
		return fail(EFAULT);
	return ok(n);
}

static void op_write(struct fthread *t, struct mfile *f, bool positional)
{
	enum len_class lc;
	enum ptr_class cls;
	uint64_t n = pick_rw_len(t, &lc);
	long long off = positional ? pick_off(t, f) : 0;
	const void *p = pick_src(t, n, lc, &cls);
	struct expect e;
	ssize_t ret;
	int err;

	if (lc == L_LARGE && cls == P_VALID)
		n = clamp_user(p, n);
	op_begin(t, f, positional ? "pwrite" : "write");
	op_ptr(t, "src", cls);
	op_arg(t, "n", n);
	if (positional)
		op_arg(t, "off", off);

	e = predict_write(t, f, positional, off, cls, lc, n);
	errno = 0;
	ret = positional ? pwrite(f->fd, p, n, off) : write(f->fd, p, n);
	err = errno;
	if (check_ret(t, f, e, ret, err) && !e.err) {
		model_replace(f, p, n);
		/*
		 * The VFS stores the rewound position back only after a write
		 * of at least one byte (new_sync_write() and upstream's
		 * write_iter alike): write(fd, p, 0) empties the buffer and
		 * leaves the position.
		 */
		if (!positional && n)
			f->pos = 0;
	}
}

/* read(2) and pread(2) of n bytes to p, cnt of them available. */
static struct expect predict_read(const struct mfile *f, bool positional, long long off,
				  enum ptr_class cls, enum len_class lc, uint64_t cnt)
{
	if (positional && off < 0)
		return fail(EINVAL);
	if (!readable(f))
		return fail(EBADF);
	if (cls == P_KERNEL || lc == L_HUGE)
		return fail(EFAULT);	/* access_ok() in vfs_read() */
	if (!cnt)
		return ok(0);
	if (dst_faults(cls, cnt))
		return fail(EFAULT);
	return ok(cnt);
}

static void op_read(struct fthread *t, struct mfile *f, bool positional)
{
	enum len_class lc;
	enum ptr_class cls;
	uint64_t n = pick_rw_len(t, &lc), from, cnt;
	long long off = positional ? pick_off(t, f) : 0;
	size_t doff, foot = 0;
	void *p = pick_dst(t, lc, &cls, &doff);
	struct expect e;
	ssize_t ret;
	int err;

	if (cls == P_VALID && lc != L_HUGE)
		n = clamp_user(p, n);
	from = positional ? (uint64_t)off : f->pos;
	cnt = from < f->len ? min_u64(n, f->len - from) : 0;
	op_begin(t, f, positional ? "pread" : "read");
	op_ptr(t, "dst", cls);
	op_arg(t, "n", n);
	if (positional)
		op_arg(t, "off", off);

	e = predict_read(f, positional, off, cls, lc, cnt);
	if (cls == P_VALID) {
		foot = doff + min_u64(n, (e.err ? 0 : cnt) + GUARD);
		memset(t->dst, POISON, foot);
	}
	errno = 0;
	ret = positional ? pread(f->fd, p, n, off) : read(f->fd, p, n);
	err = errno;
	if (check_ret(t, f, e, ret, err) && !e.err) {
		if (cls == P_VALID)
			check_scatter(t, f, &doff, &n, 1, from, cnt, foot);
		if (!positional)
			f->pos += cnt;
	} else if (cls == P_VALID && !t->bad) {
		check_scatter(t, f, &doff, &n, 1, from, 0, foot);
	}
}

/* How a vector is broken, if it is. */
enum vec_fault { V_NONE, V_TOO_MANY, V_BAD_ARRAY, V_NEG_LEN, V_KERNEL_SEG, V_BAD_SEGS, V_ZERO };

static const char *const vec_names[] = {
	[V_NONE] = "none", [V_TOO_MANY] = "too many segments", [V_BAD_ARRAY] = "bad iovec array",
	[V_NEG_LEN] = "negative length", [V_KERNEL_SEG] = "kernel segment",
	[V_BAD_SEGS] = "bad segment(s)", [V_ZERO] = "all lengths 0",
};

static enum vec_fault pick_vec_fault(struct fthread *t, bool write)
{
	unsigned int x = rnd(t) % 100;

	if (x < 3)
		return V_TOO_MANY;
	if (x < 6)
		return V_BAD_ARRAY;
	if (x < 8)
		return V_NEG_LEN;
	if (x < 10)
		return V_KERNEL_SEG;
	if (x < 17)
		return V_BAD_SEGS;
	if (write && x < 25)
		return V_ZERO;
	return V_NONE;
}

/* A broken iovec array of nseg >= 1 entries: nothing of it can be read. */
static struct iovec *bad_array(struct fthread *t)
{
	const struct frun *r = t->run;

	switch (rnd(t) % 4) {
	case 0:
		return NULL;
	case 1:
		return (struct iovec *)(r->none + rnd(t) % 64 * 16);
	case 2:
		return (struct iovec *)(uintptr_t)FUZZ_KERNEL_ADDR;
	default:
		/* The first 8 bytes are mapped, the rest of the array is not. */
		return (struct iovec *)(r->hole + r->page - 8);
	}
}

/*
 * The errors the VFS finds in a vector before the driver or even the mode:
 * import_iovec() checks the count, copies the array, checks each length
 * for a negative value, then each range with access_ok().
 */
static int vec_import_err(enum vec_fault vf, int nseg)
{
	switch (vf) {
	case V_TOO_MANY:
		return EINVAL;
	case V_BAD_ARRAY:
		return nseg ? EFAULT : 0;
	case V_NEG_LEN:
		return EINVAL;
	case V_KERNEL_SEG:
		return EFAULT;
	default:
		return 0;
	}
}

static int pick_nseg(struct fthread *t)
{
	return rnd(t) % 25 ? 1 + rnd(t) % MAX_SEGS : 0;
}

/* writev(2) and pwritev(2) of tot bytes; bad_seg >= 0 names an unreadable segment. */
static struct expect predict_writev(struct fthread *t, const struct mfile *f, bool positional,
				    long long off, enum vec_fault vf, int nseg, uint64_t tot,
				    int bad_seg)
{
	int err;

	if (positional && off < 0)
		return fail(EINVAL);
	err = vec_import_err(vf, nseg);
	if (err)
		return fail(err);
	if (!writable(f))
		return fail(EBADF);
	if (!tot) {
		/* The VFS returns before calling the driver: nothing changes. */
		t->budget = true;
		return ok(0);
	}
	err = replace_err(t, f, tot);
	if (err)
		return fail(err);
	if (bad_seg >= 0)
		return fail(EFAULT);
	return ok(tot);
}

static void op_writev(struct fthread *t, struct mfile *f, bool positional)
{
	const struct frun *r = t->run;
	enum vec_fault vf = pick_vec_fault(t, true);
	long long off = positional ? pick_off(t, f) : 0;
	int nseg = pick_nseg(t), i, j, err, bad_seg = -1;
	enum ptr_class cls = P_VALID;
	struct iovec *iov = t->iov;
	uint64_t tot = 0, len;
	struct expect e;
	ssize_t ret;

	if (vf == V_BAD_ARRAY || vf == V_NEG_LEN || vf == V_KERNEL_SEG || vf == V_BAD_SEGS)
		nseg = nseg ? nseg : 1;
	for (i = 0; i < nseg; i++) {
		len = vf == V_ZERO ? 0 : pick_seg_len(t);
		if (len <= r->ro_size && rnd(t) % 20 == 0)
			iov[i].iov_base = r->ro + rnd(t) % (r->ro_size - len + 1);
		else
			iov[i].iov_base = t->src + rnd(t) % (t->src_cap - len + 1);
		iov[i].iov_len = len;
	}
	j = nseg ? rnd(t) % nseg : 0;
	switch (vf) {
	case V_TOO_MANY:
		nseg = IOV_LIMIT + 1 + rnd(t) % 4000;
		break;
	case V_BAD_ARRAY:
		iov = bad_array(t);
		break;
	case V_NEG_LEN:
		iov[j].iov_len = (size_t)1 << 63 | rnd(t);
		break;
	case V_KERNEL_SEG:
		iov[j].iov_base = kernel_ptr(t);
		break;
	case V_BAD_SEGS:
		/* One segment that cannot be read: the write must change nothing. */
		bad_seg = j;
		if (!iov[j].iov_len)
			iov[j].iov_len = 1 + rnd(t) % 64;
		switch (rnd(t) % 3) {
		case 0:
			cls = P_NULL;
			iov[j].iov_base = NULL;
			break;
		case 1:
			cls = P_NONE;
			iov[j].iov_base = r->none + rnd(t) % r->page;
			break;
		default:
			cls = P_STRADDLE;
			if (iov[j].iov_len < 2)
				iov[j].iov_len = 2;
			iov[j].iov_base = r->hole + r->page -
					  (1 + rnd(t) % min_u64(iov[j].iov_len - 1, r->page));
			break;
		}
		break;
	default:
		break;
	}
	if (vf == V_NONE || vf == V_ZERO || vf == V_BAD_SEGS)
		for (i = 0; i < nseg; i++)
			tot += iov[i].iov_len;

	op_begin(t, f, positional ? "pwritev" : "writev");
	op_arg(t, "segments", nseg);
	op_arg(t, "total", tot);
	op_str(t, "fault", vec_names[vf]);
	if (bad_seg >= 0) {
		op_arg(t, "bad segment", bad_seg);
		op_ptr(t, "its base", cls);
	}
	if (positional)
		op_arg(t, "off", off);

	e = predict_writev(t, f, positional, off, vf, nseg, tot, bad_seg);
	errno = 0;
	ret = positional ? pwritev(f->fd, iov, nseg, off) : writev(f->fd, iov, nseg);
	err = errno;
	if (check_ret(t, f, e, ret, err) && !e.err && tot) {
		for (i = 0, len = 0; i < nseg; len += iov[i].iov_len, i++)
			memcpy(t->cat + len, iov[i].iov_base, iov[i].iov_len);
		model_replace(f, t->cat, tot);
		if (!positional)
			f->pos = 0;
	}
}

/* readv(2) and preadv(2), cnt bytes available. */
static struct expect predict_readv(const struct mfile *f, bool positional, long long off,
				   enum vec_fault vf, int nseg, uint64_t cnt)
{
	int err;

	if (positional && off < 0)
		return fail(EINVAL);
	err = vec_import_err(vf, nseg);
	if (err)
		return fail(err);
	if (!readable(f))
		return fail(EBADF);
	if (!cnt)
		return ok(0);
	if (vf == V_BAD_SEGS)
		return fail(EFAULT);
	return ok(cnt);
}

static void op_readv(struct fthread *t, struct mfile *f, bool positional)
{
	const struct frun *r = t->run;
	enum vec_fault vf = pick_vec_fault(t, false);
	long long off = positional ? pick_off(t, f) : 0;
	int nseg = pick_nseg(t), i, j, err;
	size_t segoff[MAX_SEGS], cursor = rnd(t) % 8, foot = 0;
	uint64_t seglen[MAX_SEGS], tot = 0, from, cnt;
	struct iovec *iov = t->iov;
	struct expect e;
	ssize_t ret;

	if (vf != V_NONE && vf != V_TOO_MANY)
		nseg = nseg ? nseg : 1;
	for (i = 0; i < nseg; i++) {
		seglen[i] = min_u64(pick_seg_len(t), r->page);
		if (i == nseg - 1 && rnd(t) % 20 == 0)
			seglen[i] = clamp_user(t->dst + cursor,
					       (1ULL << 20) + rnd(t) % (1ULL << 30));
		segoff[i] = cursor;
		iov[i].iov_base = t->dst + cursor;
		iov[i].iov_len = seglen[i];
		if (vf == V_BAD_SEGS) {
			/* Every segment bad: nothing can be copied. */
			seglen[i] = min_u64(seglen[i], 256);
			iov[i].iov_len = seglen[i];
			switch (rnd(t) % 3) {
			case 0:
				iov[i].iov_base = NULL;
				break;
			case 1:
				iov[i].iov_base = r->none + rnd(t) % r->page;
				break;
			default:
				iov[i].iov_base = r->ro + rnd(t) % r->page;
				break;
			}
		}
		cursor += min_u64(seglen[i], r->page) + rnd(t) % 8;
	}
	j = nseg ? rnd(t) % nseg : 0;
	switch (vf) {
	case V_TOO_MANY:
		nseg = IOV_LIMIT + 1 + rnd(t) % 4000;
		break;
	case V_BAD_ARRAY:
		iov = bad_array(t);
		break;
	case V_NEG_LEN:
		iov[j].iov_len = (size_t)1 << 63 | rnd(t);
		break;
	case V_KERNEL_SEG:
		iov[j].iov_base = kernel_ptr(t);
		break;
	default:
		break;
	}
	if (vf == V_NONE || vf == V_BAD_SEGS)
		for (i = 0; i < nseg; i++)
			tot += seglen[i];
	from = positional ? (uint64_t)off : f->pos;
	cnt = from < f->len ? min_u64(tot, f->len - from) : 0;

	op_begin(t, f, positional ? "preadv" : "readv");
	op_arg(t, "segments", nseg);
	op_arg(t, "total", tot);
	op_str(t, "fault", vec_names[vf]);
	if (positional)
		op_arg(t, "off", off);

	e = predict_readv(f, positional, off, vf, nseg, cnt);
	if (vf == V_NONE) {
		/* Segments ascend in t->dst: poison up to GUARD past the data's end. */
		uint64_t left = e.err ? 0 : cnt;

		for (i = 0; i < nseg; i++) {
			foot = segoff[i] + min_u64(seglen[i], left + GUARD);
			if (left <= seglen[i])
				break;
			left -= seglen[i];
		}
		memset(t->dst, POISON, foot);
	}
	errno = 0;
	ret = positional ? preadv(f->fd, iov, nseg, off) : readv(f->fd, iov, nseg);
	err = errno;
	if (check_ret(t, f, e, ret, err) && !e.err) {
		if (vf == V_NONE)
			check_scatter(t, f, segoff, seglen, nseg, from, cnt, foot);
		if (!positional)
			f->pos += cnt;
	} else if (vf == V_NONE && !t->bad) {
		check_scatter(t, f, segoff, seglen, nseg, from, 0, foot);
	}
}

static void op_lseek(struct fthread *t, struct mfile *f)
{
	/* SEEK_DATA, SEEK_HOLE, and numbers that are no whence at all. */
	static const int odd_whence[] = { 3, 4, 5, 100, -1, INT_MAX };
	unsigned int x = rnd(t) % 100;
	long long offset, base = 0, target = 0;
	int whence;
	struct expect e;
	off_t ret;
	int err;

	if (x < 10) {
		whence = SEEK_CUR;
		offset = 0;
	} else {
		whence = x < 90 ? (int)(rnd(t) % 3) : odd_whence[rnd(t) % 6];
		if (whence == SEEK_SET)
			base = 0;
		else if (whence == SEEK_CUR)
			base = f->pos;
		else
			base = f->len;
		if (rnd(t) % 10)
			offset = (long long)(rnd(t) % (f->len + 9)) - 4 - base;
		else if (rnd(t) % 2)
			offset = rnd(t) % 2 ? LLONG_MAX : LLONG_MIN;
		else
			offset = (long long)rnd(t);
	}
	op_begin(t, f, "lseek");
	op_arg(t, "offset", offset);
	op_arg(t, "whence", whence);

	if (whence == SEEK_CUR && offset == 0)
		e = ok(f->pos);	/* "where am I?" succeeds even past the end */
	else if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
		e = fail(EINVAL);
	else if (__builtin_add_overflow(base, offset, &target) || target < 0 ||
		 (uint64_t)target > f->len)
		e = fail(EINVAL);
	else
		e = ok(target);

	errno = 0;
	ret = lseek(f->fd, offset, whence);
	err = errno;
	if (check_ret(t, f, e, ret, err) && !e.err)
		f->pos = e.ret;
}

/* Where an ioctl's argument struct or __s32 lives: *cls is P_VALID or bad. */
static void *pick_arg(struct fthread *t, size_t size, enum ptr_class *cls)
{
	const struct frun *r = t->run;
	unsigned int x = rnd(t) % 100;

	if (x < 4) {
		*cls = P_NULL;
		return NULL;
	}
	if (x < 8) {
		*cls = P_NONE;
		return r->none + rnd(t) % r->page;
	}
	if (x < 12) {
		*cls = P_KERNEL;
		return kernel_ptr(t);
	}
	if (x < 16) {
		*cls = P_STRADDLE;
		return r->hole + r->page - (1 + rnd(t) % (size - 1));
	}
	if (x < 20) {
		*cls = P_RDONLY;
		return r->ro + rnd(t) % r->page;
	}
	*cls = P_VALID;
	return t->scratch + rnd(t) % 8;
}

static void op_get_value(struct fthread *t, struct mfile *f)
{
	enum ptr_class cls;
	void *p = pick_arg(t, sizeof(int32_t), &cls);
	struct expect e = cls == P_VALID ? ok(0) : fail(EFAULT);
	int32_t v;
	int ret, err;

	op_begin(t, f, "ioctl GET_VALUE");
	op_ptr(t, "arg", cls);
	memset(t->scratch, POISON, sizeof(t->scratch));
	errno = 0;
	ret = ioctl(f->fd, CMISC_IOC_GET_VALUE, p);
	err = errno;
	if (check_ret(t, f, e, ret, err) && !e.err) {
		memcpy(&v, p, sizeof(v));
		if (v != f->value)
			mismatch(t, f, "value %" PRId32 ", model %" PRId32, v, f->value);
		else if (first_not(t->scratch, (unsigned char *)p - t->scratch, POISON) <
			 (size_t)((unsigned char *)p - t->scratch) ||
			 first_not((unsigned char *)p + 4, t->scratch + sizeof(t->scratch) -
				   (unsigned char *)p - 4, POISON) <
			 (size_t)(t->scratch + sizeof(t->scratch) - (unsigned char *)p - 4))
			mismatch(t, f, "bytes around the __s32 changed");
	}
}

static void op_set_value(struct fthread *t, struct mfile *f)
{
	static const int32_t interesting[] = { 0, 1, -1, INT32_MIN, INT32_MAX, 42 };
	enum ptr_class cls;
	void *p = pick_arg(t, sizeof(int32_t), &cls);
	int32_t v = rnd(t) % 2 ? interesting[rnd(t) % 6] : (int32_t)rnd(t);
	struct expect e;
	int ret, err;

	if (cls == P_VALID)
		memcpy(p, &v, sizeof(v));
	else if (cls == P_RDONLY)
		v = 0;		/* readable zeros: a valid source */
	e = cls == P_VALID || cls == P_RDONLY ? ok(0) : fail(EFAULT);
	op_begin(t, f, "ioctl SET_VALUE");
	op_ptr(t, "arg", cls);
	op_arg(t, "value", v);
	errno = 0;
	ret = ioctl(f->fd, CMISC_IOC_SET_VALUE, p);
	err = errno;
	if (check_ret(t, f, e, ret, err) && !e.err)
		f->value = v;
}

static void op_hello(struct fthread *t, struct mfile *f)
{
	unsigned long arg = rnd(t) % 2 ? 0 : (unsigned long)rnd(t);
	int ret, err;

	op_begin(t, f, "ioctl HELLO");
	op_arg(t, "arg", (long long)arg);
	errno = 0;
	ret = ioctl(f->fd, CMISC_IOC_HELLO, arg);
	err = errno;
	check_ret(t, f, ok(CMISC_HELLO_VALUE), ret, err);
}

/* WRITE_BUF with its argument at a place of class acls, of n bytes at class cls. */
static struct expect predict_write_buf(struct fthread *t, const struct mfile *f,
				       enum ptr_class acls, enum ptr_class cls, uint64_t n)
{
	int err;

	if (!writable(f))
		return fail(EBADF);
	if (acls != P_VALID && acls != P_RDONLY)
		return fail(EFAULT);
	if (n > t->run->max_size)
		return fail(EFBIG);
	err = replace_err(t, f, n);
	if (err)
		return fail(err);
	if (cls == P_KERNEL || src_faults(cls, n))
		return fail(EFAULT);
	return ok(0);
}

static void op_write_buf(struct fthread *t, struct mfile *f)
{
	enum ptr_class acls, cls = P_VALID;
	struct cmisc_buf arg = { 0, 0 };
	void *argp = pick_arg(t, sizeof(arg), &acls);
	unsigned int x = rnd(t) % 100;
	const void *p = NULL;
	enum len_class lc = L_NORMAL;
	uint64_t n = 0;
	struct expect e;
	int ret, err;

	if (acls == P_VALID) {
		if (x < 2) {
			lc = L_HUGE;
			n = rnd(t) % 2 ? UINT64_MAX - rnd(t) % 4096 : HUGE_LEN + rnd(t) % 4096;
		} else if (x < 4) {
			lc = L_LARGE;
			n = t->run->max_size + 1 + rnd(t) % (1ULL << 30);
		} else {
			n = pick_len(t);
		}
		if (lc == L_NORMAL) {
			p = pick_src(t, n, lc, &cls);
			/*
			 * A kernel address only where it alone fails the call:
			 * whether it is refused before the budget check, or
			 * when the length is 0, the contract does not say.
			 */
			if (cls == P_KERNEL && (!n || replace_err(t, f, n))) {
				cls = P_NULL;
				p = NULL;
			}
		} else {
			cls = rnd(t) % 2 ? P_VALID : P_NULL;
			p = cls == P_VALID ? t->src : NULL;
		}
		arg.ptr = (uintptr_t)p;
		arg.len = n;
		memcpy(argp, &arg, sizeof(arg));
	} else if (acls == P_RDONLY) {
		cls = P_NULL;	/* reads { 0, 0 }: an empty write from NULL */
	}
	op_begin(t, f, "ioctl WRITE_BUF");
	op_ptr(t, "arg", acls);
	if (acls == P_VALID || acls == P_RDONLY) {
		op_ptr(t, "ptr", cls);
		op_arg(t, "len", n);
	}

	e = predict_write_buf(t, f, acls, cls, n);
	errno = 0;
	ret = ioctl(f->fd, CMISC_IOC_WRITE_BUF, argp);
	err = errno;
	if (check_ret(t, f, e, ret, err) && !e.err) {
		model_replace(f, p, n);
		/* As write(2): an empty WRITE_BUF keeps the position. */
		if (n)
			f->pos = 0;
	}
}

static void op_read_buf(struct fthread *t, struct mfile *f)
{
	enum ptr_class acls, cls = P_VALID;
	struct cmisc_buf arg = { 0, 0 };
	void *argp = pick_arg(t, sizeof(arg), &acls);
	size_t doff = 0, foot = 0;
	uint64_t n = 0, cnt = 0;
	void *p = NULL;
	struct expect e;
	int ret, err;

	if (acls == P_VALID) {
		n = rnd(t) % 50 ? pick_len(t) : (1ULL << 20) + rnd(t) % (1ULL << 30);
		cnt = min_u64(n, f->len);
		if (cnt && n <= t->run->none_size - t->run->page && rnd(t) % 100 < 15) {
			/* A bad destination, only where something is to be copied. */
			p = pick_dst(t, L_NORMAL, &cls, &doff);
			if (cls == P_VALID) {
				cls = P_KERNEL;
				p = kernel_ptr(t);
			}
		} else {
			doff = rnd(t) % 8;
			p = t->dst + doff;
			n = clamp_user(p, n);
			cnt = min_u64(n, f->len);
		}
		arg.ptr = (uintptr_t)p;
		arg.len = n;
		memcpy(argp, &arg, sizeof(arg));
	}
	op_begin(t, f, "ioctl READ_BUF");
	op_ptr(t, "arg", acls);
	if (acls == P_VALID || acls == P_RDONLY) {
		op_ptr(t, "ptr", acls == P_VALID ? cls : P_NULL);
		op_arg(t, "len", n);
	}

	if (!readable(f))
		e = fail(EBADF);
	else if (acls != P_VALID && acls != P_RDONLY)
		e = fail(EFAULT);
	else if (!cnt)
		e = ok(0);
	else
		e = cls == P_VALID ? ok(cnt) : fail(EFAULT);

	if (acls == P_VALID && cls == P_VALID) {
		foot = doff + min_u64(n, (e.err ? 0 : cnt) + GUARD);
		memset(t->dst, POISON, foot);
	}
	errno = 0;
	ret = ioctl(f->fd, CMISC_IOC_READ_BUF, argp);
	err = errno;
	if (check_ret(t, f, e, ret, err) && acls == P_VALID && cls == P_VALID)
		check_scatter(t, f, &doff, &n, 1, 0, e.err ? 0 : cnt, foot);
}

static bool known_cmd(unsigned int cmd)
{
	return cmd == CMISC_IOC_HELLO || cmd == CMISC_IOC_GET_VALUE || cmd == CMISC_IOC_SET_VALUE ||
	       cmd == CMISC_IOC_WRITE_BUF || cmd == CMISC_IOC_READ_BUF;
}

/* Types of the commands the VFS answers itself (do_vfs_ioctl()): 'T', 'X', 'f', 0, 0x94. */
static bool vfs_cmd(unsigned int cmd)
{
	unsigned int type = _IOC_TYPE(cmd);

	return type == 'T' || type == 'X' || type == 'f' || type == 0 || type == 0x94;
}

static unsigned int pick_unknown_cmd(struct fthread *t)
{
	static const unsigned int near[] = {
		CMISC_IOC_FAIL,
		_IO(CMISC_IOC_MAGIC, 0x7f),
		_IO(CMISC_IOC_MAGIC, 0x85),
		_IOR(CMISC_IOC_MAGIC, 0x80, int),
		_IO(CMISC_IOC_MAGIC, 0x81),
		_IOW(CMISC_IOC_MAGIC, 0x81, __s32),
		_IOWR(CMISC_IOC_MAGIC, 0x81, __s32),
		_IOR(CMISC_IOC_MAGIC, 0x81, __s64),
		_IOR(CMISC_IOC_MAGIC, 0x82, __s32),
		_IOW(CMISC_IOC_MAGIC, 0x82, __s64),
		_IOR(CMISC_IOC_MAGIC, 0x83, struct cmisc_buf),
		_IOW(CMISC_IOC_MAGIC, 0x83, __u64),
		_IOWR(CMISC_IOC_MAGIC, 0x84, struct cmisc_buf),
		_IOW(CMISC_IOC_MAGIC, 0x84, __u32),
		_IOW(CMISC_IOC_MAGIC ^ 1, 0x83, struct cmisc_buf),
	};
	unsigned int x = rnd(t) % 100, cmd;

	if (x < 40)
		return near[rnd(t) % ARRAY_SIZE(near)];
	do {
		if (x < 80)
			cmd = _IOC(rnd(t) % 4, CMISC_IOC_MAGIC, rnd(t) % 256, rnd(t) % 64);
		else
			cmd = (unsigned int)rnd(t);
	} while (known_cmd(cmd) || vfs_cmd(cmd));
	return cmd;
}

static void op_bad_ioctl(struct fthread *t, struct mfile *f)
{
	unsigned int cmd = pick_unknown_cmd(t);
	enum ptr_class cls;
	void *p = pick_arg(t, 16, &cls);
	int ret, err;

	op_begin(t, f, "ioctl unknown");
	op_arg(t, "cmd", cmd);
	op_ptr(t, "arg", cls);
	errno = 0;
	ret = ioctl(f->fd, cmd, p);
	err = errno;
	check_ret(t, f, fail(ENOTTY), ret, err);
}

enum op {
	OP_WRITE, OP_WRITEV, OP_PWRITE, OP_PWRITEV, OP_WRITE_BUF,
	OP_READ, OP_READV, OP_PREAD, OP_PREADV, OP_READ_BUF,
	OP_LSEEK, OP_HELLO, OP_GET_VALUE, OP_SET_VALUE, OP_BAD_IOCTL,
	NR_OPS
};

/* Per cent of the calls. */
static const unsigned int op_weight[NR_OPS] = {
	[OP_WRITE] = 12, [OP_WRITEV] = 8, [OP_PWRITE] = 6, [OP_PWRITEV] = 5, [OP_WRITE_BUF] = 8,
	[OP_READ] = 12, [OP_READV] = 7, [OP_PREAD] = 6, [OP_PREADV] = 5, [OP_READ_BUF] = 7,
	[OP_LSEEK] = 12, [OP_HELLO] = 2, [OP_GET_VALUE] = 4, [OP_SET_VALUE] = 4,
	[OP_BAD_IOCTL] = 2,
};

static void one_op(struct fthread *t)
{
	struct mfile *f = &t->files[rnd(t) % NFILES];
	unsigned int x = rnd(t) % 100;
	uint64_t m = rnd(t);
	enum op op;

	/* Keep the source changing: 8 fresh bytes now and then. */
	if (m % 8 == 0) {
		uint64_t v = rnd(t);

		memcpy(t->src + (m >> 8) % (t->src_cap - 8), &v, sizeof(v));
	}
	for (op = 0; x >= op_weight[op]; op++)
		x -= op_weight[op];
	t->cur = f;
	t->bad = false;
	t->budget = false;
	t->op.index = t->ops++;
	switch (op) {
	case OP_WRITE:
		op_write(t, f, false);
		break;
	case OP_PWRITE:
		op_write(t, f, true);
		break;
	case OP_WRITEV:
		op_writev(t, f, false);
		break;
	case OP_PWRITEV:
		op_writev(t, f, true);
		break;
	case OP_WRITE_BUF:
		op_write_buf(t, f);
		break;
	case OP_READ:
		op_read(t, f, false);
		break;
	case OP_PREAD:
		op_read(t, f, true);
		break;
	case OP_READV:
		op_readv(t, f, false);
		break;
	case OP_PREADV:
		op_readv(t, f, true);
		break;
	case OP_READ_BUF:
		op_read_buf(t, f);
		break;
	case OP_LSEEK:
		op_lseek(t, f);
		break;
	case OP_HELLO:
		op_hello(t, f);
		break;
	case OP_GET_VALUE:
		op_get_value(t, f);
		break;
	case OP_SET_VALUE:
		op_set_value(t, f);
		break;
	default:
		op_bad_ioctl(t, f);
		break;
	}
	check_pos(t, f);
	if (t->bad)
		resync(t, f);
	if (t->run->threads == 1 && (t->budget || t->op.index % SYSFS_EVERY == 0))
		check_sysfs(t->run, t, NULL);
}

/* All threads stop; thread 0 compares sysfs; then each checks its files. */
static void quiescent(struct fthread *t)
{
	struct frun *r = t->run;

	pthread_barrier_wait(&r->barrier);
	if (t->id == 0)
		check_sysfs(r, t, NULL);
	pthread_barrier_wait(&r->barrier);
	if (!t->dead)
		verify_files(t);
}

static void *fuzz_thread(void *arg)
{
	struct fthread *t = arg;
	uint64_t i;

	for (i = 1; i <= t->run->ops_per_thread; i++) {
		if (!t->dead)
			one_op(t);
		if (i % SYNC_EVERY == 0)
			quiescent(t);
	}
	return NULL;
}

/* ------------------------------------------------------------ the runs */

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Close every file of the run; 0 when all closed cleanly. */
static int close_all(struct frun *r)
{
	int i, j, ret = 0;

	for (i = 0; i < r->threads; i++) {
		for (j = 0; j < NFILES; j++) {
			if (r->th[i].files[j].fd >= 0 && close(r->th[i].files[j].fd))
				ret = -1;
			r->th[i].files[j].fd = -1;
		}
	}
	return ret;
}

static void free_run(struct frun *r)
{
	int i, j;

	close_all(r);
	if (r->charged_fd >= 0)
		close(r->charged_fd);
	if (r->open_fd >= 0)
		close(r->open_fd);
	for (i = 0; i < r->threads; i++) {
		for (j = 0; j < NFILES; j++)
			free(r->th[i].files[j].buf);
		free(r->th[i].src);
		free(r->th[i].dst);
		free(r->th[i].cat);
	}
	if (r->hole)
		munmap(r->hole, r->page + r->none_size);
	if (r->ro)
		munmap(r->ro, r->ro_size);
	free(r);
	cur_run = NULL;
}

/* Map the shared regions: a page before a PROT_NONE hole, and read-only zeros. */
static int map_regions(struct frun *r)
{
	void *p;

	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->none_size = r->max_size + SLACK + 2 * r->page;
	p = mmap(NULL, r->page + r->none_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	r->hole = p;
	r->none = r->hole + r->page;
	if (mprotect(r->hole, r->page, PROT_READ | PROT_WRITE))
		return -1;
	memset(r->hole, 0x5a, r->page);
	r->ro_size = r->max_size + SLACK + 2 * r->page;
	p = mmap(NULL, r->ro_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	r->ro = p;
	return 0;
}

static int setup_thread(struct frun *r, struct fthread *t, int id, uint64_t seed)
{
	uint64_t s = seed ^ ((uint64_t)r->cfg->salt << 32 | (uint64_t)id << 8);
	size_t i;
	int j;

	t->run = r;
	t->id = id;
	t->rng = splitmix64(&s);
	t->src_cap = r->max_size + SLACK + 8;
	t->dst_cap = r->max_size + 2 * SLACK + r->page;
	t->src = malloc(t->src_cap);
	t->dst = malloc(t->dst_cap);
	t->cat = malloc(r->max_size + 1);
	if (!t->src || !t->dst || !t->cat)
		return -1;
	for (i = 0; i + 8 <= t->src_cap; i += 8) {
		uint64_t v = rnd(t);

		memcpy(t->src + i, &v, 8);
	}
	for (j = 0; j < NFILES; j++) {
		t->files[j].flags = file_flags[j];
		t->files[j].buf = malloc(r->max_size + 1);
		t->files[j].fd = open(DEV, file_flags[j]);
		if (!t->files[j].buf || t->files[j].fd < 0)
			return -1;
	}
	return 0;
}

static void run_fuzz(struct __test_metadata *_metadata, const struct run_cfg *cfg)
{
	uint64_t seed = env_u64("CMISC_FUZZ_SEED", time(NULL) ^ ((uint64_t)getpid() << 32));
	uint64_t total = env_u64("CMISC_FUZZ_OPS", 1000000), run_ops, ops = 0, mismatches;
	uint64_t stats[NR_ST] = { 0 }, first_index = UINT64_MAX;
	char outcomes_buf[256] = "";
	struct sbuf outcomes = { outcomes_buf, sizeof(outcomes_buf), 0 };
	pthread_t th[MAX_THREADS];
	const char *first = NULL;
	struct frun *r;
	double t0, secs;
	int i, j, created = 0;

	ksft_print_msg("fuzz %s: seed %" PRIu64 " (replay with CMISC_FUZZ_SEED=%" PRIu64
		       "), module \"%s\"\n", cfg->name, seed, seed, cfg->params);
	fflush(stdout);
	ASSERT_EQ(0, cmisc_reload(cfg->params)) TH_LOG("reloading cmisc with \"%s\"", cfg->params);

	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	cur_run = r;
	r->cfg = cfg;
	r->threads = cfg->threads;
	r->charged_fd = -1;
	r->open_fd = -1;
	for (i = 0; i < MAX_THREADS; i++)
		for (j = 0; j < NFILES; j++)
			r->th[i].files[j].fd = -1;
	ASSERT_LT(2, cmisc_param("max_size"));
	ASSERT_LT(2, cmisc_param("max_total"));
	r->max_size = cmisc_param("max_size");
	r->max_total = cmisc_param("max_total");
	ASSERT_LE(r->max_size, r->max_total);
	/* Exact ENOSPC without knowing other threads' lengths: none can happen. */
	if (r->threads > 1)
		ASSERT_LE(r->threads * NFILES * r->max_size, r->max_total);
	ASSERT_EQ(0, map_regions(r));
	run_ops = total * cfg->share / 1000;
	r->ops_per_thread = (run_ops + r->threads - 1) / r->threads;
	if (!r->ops_per_thread)
		r->ops_per_thread = 1;

	r->charged_fd = open(SYSFS_DIR "charged_bytes", O_RDONLY | O_CLOEXEC);
	r->open_fd = open(SYSFS_DIR "open_files", O_RDONLY | O_CLOEXEC);
	EXPECT_LE(0, r->charged_fd) TH_LOG("%scharged_bytes: %s", SYSFS_DIR, strerror(errno));
	EXPECT_LE(0, r->open_fd) TH_LOG("%sopen_files: %s", SYSFS_DIR, strerror(errno));
	check_sysfs(r, NULL, "after loading the module, before any open");

	for (i = 0; i < r->threads; i++)
		ASSERT_EQ(0, setup_thread(r, &r->th[i], i, seed))
			TH_LOG("thread %d: setup: %s", i, strerror(errno));
	check_sysfs(r, NULL, "after opening every file, before any call");
	ASSERT_EQ(0, pthread_barrier_init(&r->barrier, NULL, r->threads));

	t0 = now();
	for (i = 0; i < r->threads; i++) {
		if (pthread_create(&th[i], NULL, fuzz_thread, &r->th[i])) {
			/* The others would wait at the barrier for ever. */
			ksft_print_msg("fuzz: pthread_create failed\n");
			abort();
		}
		created++;
	}
	for (i = 0; i < created; i++)
		pthread_join(th[i], NULL);
	secs = now() - t0;
	pthread_barrier_destroy(&r->barrier);

	/* Quiescent: compare everything once more, then close and expect 0. */
	check_sysfs(r, NULL, "after the run, every file still open");
	for (i = 0; i < r->threads; i++)
		if (!r->th[i].dead)
			verify_files(&r->th[i]);
	EXPECT_EQ(0, close_all(r));
	check_sysfs(r, NULL, "after the run, every file closed");

	mismatches = r->sysfs_mismatches;
	for (i = 0; i < r->threads; i++) {
		struct fthread *t = &r->th[i];

		ops += t->ops;
		mismatches += t->mismatches;
		for (j = 0; j < NR_ST; j++)
			stats[j] += t->stats[j];
		if (t->mismatches) {
			ksft_print_msg("fuzz: thread %d: %" PRIu64 " mismatches, the first: %s\n",
				       i, t->mismatches, t->first);
			if (t->first_index < first_index) {
				first_index = t->first_index;
				first = t->first;
			}
		}
	}
	if (r->sysfs_mismatches) {
		ksft_print_msg("fuzz: sysfs: %" PRIu64 " mismatches (no checks after the first), "
			       "the first: %s\n", r->sysfs_mismatches, r->sysfs_first);
		/* Before or at the call that revealed it: report it first on a tie. */
		if (!first || r->sysfs_first_index <= first_index + 1)
			first = r->sysfs_first;
	}
	ksft_print_msg("fuzz %s: %" PRIu64 " calls from %d thread(s) in %.1f s, %.0f calls/s\n",
		       cfg->name, ops, r->threads, secs, secs > 0 ? ops / secs : 0.0);
	ksft_print_msg("fuzz %s: max_size %" PRIu64 ", max_total %" PRIu64 ", %" PRIu64
		       " sysfs checks, %" PRIu64 " model mismatches, seed %" PRIu64 "\n",
		       cfg->name, r->max_size, r->max_total, r->sysfs_checks, mismatches, seed);
	for (j = 0; j < NR_ST; j++)
		sb_printf(&outcomes, "%s%s %" PRIu64, j ? ", " : "", st_names[j], stats[j]);
	ksft_print_msg("fuzz %s: predicted outcomes: %s\n", cfg->name, outcomes.buf);
	fflush(stdout);

	EXPECT_EQ((uint64_t)0, mismatches)
		TH_LOG("first mismatch (replay with CMISC_FUZZ_SEED=%" PRIu64 "): %s",
		       seed, first ? first : "?");
	EXPECT_EQ(r->ops_per_thread * r->threads, ops) TH_LOG("threads stopped early");
	/* The run must reach the errors it is about. */
	if (run_ops >= 20000) {
		EXPECT_LT((uint64_t)0, stats[ST_EFBIG]);
		EXPECT_LT((uint64_t)0, stats[ST_EFAULT]);
		if (r->threads == 1)
			EXPECT_LT((uint64_t)0, stats[ST_ENOSPC]);
	}
	free_run(r);
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

/* Whatever happened, close what the run left open and restore the default module. */
FIXTURE_TEARDOWN(fuzz)
{
	if (cur_run)
		free_run(cur_run);
	EXPECT_EQ(0, cmisc_reload(""));
}

/* The debug kernel is KASAN under TCG: minutes, not the harness's 30 s. */
TEST_F_TIMEOUT(fuzz, model_default_limits_4_threads, 1800)
{
	run_fuzz(_metadata, &run_default);
}

TEST_F_TIMEOUT(fuzz, model_small_limits_4_threads, 1800)
{
	run_fuzz(_metadata, &run_small_mt);
}

TEST_F_TIMEOUT(fuzz, model_small_limits_1_thread, 1800)
{
	run_fuzz(_metadata, &run_small_st);
}

CMISC_TEST_MAIN
