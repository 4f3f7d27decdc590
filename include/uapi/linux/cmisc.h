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
 *	GET_VALUE and SET_VALUE work on a file opened in any mode, as
 *	upstream's do. The value is one aligned __s32, read and written
 *	whole: two racing SETs leave one of the two values.
 *
 * CMISC_IOC_WRITE_BUF:
 *	Replaces this file's buffer with @len bytes read from @ptr and resets
 *	the file position to 0, exactly as write(2) does. @len may be 0: that
 *	empties the buffer and, as write(2) of 0 bytes, leaves the position
 *	where it was. Returns 0. Fails with -EBADF if the file is not open for
 *	writing (checked first, as write(2) does), -EFBIG if @len exceeds the
 *	max_size module parameter, -ENOSPC if the module-wide max_total
 *	budget cannot take it, -ENOMEM or -EFAULT; the old buffer and the
 *	position are intact on any failure.
 *
 * CMISC_IOC_READ_BUF:
 *	Copies min(@len, buffer size) bytes from the start of the buffer to
 *	@ptr and returns that count. The file position is not used or moved.
 *	Fails with -EBADF if the file is not open for reading (checked first,
 *	as read(2) does), and with -EFAULT if [@ptr, @ptr + @len) is not user
 *	memory.
 *
 * Any other command that reaches the driver, including a known number with
 * the wrong size or direction bits, returns -ENOTTY. Some never reach it:
 * the VFS answers its generic commands first, for every file. FIOCLEX,
 * FIONCLEX and FIONBIO succeed; FIOASYNC succeeds in turning async
 * notification off and is -ENOTTY for turning it on (the driver has no
 * fasync); the other generic commands of do_vfs_ioctl() in fs/ioctl.c
 * (FIGETBSZ, FIFREEZE, FS_IOC_FIEMAP, FICLONE and more, varying with the
 * kernel) get the VFS's own answer. A bad pointer returns -EFAULT and
 * leaves the file's state unchanged.
 */

/**
 * DOC: read, write and the file position
 *
 * write(2), writev(2):
 *	Replace the whole buffer with the data (a vector counts as one write
 *	of its concatenation) and set the position to 0. Errors as for
 *	%CMISC_IOC_WRITE_BUF. write(fd, p, 0) empties the buffer but leaves
 *	the position, because the VFS stores a new position only after a
 *	write of at least one byte (so does upstream's driver); a writev
 *	whose total length is 0 is answered by the VFS and changes nothing.
 *
 * pwrite(2), pwritev(2):
 *	Replace the buffer exactly as write(2) does, whatever the offset (as
 *	upstream's driver does), and, as for any pwrite, leave the file
 *	position where it was. The position may then lie beyond the end of
 *	the new buffer. A negative offset is -EINVAL, from the VFS.
 *
 * read(2), readv(2), pread(2), preadv(2):
 *	Copy from the position (or the offset) to the end of the buffer; at
 *	or beyond the end they return 0. read and readv advance the
 *	position. A negative offset to pread or preadv is -EINVAL, from the
 *	VFS, before the driver sees the call.
 *
 * lseek(2):
 *	SEEK_SET, SEEK_CUR and SEEK_END to a target within [0, buffer size];
 *	anything else is -EINVAL. lseek(fd, 0, SEEK_CUR) always succeeds and
 *	reports the position, even one beyond the end.
 *
 * One descriptor shared by threads or processes (dup, fork) is serialised
 * on its position as a regular file is.
 *
 * Memory: each file is charged the length of its buffer against the
 * max_total parameter; rewriting a buffer charges only its growth, so a
 * file that fills the whole budget can still rewrite it. The device's
 * sysfs directory (/sys/class/misc/<name>/) shows charged_bytes and
 * open_files, read-only.
 */
#define CMISC_IOC_FAIL		_IO(CMISC_IOC_MAGIC, 0x00)
#define CMISC_IOC_HELLO		_IO(CMISC_IOC_MAGIC, 0x80)
#define CMISC_IOC_GET_VALUE	_IOR(CMISC_IOC_MAGIC, 0x81, __s32)
#define CMISC_IOC_SET_VALUE	_IOW(CMISC_IOC_MAGIC, 0x82, __s32)
#define CMISC_IOC_WRITE_BUF	_IOW(CMISC_IOC_MAGIC, 0x83, struct cmisc_buf)
#define CMISC_IOC_READ_BUF	_IOW(CMISC_IOC_MAGIC, 0x84, struct cmisc_buf)

#endif /* _UAPI_LINUX_CMISC_H */
