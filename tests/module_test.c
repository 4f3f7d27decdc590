// SPDX-License-Identifier: GPL-2.0
/*
 * The module's life: init/exit and open messages, the node, every module
 * parameter, unloading with open files, permissions and 100 load/unload
 * rounds. Each test leaves the module loaded with default parameters.
 */
#include <dirent.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "harness.h"

#define USER_UID 1000

FIXTURE(mod) {
	int unused;
};

FIXTURE_SETUP(mod)
{
	ASSERT_EQ(0, cmisc_reload(""));
}

FIXTURE_TEARDOWN(mod)
{
	cmisc_reload("");
}

/* Run @fn(@arg) in a child as uid/gid 1000; returns its exit status. */
static int as_user(int (*fn)(const char *), const char *arg)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(USER_UID, USER_UID, USER_UID) ||
		    setresuid(USER_UID, USER_UID, USER_UID))
			_exit(100);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Child body: 0 if open works and HELLO answers, else the open errno. */
static int try_open(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd < 0)
		return errno;
	return ioctl(fd, CMISC_IOC_HELLO, 0) == CMISC_HELLO_VALUE ? 0 : 99;
}

TEST_F(mod, init_and_exit_messages)
{
	KMSG_MARK(log);

	ASSERT_EQ(0, cmisc_reload(""));
	EXPECT_EQ(1, kmsg_count_since(&log, "cmisc (init): /dev/" CMISC_DEFAULT_NAME ", major 10"));
	EXPECT_EQ(1, kmsg_count_since(&log, "cmisc (exit)"));
}

TEST_F(mod, node_is_char_10_dynamic_minor_0600)
{
	struct stat st;
	char sysfs[64];
	FILE *f;
	unsigned int maj, min;

	ASSERT_EQ(0, stat(DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);
	EXPECT_EQ(10U, major(st.st_rdev));
	EXPECT_EQ(0U, st.st_uid);
	/* The minor is the one the misc core gave us, shown in sysfs. */
	f = fopen("/sys/class/misc/" CMISC_DEFAULT_NAME "/dev", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(2, fscanf(f, "%u:%u", &maj, &min));
	fclose(f);
	EXPECT_EQ(10U, maj);
	EXPECT_EQ(min, minor(st.st_rdev));
	snprintf(sysfs, sizeof(sysfs), "%u", min);
	EXPECT_TRUE(min != 255) TH_LOG("minor %s is MISC_DYNAMIC_MINOR", sysfs);
}

TEST_F(mod, open_logs_root_uid)
{
	KMSG_MARK(log);
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(1, kmsg_count_since(&log, "Opening cmisc device (uid = 0)"));
}

TEST_F(mod, open_logs_user_uid)
{
	KMSG_MARK(log);

	ASSERT_EQ(0, cmisc_reload("mode=0666"));
	EXPECT_EQ(0, as_user(try_open, DEV));
	EXPECT_EQ(1, kmsg_count_since(&log, "Opening cmisc device (uid = 1000)"));
}

TEST_F(mod, non_root_gets_eacces_on_0600)
{
	EXPECT_EQ(EACCES, as_user(try_open, DEV));
}

TEST_F(mod, non_root_succeeds_with_mode_0666)
{
	struct stat st;

	ASSERT_EQ(0, cmisc_reload("mode=0666"));
	ASSERT_EQ(0, stat(DEV, &st));
	EXPECT_EQ(0666U, st.st_mode & 07777);
	EXPECT_EQ(0, as_user(try_open, DEV));
}

TEST_F(mod, name_parameter_renames_the_node)
{
	ASSERT_EQ(0, cmisc_reload("name=cmisc-test"));
	EXPECT_EQ(0, access("/dev/cmisc-test", F_OK));
	EXPECT_EQ(-1, access(DEV, F_OK));
	EXPECT_EQ(0, try_open("/dev/cmisc-test"));
}

TEST_F(mod, max_size_parameter_bounds_writes)
{
	char buf[101] = { 0 };
	int fd;

	ASSERT_EQ(0, cmisc_reload("max_size=100"));
	fd = open(DEV, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(100, write(fd, buf, 100));
	errno = 0;
	EXPECT_EQ(-1, write(fd, buf, 101));
	EXPECT_EQ(EFBIG, errno);
	EXPECT_EQ(-EFBIG, cmisc_write_buf(fd, buf, 101));
	close(fd);
}

TEST_F(mod, max_total_parameter_bounds_all_files)
{
	char buf[64] = { 0 };
	int a, b;

	ASSERT_EQ(0, cmisc_reload("max_size=64 max_total=100"));
	a = open(DEV, O_RDWR);
	b = open(DEV, O_RDWR);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_EQ(64, write(a, buf, 64));
	errno = 0;
	EXPECT_EQ(-1, write(b, buf, 64));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(36, write(b, buf, 36));
	/* Closing a file gives its bytes back. */
	close(a);
	EXPECT_EQ(64, write(b, buf, 64));
	close(b);
}

TEST_F(mod, bad_parameters_refuse_to_load)
{
	static const char *const bad[] = {
		"mode=01000", "mode=04755", "max_size=0", "max_size=1073741825",
		"max_size=200 max_total=100", "name=", "name=a/b",
	};
	size_t i;

	ASSERT_EQ(0, module_unload(cmisc_module()));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, module_load(cmisc_ko(), bad[i])) TH_LOG("%s", bad[i]);
		EXPECT_FALSE(module_loaded(cmisc_module())) TH_LOG("%s", bad[i]);
	}
}

/* finit_module with @params fails with -@err, and nothing is left loaded. */
static void expect_refused_with(struct __test_metadata *_metadata, const char *params, int err)
{
	int ret = module_unload(cmisc_module());

	ASSERT_TRUE(ret == 0 || ret == -ENOENT) TH_LOG("unload: %d", ret);
	EXPECT_EQ(-err, module_load(cmisc_ko(), params)) TH_LOG("%s", params);
	EXPECT_FALSE(module_loaded(cmisc_module())) TH_LOG("%s", params);
}

/* The driver's own checks refuse with -EINVAL. */
static void expect_refused(struct __test_metadata *_metadata, const char *params)
{
	expect_refused_with(_metadata, params, EINVAL);
}

/* The misc core reads mode 0 as "unset" and would give 0600. */
TEST_F(mod, mode_zero_refuses_to_load)
{
	expect_refused(_metadata, "mode=0");
}

TEST_F(mod, name_dot_refuses_to_load)
{
	expect_refused(_metadata, "name=.");
}

TEST_F(mod, name_dot_dot_refuses_to_load)
{
	expect_refused(_metadata, "name=..");
}

TEST_F(mod, name_of_65_characters_refuses_to_load)
{
	char params[128];

	snprintf(params, sizeof(params), "name=%065d", 0);
	expect_refused(_metadata, params);
}

TEST_F(mod, name_of_64_characters_loads)
{
	char params[128], path[128];

	snprintf(params, sizeof(params), "name=%064d", 0);
	snprintf(path, sizeof(path), "/dev/%064d", 0);
	ASSERT_EQ(0, cmisc_reload(params));
	EXPECT_EQ(0, try_open(path));
}

TEST_F(mod, name_with_other_characters_refuses_to_load)
{
	static const char *const bad[] = {
		"name=a:b", "name=a\\\\b", "name=caf\xc3\xa9", "name=a*", "name=-", "name=.hidden",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(_metadata, bad[i]);
}

/*
 * The kernel's isalnum() follows Latin-1, where 0xe9 (e acute) is a
 * letter: the name check must be ASCII-only. (UTF-8's "\xc3\xa9" above
 * is refused whatever the check, since 0xa9 is no letter in Latin-1.)
 */
TEST_F(mod, name_with_a_latin1_letter_refuses_to_load)
{
	expect_refused(_metadata, "name=caf\xe9");
	EXPECT_EQ(-1, access("/dev/caf\xe9", F_OK));
}

TEST_F(mod, name_of_letters_digits_dash_dot_underscore_loads)
{
	ASSERT_EQ(0, cmisc_reload("name=Cmisc_2.test-x"));
	EXPECT_EQ(0, try_open("/dev/Cmisc_2.test-x"));
}

/* mode= is octal, as chmod's, even without a leading 0. */
TEST_F(mod, mode_parameter_is_octal)
{
	struct stat st;
	char val[16] = "";
	FILE *f;

	ASSERT_EQ(0, cmisc_reload("mode=444"));
	ASSERT_EQ(0, stat(DEV, &st));
	EXPECT_EQ(0444U, st.st_mode & 07777);
	f = fopen("/sys/module/cmisc/parameters/mode", "r");
	ASSERT_TRUE(f != NULL);
	EXPECT_TRUE(fgets(val, sizeof(val), f) != NULL);
	fclose(f);
	EXPECT_STREQ("0444\n", val);
	expect_refused(_metadata, "mode=8");
	expect_refused(_metadata, "mode=1000");
}

/*
 * Values that kernel/params.c itself refuses, before the driver's checks:
 * a number too large for the parameter's type is -ERANGE (kstrto*()), a
 * string parameter longer than 1024 characters -ENOSPC (param_set_charp()).
 */
TEST_F(mod, mode_beyond_sixteen_bits_is_erange)
{
	/* 0200000 is 65536: one more than a ushort holds. */
	expect_refused_with(_metadata, "mode=200000", ERANGE);
}

TEST_F(mod, max_size_beyond_an_unsigned_long_is_erange)
{
	/* 2^64: one more than a 64-bit kernel's ulong holds. */
	expect_refused_with(_metadata, "max_size=18446744073709551616", ERANGE);
}

TEST_F(mod, name_of_1025_characters_is_enospc)
{
	char params[8 + 1025];

	memcpy(params, "name=", 5);
	memset(params + 5, 'a', 1025);
	params[5 + 1025] = '\0';
	expect_refused_with(_metadata, params, ENOSPC);
}

/*
 * A misc device whose sysfs name is not its node's name (hw_random is
 * /dev/hwrng, device-mapper /dev/mapper/control) must be refused too, not
 * collide in sysfs.
 */
TEST_F(mod, name_of_an_existing_misc_device_refuses_to_load)
{
	const char *taken = NULL;
	static char found[64];
	char path[300];
	struct dirent *d;
	DIR *dir;

	dir = opendir("/sys/class/misc");
	ASSERT_TRUE(dir != NULL);
	while (!taken && (d = readdir(dir))) {
		snprintf(path, sizeof(path), "/dev/%s", d->d_name);
		if (d->d_name[0] != '.' && strlen(d->d_name) < sizeof(found) &&
		    strcmp(d->d_name, CMISC_DEFAULT_NAME) && access(path, F_OK)) {
			snprintf(found, sizeof(found), "%s", d->d_name);
			taken = found;
		}
	}
	closedir(dir);
	if (!taken)
		SKIP(return, "every misc device here has a /dev node of its own name");
	snprintf(path, sizeof(path), "name=%s", taken);
	expect_refused(_metadata, path);
}

/* /dev/null (a mem device) and /dev/console exist: cmisc must not shadow them. */
TEST_F(mod, name_of_an_existing_node_refuses_to_load)
{
	struct stat before, after;

	ASSERT_EQ(0, stat("/dev/null", &before));
	expect_refused(_metadata, "name=null");
	expect_refused(_metadata, "name=console");
	ASSERT_EQ(0, stat("/dev/null", &after));
	EXPECT_EQ(before.st_rdev, after.st_rdev);
}

TEST_F(mod, rmmod_with_open_file_is_refused)
{
	int fd = open(DEV, O_RDWR), fd2;

	ASSERT_LE(0, fd);
	/* .owner = THIS_MODULE pins the module while a file is open. */
	EXPECT_EQ(-EWOULDBLOCK, module_unload(cmisc_module()));
	EXPECT_TRUE(module_loaded(cmisc_module()));
	EXPECT_EQ(CMISC_HELLO_VALUE, ioctl(fd, CMISC_IOC_HELLO, 0));
	fd2 = dup(fd);
	close(fd);
	EXPECT_EQ(-EWOULDBLOCK, module_unload(cmisc_module()));
	close(fd2);
	EXPECT_EQ(0, module_unload(cmisc_module()));
	EXPECT_EQ(-1, access(DEV, F_OK));
}

TEST_F(mod, rmmod_with_open_file_then_reload_is_clean)
{
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "alive", 5));
	EXPECT_EQ(-EWOULDBLOCK, module_unload(cmisc_module()));
	close(fd);
	EXPECT_EQ(0, cmisc_reload(""));
	EXPECT_EQ(0, try_open(DEV));
}

/*
 * Each round checks what it saw only once the file is closed, so that a
 * failed check never leaves a file open for the teardown's unload (which
 * upstream's driver, without .owner, would let happen).
 */
TEST_F(mod, load_unload_100_rounds)
{
	KMSG_MARK(log);
	int round, fd, set, got;
	ssize_t wrote;
	int32_t v;

	ASSERT_EQ(0, module_unload(cmisc_module()));
	for (round = 0; round < 100; round++) {
		ASSERT_EQ(0, module_load(cmisc_ko(), "")) TH_LOG("round %d", round);
		fd = open(DEV, O_RDWR);
		ASSERT_LE(0, fd) TH_LOG("round %d", round);
		set = cmisc_set_value(fd, round);
		v = -1;
		got = cmisc_get_value(fd, &v);
		wrote = write(fd, "abc", 3);
		close(fd);
		ASSERT_EQ(0, set) TH_LOG("round %d", round);
		ASSERT_EQ(0, got) TH_LOG("round %d", round);
		ASSERT_EQ(round, v);
		ASSERT_EQ(3, wrote) TH_LOG("round %d", round);
		ASSERT_EQ(0, module_unload(cmisc_module())) TH_LOG("round %d", round);
		ASSERT_EQ(-1, access(DEV, F_OK)) TH_LOG("node left after round %d", round);
	}
	EXPECT_EQ(0, kmsg_count_since(&log, "WARNING"));
}

TEST_F(mod, hello_returns_100_after_each_of_100_reloads)
{
	int round, fd, hello;

	ASSERT_EQ(0, module_unload(cmisc_module()));
	for (round = 0; round < 100; round++) {
		ASSERT_EQ(0, module_load(cmisc_ko(), "")) TH_LOG("round %d", round);
		fd = open(DEV, O_RDWR);
		ASSERT_LE(0, fd) TH_LOG("round %d", round);
		hello = ioctl(fd, CMISC_IOC_HELLO, 0);
		close(fd);
		ASSERT_EQ(CMISC_HELLO_VALUE, hello) TH_LOG("round %d", round);
		ASSERT_EQ(0, module_unload(cmisc_module())) TH_LOG("round %d", round);
	}
}

TEST_F(mod, hello_module_prints_its_three_lines)
{
	const char *slash = strrchr(cmisc_ko(), '/'), *env = getenv("CMISC_HELLO_KO");
	char ko[256];
	KMSG_MARK(log);

	/* hello.ko sits beside cmisc.ko unless CMISC_HELLO_KO says otherwise. */
	ASSERT_NE(NULL, slash);
	snprintf(ko, sizeof(ko), "%.*s/hello.ko", (int)(slash - cmisc_ko()), cmisc_ko());
	if (env)
		snprintf(ko, sizeof(ko), "%s", env);
	ASSERT_EQ(0, module_load(ko, ""));
	EXPECT_EQ(1, kmsg_count_since(&log, "hello: C minimal sample (init)"));
	EXPECT_EQ(0, kmsg_count_since(&log, "hello: My numbers are [72, 108, 200]"));
	ASSERT_EQ(0, module_unload("hello"));
	EXPECT_EQ(1, kmsg_count_since(&log, "hello: My numbers are [72, 108, 200]"));
	EXPECT_EQ(1, kmsg_count_since(&log, "hello: C minimal sample (exit)"));
}

TEST_F(mod, modinfo_metadata)
{
	char buf[64] = "", path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/version", cmisc_module());
	f = fopen(path, "r");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	EXPECT_NE(0, strcmp(buf, "unknown\n"));
	EXPECT_TRUE(buf[0] >= '0' && buf[0] <= '9') TH_LOG("version '%s'", buf);
}

CMISC_TEST_MAIN
