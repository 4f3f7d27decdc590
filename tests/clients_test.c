// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace clients as a user runs them: cmisc-hello, the upstream
 * sample's client and every cmiscctl subcommand, with the messages and
 * exit codes that cmiscctl documents.
 */
#include <sys/wait.h>

#include "harness.h"

#define BIN "/lab/bin/"

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
 * Run @argv with @input on stdin, as uid 1000 if @as_user; capture stdout
 * and stderr (each well under a pipe's capacity for these commands).
 */
static void run(struct run *r, const char *input, int as_user, char *const argv[])
{
	int in[2], out[2], err[2], status;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe(in) || pipe(out) || pipe(err))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[1]);
		close(out[0]);
		close(err[0]);
		if (as_user && (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)))
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (input && write(in[1], input, strlen(input)) < 0)
		r->status = -2;
	close(in[1]);
	slurp(out[0], r->out, sizeof(r->out));
	slurp(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && r->status != -2)
		r->status = WEXITSTATUS(status);
}

#define RUN(r, input, ...) run(r, input, 0, (char *const[]){ __VA_ARGS__, NULL })

FIXTURE(cli) {
	struct run r;
};

FIXTURE_SETUP(cli)
{
	ASSERT_TRUE(module_loaded("cmisc"));
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

TEST_F(cli, upstream_sample_client_succeeds)
{
	RUN(&self->r, NULL, BIN "rust-misc-sample");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s%s", self->r.out, self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "Submitting new value (1)\n"));
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
	int before = dmesg_count("Opening cmisc device");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		RUN(&self->r, NULL, BIN "cmiscctl", "set", (char *)bad[i]);
		EXPECT_EQ(2, self->r.status) TH_LOG("set '%s'", bad[i]);
		EXPECT_NE(NULL, strstr(self->r.err, "not a 32-bit signed integer"));
	}
	/* Nothing was sent: the device was never opened. */
	EXPECT_EQ(before, dmesg_count("Opening cmisc device"));
}

TEST_F(cli, session_keeps_one_open_file)
{
	RUN(&self->r, "get\nset 42\nget\nwrite hello there\nread\n", BIN "cmiscctl", "session");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("0\n42\nhello there", self->r.out);
}

TEST_F(cli, session_read_with_offset_and_max)
{
	RUN(&self->r, "write 0123456789\nread --offset 3 --max 4\n", BIN "cmiscctl", "session");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("3456", self->r.out);
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
	ASSERT_EQ(0, module_unload("cmisc"));
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

CMISC_TEST_MAIN
