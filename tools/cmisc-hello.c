// SPDX-License-Identifier: GPL-2.0
/*
 * cmisc-hello - the Rust tutorial's client, in C: open the device, send
 * HELLO and print what the driver returned.
 *
 * usage: cmisc-hello [DEVICE]
 */
#include <stdio.h>
#include <string.h>

#include "lib/cmisc.h"

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : CMISC_DEFAULT_PATH;
	int fd, ret;

	if (argc > 2 || (argc == 2 && !strcmp(argv[1], "--help"))) {
		fprintf(stderr, "usage: cmisc-hello [DEVICE]   (default %s)\n",
			CMISC_DEFAULT_PATH);
		return argc > 2 ? 2 : 0;
	}
	fd = cmisc_open(path, 0);
	if (fd < 0) {
		fprintf(stderr, "cmisc-hello: open %s: %s\n", path, strerror(-fd));
		return 1;
	}
	ret = cmisc_hello(fd);
	if (ret < 0) {
		fprintf(stderr, "cmisc-hello: ioctl: %s\n", strerror(-ret));
		return 1;
	}
	printf("ioctl returned %d\n", ret);
	return ret == CMISC_HELLO_VALUE ? 0 : 1;
}
