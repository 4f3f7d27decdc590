/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcmisc - thin userspace wrappers around the cmisc ABI.
 *
 * Every function returns a non-negative result or -errno. Nothing here
 * prints or exits, so the tool, the tests and the benchmarks share it.
 */
#ifndef CMISC_LIB_H
#define CMISC_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/cmisc.h>

#define CMISC_DEFAULT_PATH "/dev/" CMISC_DEFAULT_NAME

int cmisc_open(const char *path, int flags);
int cmisc_hello(int fd);
int cmisc_get_value(int fd, int32_t *value);
int cmisc_set_value(int fd, int32_t value);
int cmisc_write_buf(int fd, const void *data, size_t len);
ssize_t cmisc_read_buf(int fd, void *data, size_t len);
ssize_t cmisc_write(int fd, const void *data, size_t len);
ssize_t cmisc_read(int fd, void *data, size_t len);
ssize_t cmisc_read_all(int fd, void *data, size_t len);
off_t cmisc_seek(int fd, off_t offset, int whence);

#endif /* CMISC_LIB_H */
