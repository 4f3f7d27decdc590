// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace client from the doc comment of the kernel's
 * samples/rust/rust_misc_device.rs, as that sample runs it: its own
 * RUST_MISC_DEV_* definitions, the same calls in the same order.
 *
 * The definitions are upstream's, spelled as upstream spells them; the
 * static asserts prove they are the numbers of our one UAPI header, so the
 * unchanged client talks to this driver.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cmisc.h>

#define RUST_MISC_DEV_FAIL _IO('|', 0)
#define RUST_MISC_DEV_HELLO _IO('|', 0x80)
#define RUST_MISC_DEV_GET_VALUE _IOR('|', 0x81, int)
#define RUST_MISC_DEV_SET_VALUE _IOW('|', 0x82, int)

_Static_assert(RUST_MISC_DEV_FAIL == CMISC_IOC_FAIL, "FAIL differs from upstream");
_Static_assert(RUST_MISC_DEV_HELLO == CMISC_IOC_HELLO, "HELLO differs from upstream");
_Static_assert(RUST_MISC_DEV_GET_VALUE == CMISC_IOC_GET_VALUE, "GET_VALUE differs from upstream");
_Static_assert(RUST_MISC_DEV_SET_VALUE == CMISC_IOC_SET_VALUE, "SET_VALUE differs from upstream");

int main(void)
{
	int value, new_value;
	int fd, ret;

	printf("Opening /dev/rust-misc-device for reading and writing\n");
	fd = open("/dev/rust-misc-device", O_RDWR);
	if (fd < 0) {
		perror("open");
		return errno;
	}

	printf("Calling Hello\n");
	ret = ioctl(fd, RUST_MISC_DEV_HELLO, NULL);
	if (ret < 0) {
		perror("ioctl: Failed to call into Hello");
		close(fd);
		return errno;
	}

	printf("Fetching initial value\n");
	ret = ioctl(fd, RUST_MISC_DEV_GET_VALUE, &value);
	if (ret < 0) {
		perror("ioctl: Failed to fetch the initial value");
		close(fd);
		return errno;
	}

	value++;

	printf("Submitting new value (%d)\n", value);
	ret = ioctl(fd, RUST_MISC_DEV_SET_VALUE, &value);
	if (ret < 0) {
		perror("ioctl: Failed to submit new value");
		close(fd);
		return errno;
	}

	printf("Fetching new value\n");
	ret = ioctl(fd, RUST_MISC_DEV_GET_VALUE, &new_value);
	if (ret < 0) {
		perror("ioctl: Failed to fetch the new value");
		close(fd);
		return errno;
	}

	if (value != new_value) {
		printf("Failed: Committed and retrieved values are different (%d - %d)\n",
		       value, new_value);
		close(fd);
		return -1;
	}

	printf("Attempting to call in to an non-existent IOCTL\n");
	ret = ioctl(fd, RUST_MISC_DEV_FAIL, NULL);
	if (ret < 0) {
		perror("ioctl: Succeeded to fail - this was expected");
	} else {
		printf("ioctl: Failed to fail\n");
		close(fd);
		return -1;
	}

	printf("Closing /dev/rust-misc-device\n");
	close(fd);

	printf("Success\n");
	return 0;
}
