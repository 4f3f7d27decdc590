// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace clients as a user runs them: cmisc-hello, the upstream
 * sample's client and every cmiscctl subcommand, with the messages and
 * exit codes that cmiscctl documents.
 */
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"

#define BIN "/lab/bin/"
/* A node that never exists: cmiscctl gets that far only after parsing. */
#define NO_NODE "/dev/cmisc-test-no-such-node"

struct run {
	int status;		/* exit status, or -1 if it did not exit */
	char out[4096];
	char err[4096];
};

static void slurp(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t got;

	while (n < size - 1 && (got = read(fd, buf + n, size - 1 - n)) > 0)
		n += got;
	buf[n] = '\0';
}

/*
 * Run @argv with @input on stdin, or with @stdin_fd as stdin if it is not
 * -1, as uid 1000 (and no supplementary groups) if @as_user; capture stdout
 * (unless @stdout_fd, if it is not -1, is to be the command's stdout) and
 * stderr, each well under a pipe's capacity for these commands. The
 * command may exit before it has read all of @input: that is no error.
 */
static void run_io(struct run *r, const char *input, int stdin_fd, int stdout_fd, int as_user,
		   char *const argv[])
{
	int in[2], out[2], err[2], status;
	size_t done = 0, len = input ? strlen(input) : 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe(in) || pipe(out) || pipe(err))
		return;
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		dup2(stdin_fd >= 0 ? stdin_fd : in[0], 0);
		dup2(stdout_fd >= 0 ? stdout_fd : out[1], 1);
		dup2(err[1], 2);
		close(in[1]);
		close(out[0]);
		close(err[0]);
		if (as_user && (setgroups(0, NULL) || setresgid(1000, 1000, 1000) ||
				setresuid(1000, 1000, 1000)))
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	while (done < len) {
		ssize_t n = write(in[1], input + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EPIPE)
			r->status = -2;
		if (n <= 0)
			break;
		done += n;
	}
	close(in[1]);
	slurp(out[0], r->out, sizeof(r->out));
	slurp(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && r->status != -2)
		r->status = WEXITSTATUS(status);
}

static void run(struct run *r, const char *input, int as_user, char *const argv[])
{
	run_io(r, input, -1, -1, as_user, argv);
}

#define RUN(r, input, ...) run(r, input, 0, (char *const[]){ __VA_ARGS__, NULL })
/* The same, with @fd as stdin. */
#define RUN_FD(r, fd, ...) run_io(r, NULL, fd, -1, 0, (char *const[]){ __VA_ARGS__, NULL })
/* The same, with @fd as stdout. */
#define RUN_OUT(r, input, fd, ...) run_io(r, input, -1, fd, 0, (char *const[]){ __VA_ARGS__, NULL })
/* As uid 1000. */
#define RUN_USER(r, ...) run(r, NULL, 1, (char *const[]){ __VA_ARGS__, NULL })

FIXTURE(cli) {
	struct run r;
};

FIXTURE_SETUP(cli)
{
	ASSERT_TRUE(module_loaded(cmisc_module()));
}

FIXTURE_TEARDOWN(cli)
{
}

TEST_F(cli, cmisc_hello_prints_the_tutorial_line)
{
	RUN(&self->r, NULL, BIN "cmisc-hello");
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ("ioctl returned 100\n", self->r.out);
}

TEST_F(cli, cmisc_hello_fails_on_wrong_driver)
{
	RUN(&self->r, NULL, BIN "cmisc-hello", "/dev/null");
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ("", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.err, "Inappropriate ioctl"));
}

/* Upstream's own client, extracted from the kernel source at build time. */
TEST_F(cli, upstream_sample_client_succeeds)
{
	RUN(&self->r, NULL, BIN "rust-misc-client");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s%s", self->r.out, self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "Success\n"));
}

TEST_F(cli, hello)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "hello");
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ("100\n", self->r.out);
}

TEST_F(cli, get_on_fresh_open_is_zero)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "get");
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ("0\n", self->r.out);
}

TEST_F(cli, set_accepts_the_int32_range)
{
	static const char *const ok[] = { "0", "-1", "2147483647", "-2147483648", "0x10" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		RUN(&self->r, NULL, BIN "cmiscctl", "set", (char *)ok[i]);
		EXPECT_EQ(0, self->r.status) TH_LOG("set %s: %s", ok[i], self->r.err);
	}
}

TEST_F(cli, set_rejects_bad_numbers_with_usage_error)
{
	static const char *const bad[] = {
		"", "abc", "12x", "2147483648", "-2147483649", "99999999999999999999", " 1", "1 ",
	};
	size_t i;
	KMSG_MARK(log);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		RUN(&self->r, NULL, BIN "cmiscctl", "set", (char *)bad[i]);
		EXPECT_EQ(2, self->r.status) TH_LOG("set '%s'", bad[i]);
		EXPECT_NE(NULL, strstr(self->r.err, "not a 32-bit signed integer"));
	}
	/* Nothing was sent: the device was never opened. */
	EXPECT_EQ(0, kmsg_count_since(&log, "Opening cmisc device"));
}

TEST_F(cli, session_keeps_one_open_file)
{
	RUN(&self->r, "get\nset 42\nget\nwrite hello there\nread\n", BIN "cmiscctl", "session");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("0\n42\nhello there\n", self->r.out);
}

TEST_F(cli, session_read_with_offset_and_max)
{
	RUN(&self->r, "write 0123456789\nread --offset 3 --max 4\n", BIN "cmiscctl", "session");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("3456\n", self->r.out);
}

TEST_F(cli, session_stops_at_a_bad_line)
{
	RUN(&self->r, "set 1\nset nope\nget\n", BIN "cmiscctl", "session");
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "stopped at line 2"));
	EXPECT_STREQ("", self->r.out);
}

TEST_F(cli, write_then_read_on_one_open)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "write", "some data", "--then-read");
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ("some data", self->r.out);
}

TEST_F(cli, write_from_stdin)
{
	RUN(&self->r, "from stdin\n", BIN "cmiscctl", "write", "-", "--then-read");
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ("from stdin\n", self->r.out);
}

TEST_F(cli, separate_invocations_do_not_share_state)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "write", "lost");
	EXPECT_EQ(0, self->r.status);
	RUN(&self->r, NULL, BIN "cmiscctl", "read");
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ("", self->r.out);
}

TEST_F(cli, read_past_end_is_einval)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "read", "--offset", "5");
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "Invalid argument"));
}

TEST_F(cli, write_too_large_says_max_size)
{
	static char big[1100000];

	memset(big, 'x', sizeof(big) - 1);
	RUN(&self->r, big, BIN "cmiscctl", "write");
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "max_size")) TH_LOG("%s", self->r.err);
}

TEST_F(cli, info_shows_node_and_module)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "info");
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "module:  loaded\n"));
	EXPECT_NE(NULL, strstr(self->r.out, "number:  10:"));
	EXPECT_NE(NULL, strstr(self->r.out, "mode:    0600\n"));
	EXPECT_NE(NULL, strstr(self->r.out, "param:   max_size=1048576\n"));
}

TEST_F(cli, missing_node_says_module_not_loaded)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "--device", "/dev/no-such-cmisc", "hello");
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "is the cmisc module loaded?"));
}

TEST_F(cli, unloaded_module_is_exit_3)
{
	ASSERT_EQ(0, module_unload(cmisc_module()));
	RUN(&self->r, NULL, BIN "cmiscctl", "get");
	EXPECT_EQ(0, module_load(cmisc_ko(), ""));
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "is the cmisc module loaded?"));
}

TEST_F(cli, non_root_on_0600_is_permission_denied)
{
	run(&self->r, NULL, 1, (char *const[]){ BIN "cmiscctl", "hello", NULL });
	EXPECT_EQ(4, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err,
			       "permission denied (device mode is 0600; run as root or load with mode=...)"))
		TH_LOG("%s", self->r.err);
}

TEST_F(cli, wrong_driver_is_enotty_exit_5)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "--device", "/dev/null", "hello");
	EXPECT_EQ(5, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err,
			       "driver does not support this command (wrong driver or version?)"));
}

TEST_F(cli, usage_errors_are_exit_2)
{
	RUN(&self->r, NULL, BIN "cmiscctl");
	EXPECT_EQ(2, self->r.status);
	RUN(&self->r, NULL, BIN "cmiscctl", "frobnicate");
	EXPECT_EQ(2, self->r.status);
	RUN(&self->r, NULL, BIN "cmiscctl", "--bogus", "get");
	EXPECT_EQ(2, self->r.status);
	RUN(&self->r, NULL, BIN "cmiscctl", "read", "--max", "-1");
	EXPECT_EQ(2, self->r.status);
}

TEST_F(cli, help_and_version)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "--help");
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Exit status:"));
	EXPECT_NE(NULL, strstr(self->r.out, "per open file"));
	RUN(&self->r, NULL, BIN "cmiscctl", "--version");
	EXPECT_EQ(0, self->r.status);
	EXPECT_EQ(0, strncmp(self->r.out, "cmiscctl ", 9));
}

/* A file holding @text, at offset 0, to be a command's stdin; -1 on failure. */
static int stdin_file(const char *text)
{
	int fd = memfd_create("cmiscctl-stdin", MFD_CLOEXEC);
	size_t len = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST_F(cli, session_write_dash_is_usage_error_and_sends_nothing)
{
	RUN(&self->r, "write kept\nwrite -\nnot data\nread\n", BIN "cmiscctl", "session");
	EXPECT_EQ(2, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "session: write needs its data on the line"));
	EXPECT_NE(NULL, strstr(self->r.err, "stopped at line 2"));
	EXPECT_STREQ("", self->r.out);
}

TEST_F(cli, session_too_long_line_is_usage_error_and_sends_nothing)
{
	/*
	 * "write " and 65533 bytes: over 65536. Split at 64 KiB, its first
	 * part would be written and its tail, "get", run as a command.
	 */
	static char input[6 + 65530 + sizeof("get\nread\n")];

	memcpy(input, "write ", 6);
	memset(input + 6, 'x', 65530);
	strcpy(input + 6 + 65530, "get\nread\n");
	RUN(&self->r, input, BIN "cmiscctl", "session");
	EXPECT_EQ(2, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "session: line longer than 65536 bytes"));
	EXPECT_NE(NULL, strstr(self->r.err, "stopped at line 1"));
	EXPECT_STREQ("", self->r.out);
}

TEST_F(cli, session_line_of_65536_bytes_is_accepted)
{
	static char input[6 + 65530 + sizeof("\nread --offset 65529\n")];

	memcpy(input, "write ", 6);
	memset(input + 6, 'x', 65529);
	input[6 + 65529] = 'y';
	strcpy(input + 6 + 65530, "\nread --offset 65529\n");
	RUN(&self->r, input, BIN "cmiscctl", "session");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("y\n", self->r.out);
}

TEST_F(cli, session_more_than_seven_words_is_usage_error)
{
	RUN(&self->r, "get\nread --offset 0 --max 1 -- a b\n", BIN "cmiscctl", "session");
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "session: more than 7 words on a line"))
		TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "stopped at line 2"));
	EXPECT_STREQ("0\n", self->r.out);
}

TEST_F(cli, session_read_output_ends_with_a_newline)
{
	RUN(&self->r, "write abc\nread\nread --offset 1\nread --offset 3\nget\n",
	    BIN "cmiscctl", "session");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("abc\nbc\n\n0\n", self->r.out);
}

TEST_F(cli, numbers_with_a_leading_zero_are_decimal)
{
	RUN(&self->r, "set 010\nget\nset 08\nget\nset 0x1f\nget\nset -010\nget\nset 0X7fffffff\nget\n",
	    BIN "cmiscctl", "session");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("10\n8\n31\n-10\n2147483647\n", self->r.out);
}

TEST_F(cli, read_offset_and_max_parse_numbers_like_set)
{
	RUN(&self->r, "write 0123456789abcdef\nread --offset 010 --max 0x3\nread --offset=012 --max=02\n",
	    BIN "cmiscctl", "session");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("abc\ncd\n", self->r.out);
}

/* No device needed: a number that parses gets as far as opening NO_NODE. */
TEST(number_parser_accepts_decimal_and_0x_hex_before_opening)
{
	static const char *const ok[] = {
		"0", "00", "010", "08", "-08", "0x1f", "0X1F", "-0x10", "2147483647", "-2147483648",
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		RUN(&r, NULL, BIN "cmiscctl", "-d", NO_NODE, "set", (char *)ok[i]);
		EXPECT_EQ(3, r.status) TH_LOG("set '%s': %s", ok[i], r.err);
		if (ok[i][0] == '-')
			continue;
		RUN(&r, NULL, BIN "cmiscctl", "-d", NO_NODE, "read", "--offset", (char *)ok[i]);
		EXPECT_EQ(3, r.status) TH_LOG("read --offset '%s': %s", ok[i], r.err);
		RUN(&r, NULL, BIN "cmiscctl", "-d", NO_NODE, "read", "--max", (char *)ok[i]);
		EXPECT_EQ(3, r.status) TH_LOG("read --max '%s': %s", ok[i], r.err);
	}
}

TEST(number_parser_rejects_blanks_signs_newlines_garbage_and_overflow)
{
	static const char *const bad[] = {
		"", " 1", "1 ", "\t1", "\n1", "1\n", "+1", "-", "--1", "- 1", "0x", "-0x", "0x1g",
		"0b1", "1e3", "1.0", "0x-1", "99999999999999999999", "0x10000000000000000",
		"-9223372036854775809",
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		RUN(&r, NULL, BIN "cmiscctl", "-d", NO_NODE, "set", (char *)bad[i]);
		EXPECT_EQ(2, r.status) TH_LOG("set '%s'", bad[i]);
		EXPECT_NE(NULL, strstr(r.err, "not a 32-bit signed integer"));
		RUN(&r, NULL, BIN "cmiscctl", "-d", NO_NODE, "read", "--offset", (char *)bad[i]);
		EXPECT_EQ(2, r.status) TH_LOG("read --offset '%s'", bad[i]);
		RUN(&r, NULL, BIN "cmiscctl", "-d", NO_NODE, "read", "--max", (char *)bad[i]);
		EXPECT_EQ(2, r.status) TH_LOG("read --max '%s'", bad[i]);
	}
	/* In range for read, not for set, and the other way round. */
	RUN(&r, NULL, BIN "cmiscctl", "-d", NO_NODE, "set", "0x80000000");
	EXPECT_EQ(2, r.status);
	RUN(&r, NULL, BIN "cmiscctl", "-d", NO_NODE, "read", "--offset", "0x80000000");
	EXPECT_EQ(3, r.status);
	RUN(&r, NULL, BIN "cmiscctl", "-d", NO_NODE, "read", "--max", "-1");
	EXPECT_EQ(2, r.status);
}

TEST_F(cli, set_takes_a_negative_operand_alone_or_after_double_dash)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "set", "--", "-5");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	RUN(&self->r, NULL, BIN "cmiscctl", "set", "-5");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	RUN(&self->r, "set -- -5\nget\nset -6\nget\n", BIN "cmiscctl", "session");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("-5\n-6\n", self->r.out);
}

TEST_F(cli, device_option_takes_equals_and_attached_forms)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "--device=" DEV, "hello");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("100\n", self->r.out);
	RUN(&self->r, NULL, BIN "cmiscctl", "-d" DEV, "hello");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("100\n", self->r.out);
	RUN(&self->r, NULL, BIN "cmiscctl", "--device=" NO_NODE, "hello");
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, NO_NODE));
	RUN(&self->r, NULL, BIN "cmiscctl", "--device=", "hello");
	EXPECT_EQ(2, self->r.status);
}

TEST_F(cli, double_dash_ends_the_options)
{
	RUN(&self->r, NULL, BIN "cmiscctl", "--", "hello");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("100\n", self->r.out);
	RUN(&self->r, NULL, BIN "cmiscctl", "-d", DEV, "--", "get");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("0\n", self->r.out);
	RUN(&self->r, NULL, BIN "cmiscctl", "write", "--", "--then-read");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("", self->r.out);
	RUN(&self->r, NULL, BIN "cmiscctl", "write", "--then-read", "--", "-x");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("-x", self->r.out);
}

TEST_F(cli, stdin_read_error_is_exit_6_not_a_driver_refusal)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	RUN_FD(&self->r, fd, BIN "cmiscctl", "write");
	EXPECT_EQ(6, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "cmiscctl: write: cannot read standard input: "))
		TH_LOG("%s", self->r.err);
	RUN_FD(&self->r, fd, BIN "cmiscctl", "write", "-", "--then-read");
	EXPECT_EQ(6, self->r.status);
	EXPECT_STREQ("", self->r.out);
	RUN_FD(&self->r, fd, BIN "cmiscctl", "session");
	EXPECT_EQ(6, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "cmiscctl: session: cannot read standard input: "))
		TH_LOG("%s", self->r.err);
	close(fd);
}

TEST(help_documents_every_exit_status)
{
	struct run r;

	RUN(&r, NULL, BIN "cmiscctl", "--help");
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "5 not a cmisc device"));
	EXPECT_NE(NULL, strstr(r.out, "6 standard input could\n  not be read"));
}

/* stdin is a file shared with us: its offset tells how much was read. */
TEST(device_is_opened_and_checked_before_stdin_is_read)
{
	int fd = stdin_file("some input\n");
	struct run r;

	ASSERT_LE(0, fd);
	RUN_FD(&r, fd, BIN "cmiscctl", "-d", "/dev/null", "write");
	EXPECT_EQ(5, r.status) TH_LOG("%s", r.err);
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	RUN_FD(&r, fd, BIN "cmiscctl", "-d", NO_NODE, "write", "-");
	EXPECT_EQ(3, r.status) TH_LOG("%s", r.err);
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	close(fd);

	/* A stdin that cannot be read: the device's verdict comes first. */
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	RUN_FD(&r, fd, BIN "cmiscctl", "-d", "/dev/null", "write");
	EXPECT_EQ(5, r.status) TH_LOG("%s", r.err);
	close(fd);
}

TEST(non_cmisc_device_is_exit_5_for_every_command)
{
	static const char *const cmds[][3] = {
		{ "write", "x", NULL }, { "read", NULL, NULL }, { "set", "1", NULL },
		{ "get", NULL, NULL }, { "hello", NULL, NULL }, { "session", NULL, NULL },
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		RUN(&r, "write y\n", BIN "cmiscctl", "-d", "/dev/null", (char *)cmds[i][0],
		    (char *)cmds[i][1], (char *)cmds[i][2]);
		EXPECT_EQ(5, r.status) TH_LOG("%s: %s", cmds[i][0], r.err);
		EXPECT_NE(NULL, strstr(r.err, "/dev/null: driver does not support this command"));
		EXPECT_STREQ("", r.out);
	}
}

TEST_F(cli, permission_hint_names_group_cmisc_when_the_udev_rule_is_installed)
{
	static const char *const rules[] = {
		"/etc/udev/rules.d/60-cmisc.rules",
		"/usr/lib/udev/rules.d/60-cmisc.rules",
		"/lib/udev/rules.d/60-cmisc.rules",
	};
	static const char *const dirs[] = { "/etc", "/etc/udev", "/etc/udev/rules.d" };
	static const char text[] = "# clients_test: only this file's presence matters\n";
	int made[3] = { 0 }, made_rule = 0, have = 0, fd;
	size_t i;

	for (i = 0; i < 3; i++)
		have |= access(rules[i], F_OK) == 0;
	if (!have) {
		for (i = 0; i < 3; i++)
			made[i] = mkdir(dirs[i], 0755) == 0;
		fd = open(rules[0], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		made_rule = fd >= 0;
		if (fd >= 0 && write(fd, text, sizeof(text) - 1) != sizeof(text) - 1)
			made_rule = -1;
		if (fd >= 0)
			close(fd);
	}
	run(&self->r, NULL, 1, (char *const[]){ BIN "cmiscctl", "hello", NULL });
	if (made_rule)
		unlink(rules[0]);
	for (i = 3; i-- > 0;)
		if (made[i])
			rmdir(dirs[i]);
	EXPECT_TRUE(have || made_rule == 1);
	EXPECT_EQ(4, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "permission denied (device mode is "));
	EXPECT_NE(NULL, strstr(self->r.err, "join group cmisc")) TH_LOG("%s", self->r.err);
}

/*
 * A stdout that cannot be written (/dev/full: ENOSPC) is cmiscctl's own
 * failure, exit 7, whatever the command: never exit 0, and never the
 * driver's refusal (exit 1, blamed on the device).
 */
TEST_F(cli, full_stdout_is_an_output_error_exit_7_for_every_command)
{
	static const char *const cmds[][4] = {
		{ "hello" }, { "get" }, { "info" }, { "write", "Hello", "--then-read" },
		{ "session" }, { "--help" }, { "--version" },
	};
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	size_t i;

	ASSERT_LE(0, full);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		RUN_OUT(&self->r, "write abc\nread\n", full, BIN "cmiscctl", (char *)cmds[i][0],
			(char *)cmds[i][1], (char *)cmds[i][2], (char *)cmds[i][3]);
		EXPECT_EQ(7, self->r.status) TH_LOG("%s: %s", cmds[i][0], self->r.err);
		EXPECT_NE(NULL, strstr(self->r.err, "cannot write standard output: No space left on device"))
			TH_LOG("%s: %s", cmds[i][0], self->r.err);
		EXPECT_EQ(NULL, strstr(self->r.err, DEV)) TH_LOG("%s: %s", cmds[i][0], self->r.err);
	}
	close(full);
}

/* Nothing to write, nothing lost: set prints nothing. */
TEST_F(cli, full_stdout_does_not_fail_a_command_that_prints_nothing)
{
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);

	ASSERT_LE(0, full);
	RUN_OUT(&self->r, NULL, full, BIN "cmiscctl", "set", "5");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("", self->r.err);
	close(full);
}

TEST(help_documents_exit_status_7)
{
	struct run r;

	RUN(&r, NULL, BIN "cmiscctl", "--help");
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "7 standard output could not\n  be written"));
}

/* After "--" everything is data, "-" included: stdin is not even read. */
TEST_F(cli, write_after_double_dash_takes_a_lone_dash_as_data)
{
	int fd = stdin_file("from stdin\n");

	ASSERT_LE(0, fd);
	RUN_FD(&self->r, fd, BIN "cmiscctl", "write", "--then-read", "--", "-");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("-", self->r.out);
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	close(fd);
}

/* Module parameters for one test; the teardown reloads the defaults. */
FIXTURE(reloaded) {
	struct run r;
};

FIXTURE_SETUP(reloaded)
{
}

FIXTURE_TEARDOWN(reloaded)
{
	cmisc_reload("");
}

/*
 * HELLO, GET_VALUE and SET_VALUE work on a file open in any mode, and read
 * needs only reading: on a 0444 node (README's mode=444), a user can run
 * them as cmisc-hello can.
 */
TEST_F(reloaded, read_only_node_serves_hello_get_set_and_read)
{
	ASSERT_EQ(0, cmisc_reload("mode=444"));
	RUN_USER(&self->r, BIN "cmisc-hello");
	EXPECT_EQ(0, self->r.status) TH_LOG("cmisc-hello: %s", self->r.err);
	RUN_USER(&self->r, BIN "cmiscctl", "hello");
	EXPECT_EQ(0, self->r.status) TH_LOG("hello: %s", self->r.err);
	EXPECT_STREQ("100\n", self->r.out);
	RUN_USER(&self->r, BIN "cmiscctl", "get");
	EXPECT_EQ(0, self->r.status) TH_LOG("get: %s", self->r.err);
	EXPECT_STREQ("0\n", self->r.out);
	RUN_USER(&self->r, BIN "cmiscctl", "set", "7");
	EXPECT_EQ(0, self->r.status) TH_LOG("set: %s", self->r.err);
	RUN_USER(&self->r, BIN "cmiscctl", "read");
	EXPECT_EQ(0, self->r.status) TH_LOG("read: %s", self->r.err);
	EXPECT_STREQ("", self->r.out);
}

TEST_F(reloaded, read_only_node_refuses_write_with_exit_4)
{
	ASSERT_EQ(0, cmisc_reload("mode=444"));
	RUN_USER(&self->r, BIN "cmiscctl", "write", "x");
	EXPECT_EQ(4, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "permission denied (device mode is 0444"))
		TH_LOG("%s", self->r.err);
}

/* A write needs only writing; reading it back needs both. */
TEST_F(reloaded, write_only_node_takes_write_but_not_then_read)
{
	ASSERT_EQ(0, cmisc_reload("mode=222"));
	RUN_USER(&self->r, BIN "cmiscctl", "write", "x");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	RUN_USER(&self->r, BIN "cmiscctl", "write", "x", "--then-read");
	EXPECT_EQ(4, self->r.status) TH_LOG("%s", self->r.err);
}

/* info finds the module by its own name, and shows the node name= made. */
TEST_F(reloaded, info_finds_the_module_loaded_under_another_node_name)
{
	ASSERT_EQ(0, cmisc_reload("name=cmisc-info-test"));
	RUN(&self->r, NULL, BIN "cmiscctl", "info");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "module:  loaded\n")) TH_LOG("%s", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out, "param:   name=cmisc-info-test\n"));
	EXPECT_NE(NULL, strstr(self->r.out, "device:  /dev/cmisc-info-test\n"))
		TH_LOG("%s", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out, "number:  10:"));
}

CMISC_TEST_MAIN
