// SPDX-License-Identifier: GPL-2.0
/*
 * cmiscctl - drive every operation of the cmisc misc device from a shell.
 * See usage() below and cmiscctl.1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/cmisc.h"

#ifndef CMISC_VERSION
#define CMISC_VERSION "unknown"
#endif

enum {
	EXIT_FAILED = 1,	/* the driver refused the operation */
	EXIT_USAGE = 2,		/* bad command line; nothing was sent */
	EXIT_NODEV = 3,		/* no device node, or no driver behind it */
	EXIT_PERM = 4,		/* permission denied */
	EXIT_NOTTY = 5,		/* not a cmisc device, or too old a driver */
	EXIT_INPUT = 6,		/* standard input could not be read */
	EXIT_OUTPUT = 7,	/* standard output could not be written */
};

#define SYS_MODULE "/sys/module/cmisc"
/* A session line holds at most this many bytes, not counting its newline. */
#define LINE_MAX_LEN 65536
/* ... and at most this many words ("read --offset N --max N" is five). */
#define SESSION_MAX_WORDS 7
/* Largest input taken from stdin: above the driver's own 1 GiB ceiling. */
#define CMISC_MAX_INPUT (1024L * 1024 * 1024)
/* Largest file offset that lseek(2) can take. */
#define OFF_MAX (sizeof(off_t) == sizeof(long long) ? LLONG_MAX : (long long)LONG_MAX)

/* Where the packaged udev rule (packaging/60-cmisc.rules) may be installed. */
static const char *const udev_rules[] = {
	"/etc/udev/rules.d/60-cmisc.rules",
	"/usr/lib/udev/rules.d/60-cmisc.rules",
	"/lib/udev/rules.d/60-cmisc.rules",
};

struct ctl {
	const char *path;
	bool path_given;	/* --device: info then keeps to it */
	int fd;			/* opened on first use, shared by a session */
};

static const char usage_text[] =
"usage: cmiscctl [--device PATH] [--] COMMAND [ARGS]\n"
"       cmiscctl --help | --version\n"
"\n"
"Commands:\n"
"  hello                      send HELLO; prints the driver's answer (100)\n"
"  get                        print this open file's value\n"
"  set [--] N                 set the value (a 32-bit signed integer; a\n"
"                             negative N may follow '--' or stand alone)\n"
"  write [--then-read] [--] [DATA|-]\n"
"                             replace the buffer with DATA, or stdin for '-'\n"
"                             (the default); --then-read (also after DATA)\n"
"                             reads it back; after '--' all is DATA, '-' too\n"
"  read [--offset N] [--max N]\n"
"                             print the buffer from offset N, at most N bytes\n"
"  info                       module, parameters, node (/dev/NAME of the loaded\n"
"                             module's name=, unless --device), major:minor, mode\n"
"  session                    run commands from stdin, one per line, on ONE\n"
"                             open file, e.g. printf 'write hi\\nread\\n' | cmiscctl session\n"
"\n"
"Numbers are decimal or hex with 0x, with an optional '-': 010 is ten, not\n"
"eight. Blanks, '+', other characters and values out of range are usage\n"
"errors.\n"
"\n"
"In a session, 'write ' takes the rest of its line as data ('write -' is an\n"
"error), a line holds at most 65536 bytes and 7 words, and the output of\n"
"every read ends with a newline.\n"
"\n"
"State is per open file, exactly as in the kernel's rust_misc_device sample:\n"
"every cmiscctl invocation opens the device anew, so 'cmiscctl write x' then\n"
"'cmiscctl read' prints nothing and 'cmiscctl get' always prints 0. Use\n"
"'write --then-read' or 'session' to do several operations on one open file.\n"
"The device is opened and checked with HELLO before stdin is read, with the\n"
"least access the command needs: hello, get, set and read open it read-only\n"
"(the driver takes HELLO, GET and SET on a file open in any mode), write\n"
"write-only (read-write with --then-read), session read-write.\n"
"\n"
"Options:\n"
"  -d, --device PATH          device node (default " CMISC_DEFAULT_PATH ");\n"
"                             also -dPATH and --device=PATH\n"
"  -h, --help                 show this help\n"
"  -V, --version              show the version\n"
"  --                         end of options\n"
"\n"
"Exit status:\n"
"  0 success; 1 the driver refused the operation; 2 usage error (nothing\n"
"  was sent; in a session, nothing of the bad line, and the lines before\n"
"  it ran); 3 device missing (is the cmisc module loaded?); 4 permission\n"
"  denied; 5 not a cmisc device (HELLO did not answer 100) or the driver\n"
"  does not support the command (wrong driver?); 6 standard input could\n"
"  not be read (nothing of it was written); 7 standard output could not\n"
"  be written (the device did what it was asked).\n";

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cmiscctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'cmiscctl --help'.\n");
	return EXIT_USAGE;
}

/* Reading standard input failed: our side, not the driver's. */
static int input_error(const char *what, int err)
{
	fprintf(stderr, "cmiscctl: %s: cannot read standard input: %s\n", what, strerror(err));
	return EXIT_INPUT;
}

/* Writing standard output failed: our side too, whatever the errno says. */
static int output_error(const char *what, int err)
{
	fprintf(stderr, "cmiscctl: %s: cannot write standard output: %s\n", what, strerror(err));
	return EXIT_OUTPUT;
}

/*
 * Flush and close standard output once the command is done: output still
 * in the buffer can fail to be written only now. @ret is the command's
 * status; a first failure keeps its own status, an output error that
 * cmd_read() has reported already is not reported twice. EBADF from the
 * close alone means stdout was never open and nothing was lost (anything
 * written would have failed the flush).
 */
static int finish_output(const char *what, int ret)
{
	int err = 0;

	if (fflush(stdout))
		err = errno;
	else if (ferror(stdout))
		err = EIO;
	if (fclose(stdout) && errno != EBADF && !err)
		err = errno;
	if (!err || ret == EXIT_OUTPUT)
		return ret;
	output_error(what, err);
	return ret ? ret : EXIT_OUTPUT;
}

static bool udev_rule_installed(void)
{
	size_t i;

	for (i = 0; i < sizeof(udev_rules) / sizeof(udev_rules[0]); i++)
		if (access(udev_rules[i], F_OK) == 0)
			return true;
	return false;
}

/* Report a failed operation in one line and map it to an exit status. */
static int fail(const struct ctl *c, const char *what, int err)
{
	struct stat st;

	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		fprintf(stderr, "cmiscctl: %s: %s: %s (is the cmisc module loaded?)\n",
			what, c->path, strerror(err));
		return EXIT_NODEV;
	case EACCES:
	case EPERM:
		if (stat(c->path, &st) != 0)
			fprintf(stderr, "cmiscctl: %s: %s: permission denied\n", what, c->path);
		else if (udev_rule_installed())
			fprintf(stderr, "cmiscctl: %s: %s: permission denied (device mode is %04o; join group cmisc (usermod -aG cmisc USER, then log in again), run as root or load with mode=...)\n",
				what, c->path, (unsigned int)(st.st_mode & 07777));
		else
			fprintf(stderr, "cmiscctl: %s: %s: permission denied (device mode is %04o; run as root or load with mode=...)\n",
				what, c->path, (unsigned int)(st.st_mode & 07777));
		return EXIT_PERM;
	case ENOTTY:
		fprintf(stderr, "cmiscctl: %s: %s: driver does not support this command (wrong driver or version?)\n",
			what, c->path);
		return EXIT_NOTTY;
	case EFBIG:
		fprintf(stderr, "cmiscctl: %s: data larger than the driver's max_size (%s/parameters/max_size)\n",
			what, SYS_MODULE);
		return EXIT_FAILED;
	default:
		fprintf(stderr, "cmiscctl: %s: %s: %s\n", what, c->path, strerror(err));
		return EXIT_FAILED;
	}
}

/*
 * The one number parser, for every number cmiscctl takes: an optional '-',
 * then decimal digits, or 0x (0X) and hex digits; nothing else, so no
 * blanks, no '+', no newline, no trailing characters. A leading 0 does not
 * mean octal: 010 is ten and 08 is eight. The value must lie in [min, max].
 */
static bool parse_num(const char *s, long long min, long long max, long long *out)
{
	bool neg = *s == '-';
	const char *p = s + neg;
	unsigned long long v = 0, limit;
	unsigned int base = 10, d;
	long long val;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return false;
	limit = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return false;
		if (v > (limit - d) / base)
			return false;
		v = v * base + d;
	}
	if (!neg)
		val = (long long)v;
	else if (v == (unsigned long long)LLONG_MAX + 1)
		val = LLONG_MIN;
	else
		val = -(long long)v;
	if (val < min || val > max)
		return false;
	*out = val;
	return true;
}

/*
 * Open the device once, with @flags (O_RDONLY, O_WRONLY or O_RDWR: the
 * least the command needs), and check that it is a cmisc device (HELLO
 * answers 100) before anything else is sent to it or read from stdin.
 */
static int ensure_open(struct ctl *c, const char *what, int flags)
{
	int ret;

	if (c->fd >= 0)
		return 0;
	c->fd = cmisc_open(c->path, flags);
	if (c->fd < 0)
		return fail(c, what, -c->fd);
	ret = cmisc_hello(c->fd);
	if (ret == CMISC_HELLO_VALUE)
		return 0;
	close(c->fd);
	c->fd = -1;
	if (ret == -ENOTTY)
		return fail(c, what, ENOTTY);
	if (ret < 0)
		fprintf(stderr, "cmiscctl: %s: %s: not a cmisc device (HELLO failed: %s)\n",
			what, c->path, strerror(-ret));
	else
		fprintf(stderr, "cmiscctl: %s: %s: not a cmisc device (HELLO answered %d, not %d)\n",
			what, c->path, ret, CMISC_HELLO_VALUE);
	return EXIT_NOTTY;
}

static int cmd_hello(struct ctl *c)
{
	int ret = ensure_open(c, "hello", O_RDONLY);

	if (ret)
		return ret;
	ret = cmisc_hello(c->fd);
	if (ret < 0)
		return fail(c, "hello", -ret);
	printf("%d\n", ret);
	return 0;
}

static int cmd_get(struct ctl *c)
{
	int32_t v;
	int ret = ensure_open(c, "get", O_RDONLY);

	if (ret)
		return ret;
	ret = cmisc_get_value(c->fd, &v);
	if (ret < 0)
		return fail(c, "get", -ret);
	printf("%d\n", v);
	return 0;
}

static int cmd_set(struct ctl *c, const char *arg)
{
	long long v;
	int ret;

	if (!parse_num(arg, INT32_MIN, INT32_MAX, &v))
		return usage_error("set: '%s' is not a 32-bit signed integer", arg);
	ret = ensure_open(c, "set", O_RDONLY);
	if (ret)
		return ret;
	ret = cmisc_set_value(c->fd, (int32_t)v);
	return ret < 0 ? fail(c, "set", -ret) : 0;
}

/* In a session, the output of every read ends with a newline. */
static int cmd_read(struct ctl *c, long long offset, long long max, bool in_session)
{
	char chunk[65536];
	long long left = max;
	int ret = ensure_open(c, "read", O_RDONLY);
	off_t pos;

	if (ret)
		return ret;
	if (offset >= 0) {
		pos = cmisc_seek(c->fd, offset, SEEK_SET);
		if (pos < 0)
			return fail(c, "read: seek", (int)-pos);
	}
	while (left) {
		size_t want = left < 0 || left > (long long)sizeof(chunk) ?
			      sizeof(chunk) : (size_t)left;
		ssize_t n = cmisc_read(c->fd, chunk, want);

		if (n == -EINTR)
			continue;
		if (n < 0)
			return fail(c, "read", (int)-n);
		if (n == 0)
			break;
		if (fwrite(chunk, 1, n, stdout) != (size_t)n)
			return output_error("read", errno);
		if (left > 0)
			left -= n;
	}
	if (in_session && putchar('\n') == EOF)
		return output_error("read", errno);
	return fflush(stdout) ? output_error("read", errno) : 0;
}

/* Slurp stdin; the driver, not us, decides what is too large. */
static int read_stdin(char **data, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	for (;;) {
		size_t got;

		if (n == cap) {
			char *p;

			cap = cap ? cap * 2 : 65536;
			if (cap > (size_t)CMISC_MAX_INPUT + 1)
				cap = (size_t)CMISC_MAX_INPUT + 1;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		errno = 0;
		got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (ferror(stdin)) {
			int err = errno ? errno : EIO;

			free(buf);
			return -err;
		}
		if (got == 0 || n > CMISC_MAX_INPUT)
			break;
	}
	*data = buf;
	*len = n;
	return 0;
}

/*
 * DATA, or stdin for NULL (the caller has turned a "-" that was not after
 * "--" into NULL). The device is opened and checked first, so a missing or
 * wrong device never waits for, or swallows, stdin.
 */
static int cmd_write(struct ctl *c, const char *arg, bool then_read, bool in_session)
{
	const char *data = arg;
	char *input = NULL;
	size_t len;
	ssize_t n;
	int ret = ensure_open(c, "write", then_read ? O_RDWR : O_WRONLY);

	if (ret)
		return ret;
	if (!arg) {
		ret = read_stdin(&input, &len);
		if (ret)
			return input_error("write", -ret);
		data = input;
	} else {
		len = strlen(arg);
	}
	n = cmisc_write(c->fd, data, len);
	free(input);
	if (n < 0)
		return fail(c, "write", (int)-n);
	return then_read ? cmd_read(c, -1, -1, in_session) : 0;
}

static const char *sys_param(const char *name, char *buf, size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), SYS_MODULE "/%s", name);
	f = fopen(path, "r");
	if (!f)
		return "-";
	if (!fgets(buf, size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/*
 * The node of the loaded module: /dev/ and its name= parameter, into @buf.
 * NULL if there is none to be read, or it is not a plain file name.
 */
static const char *module_node(char *buf, size_t size)
{
	char name[128];

	if (!strcmp(sys_param("parameters/name", name, sizeof(name)), "-") || !name[0] ||
	    strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return NULL;
	snprintf(buf, size, "/dev/%s", name);
	return buf;
}

/*
 * The module is found by its own name (/sys/module/cmisc), whatever node
 * name it was loaded with; unless --device says otherwise, the node shown
 * is the one its name= parameter made.
 */
static int cmd_info(struct ctl *c)
{
	static const char *const params[] = { "name", "mode", "max_size", "max_total" };
	bool loaded = access(SYS_MODULE, F_OK) == 0;
	/* static: c->path may point here after we return (a session). */
	static char node[160];
	char buf[256];
	struct stat st;
	size_t i;

	printf("module:  %s\n", loaded ? "loaded" : "not loaded");
	if (loaded) {
		printf("version: %s\n", sys_param("version", buf, sizeof(buf)));
		for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
			char name[64];

			snprintf(name, sizeof(name), "parameters/%s", params[i]);
			printf("param:   %s=%s\n", params[i], sys_param(name, buf, sizeof(buf)));
		}
		if (!c->path_given && module_node(node, sizeof(node)))
			c->path = node;
	}
	if (stat(c->path, &st)) {
		int err = errno;

		printf("device:  %s missing\n", c->path);
		if (!loaded || err != ENOENT)
			return fail(c, "info", err);
		fprintf(stderr, "cmiscctl: info: %s: %s (the cmisc module is loaded: is /dev populated?)\n",
			c->path, strerror(err));
		return EXIT_NODEV;
	}
	printf("device:  %s\n", c->path);
	printf("type:    %s\n", S_ISCHR(st.st_mode) ? "character device" : "not a character device");
	printf("number:  %u:%u\n", major(st.st_rdev), minor(st.st_rdev));
	printf("mode:    %04o\n", (unsigned int)(st.st_mode & 07777));
	printf("owner:   %u:%u\n", (unsigned int)st.st_uid, (unsigned int)st.st_gid);
	return 0;
}

static int run(struct ctl *c, int argc, char **argv, bool in_session);

/*
 * Read one line of stdin, without its newline, into @line (LINE_MAX_LEN + 1
 * bytes). Returns 0, 1 at the end of input, -E2BIG for a longer line (of
 * which the rest stays unread), -EINVAL for a line holding a NUL byte, or
 * -errno when stdin cannot be read.
 */
static int read_line(char *line)
{
	size_t n = 0;
	int ch;

	errno = 0;
	while ((ch = getchar()) != EOF && ch != '\n') {
		if (n == LINE_MAX_LEN)
			return -E2BIG;
		line[n++] = (char)ch;
	}
	if (ch == EOF && ferror(stdin))
		return errno ? -errno : -EIO;
	if (ch == EOF && !n)
		return 1;
	line[n] = '\0';
	return memchr(line, '\0', n) ? -EINVAL : 0;
}

static int session_line(struct ctl *c, char *line)
{
	char *argv[SESSION_MAX_WORDS + 1], *save = NULL, *tok, *rest;
	int argc = 0;

	rest = line + strspn(line, " \t");
	if (!*rest || *rest == '#')
		return 0;
	if (!strncmp(rest, "write ", 6)) {
		/* The rest of the line is the data, verbatim; never stdin. */
		if (!strcmp(rest + 6, "-"))
			return usage_error("%s", "session: write needs its data on the line");
		return cmd_write(c, rest + 6, false, true);
	}
	for (tok = strtok_r(rest, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (argc == SESSION_MAX_WORDS)
			return usage_error("session: more than %d words on a line", SESSION_MAX_WORDS);
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	return run(c, argc, argv, true);
}

/* Each line of stdin is one command; "write" takes the rest of its line. */
static int cmd_session(struct ctl *c)
{
	static char line[LINE_MAX_LEN + 1];
	unsigned int lineno = 0;
	int ret;

	ret = ensure_open(c, "session", O_RDWR);
	if (ret)
		return ret;
	for (;;) {
		ret = read_line(line);
		if (ret == 1)
			return 0;
		lineno++;
		if (ret == -E2BIG)
			ret = usage_error("session: line longer than %d bytes", LINE_MAX_LEN);
		else if (ret == -EINVAL)
			ret = usage_error("%s", "session: line holds a NUL byte");
		else if (ret < 0)
			ret = input_error("session", -ret);
		else
			ret = session_line(c, line);
		if (!ret && fflush(stdout))
			ret = output_error("session", errno);
		if (ret) {
			fflush(stdout);
			fprintf(stderr, "cmiscctl: session: stopped at line %u\n", lineno);
			return ret;
		}
	}
}

/* Skip a "--" that ends a command's options, if @arg is one. */
static int skip_dashdash(int i, int argc, char **argv)
{
	return i < argc && !strcmp(argv[i], "--") ? i + 1 : i;
}

static int run(struct ctl *c, int argc, char **argv, bool in_session)
{
	const char *cmd = argv[0];
	int i = skip_dashdash(1, argc, argv);

	if (!strcmp(cmd, "hello") && argc == i)
		return cmd_hello(c);
	if (!strcmp(cmd, "get") && argc == i)
		return cmd_get(c);
	if (!strcmp(cmd, "set") && argc == i + 1)
		return cmd_set(c, argv[i]);
	if (!strcmp(cmd, "info") && argc == i)
		return cmd_info(c);
	if (!strcmp(cmd, "session") && argc == i && !in_session)
		return cmd_session(c);
	if (!strcmp(cmd, "write")) {
		const char *data = NULL;
		bool then_read = false, opts = true, stdin_dash = false;

		for (i = 1; i < argc; i++) {
			if (opts && !strcmp(argv[i], "--")) {
				opts = false;
			} else if (opts && !strcmp(argv[i], "--then-read")) {
				then_read = true;
			} else if (!data) {
				data = argv[i];
				/* After "--", even "-" is data. */
				stdin_dash = opts && !strcmp(data, "-");
			} else {
				return usage_error("write: unexpected '%s'", argv[i]);
			}
		}
		if (stdin_dash)
			data = NULL;
		if (in_session && !data)
			return usage_error("%s", "session: write needs its data on the line");
		return cmd_write(c, data, then_read, in_session);
	}
	if (!strcmp(cmd, "read")) {
		long long offset = -1, max = -1, *dst, lim;
		const char *opt, *val;

		for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
			opt = argv[i];
			val = strchr(opt, '=');
			if (!strncmp(opt, "--offset", 8) && (!opt[8] || opt[8] == '=')) {
				dst = &offset;
				lim = OFF_MAX;
			} else if (!strncmp(opt, "--max", 5) && (!opt[5] || opt[5] == '=')) {
				dst = &max;
				lim = LLONG_MAX;
			} else {
				return usage_error("read: unknown option '%s'", opt);
			}
			if (val)
				val++;
			else if (++i < argc)
				val = argv[i];
			if (!val)
				return usage_error("read: %s needs a number", opt);
			if (!parse_num(val, 0, lim, dst))
				return usage_error("read: %.*s needs a number from 0 to %lld (decimal or 0x hex), not '%s'",
						   (int)strcspn(opt, "="), opt, lim, val);
		}
		if (skip_dashdash(i, argc, argv) != argc)
			return usage_error("read: unexpected '%s'", argv[i + 1]);
		return cmd_read(c, offset, max, in_session);
	}
	return usage_error("unknown command or wrong arguments: '%s'", cmd);
}

int main(int argc, char **argv)
{
	struct ctl c = { .path = CMISC_DEFAULT_PATH, .fd = -1 };
	int i = 1, ret;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *opt = argv[i];

		if (!strcmp(opt, "--")) {
			i++;
			break;
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			fputs(usage_text, stdout);
			return finish_output("help", 0);
		} else if (!strcmp(opt, "-V") || !strcmp(opt, "--version")) {
			printf("cmiscctl %s\n", CMISC_VERSION);
			return finish_output("version", 0);
		} else if (!strcmp(opt, "-d") || !strcmp(opt, "--device")) {
			if (++i == argc)
				return usage_error("%s needs a path", opt);
			c.path = argv[i];
		} else if (!strncmp(opt, "--device=", 9)) {
			c.path = opt + 9;
		} else if (!strncmp(opt, "-d", 2)) {
			c.path = opt + 2;
		} else {
			return usage_error("unknown option '%s'", opt);
		}
		if (!*c.path)
			return usage_error("%s needs a path", "--device");
		c.path_given = true;
	}
	if (i == argc)
		return usage_error("%s", "no command given");
	ret = run(&c, argc - i, argv + i, false);
	if (c.fd >= 0)
		close(c.fd);
	return finish_output(argv[i], ret);
}
