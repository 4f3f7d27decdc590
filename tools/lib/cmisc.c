// SPDX-License-Identifier: GPL-2.0
/* libcmisc - see cmisc.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmisc.h"

static int neg_errno(long ret)
{
	return ret < 0 ? -errno : (int)ret;
}

int cmisc_open(const char *path, int flags)
{
	return neg_errno(open(path ? path : CMISC_DEFAULT_PATH, flags | O_CLOEXEC));
}

int cmisc_hello(int fd)
{
	return neg_errno(ioctl(fd, CMISC_IOC_HELLO, 0));
}

int cmisc_get_value(int fd, int32_t *value)
{
	return neg_errno(ioctl(fd, CMISC_IOC_GET_VALUE, value));
}

int cmisc_set_value(int fd, int32_t value)
{
	return neg_errno(ioctl(fd, CMISC_IOC_SET_VALUE, &value));
}

int cmisc_write_buf(int fd, const void *data, size_t len)
{
	struct cmisc_buf arg = { .ptr = (uintptr_t)data, .len = len };

	return neg_errno(ioctl(fd, CMISC_IOC_WRITE_BUF, &arg));
}

ssize_t cmisc_read_buf(int fd, void *data, size_t len)
{
	struct cmisc_buf arg = { .ptr = (uintptr_t)data, .len = len };

	return neg_errno(ioctl(fd, CMISC_IOC_READ_BUF, &arg));
}

/* One write(2) replaces the whole buffer, so there is nothing to loop on. */
ssize_t cmisc_write(int fd, const void *data, size_t len)
{
	ssize_t n = write(fd, data, len);

	return n < 0 ? -errno : n;
}

ssize_t cmisc_read(int fd, void *data, size_t len)
{
	ssize_t n = read(fd, data, len);

	return n < 0 ? -errno : n;
}

/* Read from the current position until EOF or until @len bytes. */
ssize_t cmisc_read_all(int fd, void *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

off_t cmisc_seek(int fd, off_t offset, int whence)
{
	off_t pos = lseek(fd, offset, whence);

	return pos < 0 ? -errno : pos;
}
