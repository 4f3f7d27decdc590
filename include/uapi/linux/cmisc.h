/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cmisc - userspace ABI of the cmisc misc device.
 *
 * The ioctl numbers are those of the kernel's rust_misc_device sample and
 * of the Rust misc-device tutorial, so their clients run unchanged against
 * this driver. Everything here is shared by the driver, cmiscctl, the tests
 * and the benchmarks; nothing re-declares it.
 *
 * All state is per open file: two opens of the node never see each other's
 * value or buffer.
 */
#ifndef _UAPI_LINUX_CMISC_H
#define _UAPI_LINUX_CMISC_H

#include <linux/ioctl.h>
#include <linux/types.h>

/** CMISC_DEFAULT_NAME - node name under /dev unless the name= parameter says otherwise */
#define CMISC_DEFAULT_NAME	"rust-misc-device"

/** CMISC_IOC_MAGIC - the ioctl type byte, shared with the Rust sample */
#define CMISC_IOC_MAGIC		'|'

/** CMISC_HELLO_VALUE - what %CMISC_IOC_HELLO returns */
#define CMISC_HELLO_VALUE	100

/**
 * struct cmisc_buf - argument of %CMISC_IOC_WRITE_BUF and %CMISC_IOC_READ_BUF
 * @ptr: user address of the data, cast to __u64 (use (__u64)(uintptr_t)p)
 * @len: number of bytes at @ptr
 *
 * Fixed-width and free of padding, so 32-bit and 64-bit processes share
 * one layout and the compat path needs no translation.
 */
struct cmisc_buf {
	__u64 ptr;
	__u64 len;
};

/**
 * DOC: ioctls
 *
 * CMISC_IOC_FAIL:
 *	Never implemented; returns -ENOTTY. Upstream's sample uses it to show
 *	the unknown-command path.
 *
 * CMISC_IOC_HELLO:
 *	Takes no argument and returns %CMISC_HELLO_VALUE.
 *
 * CMISC_IOC_GET_VALUE:
 *	Copies this file's value (0 after open) to the __s32 at the argument.
 *
 * CMISC_IOC_SET_VALUE:
 *	Sets this file's value from the __s32 at the argument.
 *
 * CMISC_IOC_WRITE_BUF:
 *	Replaces this file's buffer with @len bytes read from @ptr and resets
 *	the file position to 0, exactly as write(2) does. @len may be 0 (empty
 *	buffer). Returns 0. Fails with -EFBIG if @len exceeds the max_size
 *	module parameter, -ENOSPC if the module-wide max_total budget would be
 *	exceeded, -ENOMEM or -EFAULT; the old buffer is intact on any failure.
 *
 * CMISC_IOC_READ_BUF:
 *	Copies min(@len, buffer size) bytes from the start of the buffer to
 *	@ptr and returns that count. The file position is not used or moved.
 *	Fails with -EFAULT if [@ptr, @ptr + @len) is not user memory, as
 *	read(2) does.
 *
 * Any other command, including a known number with the wrong size or
 * direction bits, returns -ENOTTY. A bad pointer returns -EFAULT and leaves
 * the file's state unchanged.
 */
#define CMISC_IOC_FAIL		_IO(CMISC_IOC_MAGIC, 0x00)
#define CMISC_IOC_HELLO		_IO(CMISC_IOC_MAGIC, 0x80)
#define CMISC_IOC_GET_VALUE	_IOR(CMISC_IOC_MAGIC, 0x81, __s32)
#define CMISC_IOC_SET_VALUE	_IOW(CMISC_IOC_MAGIC, 0x82, __s32)
#define CMISC_IOC_WRITE_BUF	_IOW(CMISC_IOC_MAGIC, 0x83, struct cmisc_buf)
#define CMISC_IOC_READ_BUF	_IOW(CMISC_IOC_MAGIC, 0x84, struct cmisc_buf)

#endif /* _UAPI_LINUX_CMISC_H */
