// SPDX-License-Identifier: GPL-2.0
/*
 * cmiscctl - drive every operation of the cmisc misc device from a shell.
 * See usage() below and cmiscctl.1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
};

#define SYS_MODULE "/sys/module/cmisc"
#define LINE_MAX_LEN 65536
/* Largest input taken from stdin: above the driver's own 1 GiB ceiling. */
#define CMISC_MAX_INPUT (1024L * 1024 * 1024)

struct ctl {
	const char *path;
	int fd;			/* opened on first use, shared by a session */
};

static const char usage_text[] =
"usage: cmiscctl [--device PATH] COMMAND [ARGS]\n"
"       cmiscctl --help | --version\n"
"\n"
"Commands:\n"
"  hello                      send HELLO; prints the driver's answer (100)\n"
"  get                        print this open file's value\n"
"  set N                      set the value (a 32-bit signed integer)\n"
"  write [DATA|-] [--then-read]\n"
"                             replace the buffer with DATA, or stdin for '-'\n"
"                             (the default); --then-read reads it back\n"
"  read [--offset N] [--max N]\n"
"                             print the buffer from offset N, at most N bytes\n"
"  info                       node, major:minor, mode, module and parameters\n"
"  session                    run commands from stdin, one per line, on ONE\n"
"                             open file, e.g. printf 'write hi\\nread\\n' | cmiscctl session\n"
"\n"
"State is per open file, exactly as in the kernel's rust_misc_device sample:\n"
"every cmiscctl invocation opens the device anew, so 'cmiscctl write x' then\n"
"'cmiscctl read' prints nothing and 'cmiscctl get' always prints 0. Use\n"
"'write --then-read' or 'session' to do several operations on one open file.\n"
"\n"
"Options:\n"
"  -d, --device PATH          device node (default " CMISC_DEFAULT_PATH ")\n"
"  -h, --help                 show this help\n"
"  -V, --version              show the version\n"
"\n"
"Exit status:\n"
"  0 success; 1 the driver refused the operation; 2 usage error (nothing\n"
"  was sent); 3 device missing (is the cmisc module loaded?); 4 permission\n"
"  denied; 5 the driver does not support the command (wrong driver?).\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "cmiscctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'cmiscctl --help'.\n");
	return EXIT_USAGE;
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
		if (stat(c->path, &st) == 0)
			fprintf(stderr, "cmiscctl: %s: %s: permission denied (device mode is %04o; run as root or load with mode=...)\n",
				what, c->path, (unsigned int)(st.st_mode & 07777));
		else
			fprintf(stderr, "cmiscctl: %s: %s: permission denied\n", what, c->path);
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

/* Parse a whole decimal (or 0x hex) number in [min, max], nothing else. */
static bool parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!*s || *s == ' ' || *s == '\t')
		return false;
	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int ensure_open(struct ctl *c, const char *what)
{
	if (c->fd >= 0)
		return 0;
	c->fd = cmisc_open(c->path, O_RDWR);
	return c->fd < 0 ? fail(c, what, -c->fd) : 0;
}

static int cmd_hello(struct ctl *c)
{
	int ret = ensure_open(c, "hello");

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
	int ret = ensure_open(c, "get");

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
	ret = ensure_open(c, "set");
	if (ret)
		return ret;
	ret = cmisc_set_value(c->fd, (int32_t)v);
	return ret < 0 ? fail(c, "set", -ret) : 0;
}

static int cmd_read(struct ctl *c, long long offset, long long max)
{
	char chunk[65536];
	long long left = max;
	int ret = ensure_open(c, "read");
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
			return fail(c, "read: stdout", errno);
		if (left > 0)
			left -= n;
	}
	return fflush(stdout) ? fail(c, "read: stdout", errno) : 0;
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
		got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (got == 0 || n > CMISC_MAX_INPUT)
			break;
	}
	if (ferror(stdin)) {
		free(buf);
		return -EIO;
	}
	*data = buf;
	*len = n;
	return 0;
}

static int cmd_write(struct ctl *c, const char *arg, bool then_read)
{
	char *data = NULL;
	size_t len;
	ssize_t n;
	int ret;

	if (arg && strcmp(arg, "-")) {
		data = strdup(arg);
		len = strlen(arg);
		ret = data ? 0 : -ENOMEM;
	} else {
		ret = read_stdin(&data, &len);
	}
	if (ret)
		return fail(c, "write: input", -ret);
	ret = ensure_open(c, "write");
	if (!ret) {
		n = cmisc_write(c->fd, data, len);
		ret = n < 0 ? fail(c, "write", (int)-n) : 0;
	}
	free(data);
	if (!ret && then_read)
		ret = cmd_read(c, -1, -1);
	return ret;
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

static int cmd_info(struct ctl *c)
{
	static const char *const params[] = { "name", "mode", "max_size", "max_total" };
	bool loaded = access(SYS_MODULE, F_OK) == 0;
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
	}
	if (stat(c->path, &st)) {
		printf("device:  %s missing\n", c->path);
		return fail(c, "info", errno);
	}
	printf("device:  %s\n", c->path);
	printf("type:    %s\n", S_ISCHR(st.st_mode) ? "character device" : "not a character device");
	printf("number:  %u:%u\n", major(st.st_rdev), minor(st.st_rdev));
	printf("mode:    %04o\n", (unsigned int)(st.st_mode & 07777));
	printf("owner:   %u:%u\n", (unsigned int)st.st_uid, (unsigned int)st.st_gid);
	return 0;
}

static int run(struct ctl *c, int argc, char **argv, bool in_session);

/* Each line of stdin is one command; "write" takes the rest of its line. */
static int cmd_session(struct ctl *c)
{
	static char line[LINE_MAX_LEN];
	unsigned int lineno = 0;
	int ret;

	ret = ensure_open(c, "session");
	if (ret)
		return ret;
	while (fgets(line, sizeof(line), stdin)) {
		char *argv[8], *save = NULL, *tok, *rest;
		int argc = 0;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		rest = line + strspn(line, " \t");
		if (!*rest || *rest == '#')
			continue;
		if (!strncmp(rest, "write ", 6)) {
			ret = cmd_write(c, rest + 6, false);
		} else {
			for (tok = strtok_r(rest, " \t", &save); tok && argc < 7;
			     tok = strtok_r(NULL, " \t", &save))
				argv[argc++] = tok;
			argv[argc] = NULL;
			ret = run(c, argc, argv, true);
		}
		if (ret) {
			fprintf(stderr, "cmiscctl: session: stopped at line %u\n", lineno);
			return ret;
		}
		fflush(stdout);
	}
	return 0;
}

static int run(struct ctl *c, int argc, char **argv, bool in_session)
{
	const char *cmd = argv[0];

	if (!strcmp(cmd, "hello") && argc == 1)
		return cmd_hello(c);
	if (!strcmp(cmd, "get") && argc == 1)
		return cmd_get(c);
	if (!strcmp(cmd, "set") && argc == 2)
		return cmd_set(c, argv[1]);
	if (!strcmp(cmd, "info") && argc == 1)
		return cmd_info(c);
	if (!strcmp(cmd, "session") && argc == 1 && !in_session)
		return cmd_session(c);
	if (!strcmp(cmd, "write") && argc <= 3) {
		const char *data = NULL;
		bool then_read = false;
		int i;

		for (i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--then-read"))
				then_read = true;
			else if (!data)
				data = argv[i];
			else
				return usage_error("write: unexpected '%s'", argv[i]);
		}
		if (in_session && (!data || !strcmp(data, "-")))
			return usage_error("%s", "session: write needs its data on the line");
		return cmd_write(c, data, then_read);
	}
	if (!strcmp(cmd, "read")) {
		long long offset = -1, max = -1, *dst;
		int i;

		for (i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--offset"))
				dst = &offset;
			else if (!strcmp(argv[i], "--max"))
				dst = &max;
			else
				return usage_error("read: unknown option '%s'", argv[i]);
			if (++i == argc || !parse_num(argv[i], 0, LLONG_MAX, dst))
				return usage_error("read: %s needs a non-negative number", argv[i - 1]);
		}
		return cmd_read(c, offset, max);
	}
	return usage_error("unknown command or wrong arguments: '%s'", cmd);
}

int main(int argc, char **argv)
{
	struct ctl c = { .path = CMISC_DEFAULT_PATH, .fd = -1 };
	int i = 1, ret;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("cmiscctl %s\n", CMISC_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-d") || !strcmp(argv[i], "--device")) {
			if (++i == argc)
				return usage_error("%s needs a path", argv[i - 1]);
			c.path = argv[i];
		} else {
			return usage_error("unknown option '%s'", argv[i]);
		}
	}
	if (i == argc)
		return usage_error("%s", "no command given");
	ret = run(&c, argc - i, argv + i, false);
	if (c.fd >= 0)
		close(c.fd);
	return ret;
}
