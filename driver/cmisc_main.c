// SPDX-License-Identifier: GPL-2.0
/*
 * cmisc - the Rust misc-device tutorial's driver, written in C.
 *
 * Registers /dev/rust-misc-device (major 10, dynamic minor, mode 0600) and
 * speaks the ABI of the kernel's samples/rust/rust_misc_device.rs plus the
 * tutorial's extensions, all declared in include/uapi/linux/cmisc.h:
 *
 *   - ioctl HELLO returns 100; GET_VALUE/SET_VALUE move one __s32;
 *     WRITE_BUF/READ_BUF move bytes through a struct cmisc_buf;
 *   - write(2), writev(2), pwrite(2) and pwritev(2) replace the open file's
 *     buffer; only write and writev move the position (to 0), and only when
 *     they store at least one byte; read(2) (and readv, pread, preadv) and
 *     lseek(2) honour the file position.
 *
 * The ABI is described in full in the header's DOC: block. A client, as in
 * the upstream sample:
 *
 *	#include <fcntl.h>
 *	#include <stdio.h>
 *	#include <sys/ioctl.h>
 *	#include <linux/cmisc.h>
 *
 *	int main(void)
 *	{
 *		int fd = open("/dev/rust-misc-device", O_RDWR);
 *		__s32 v = 42;
 *
 *		if (fd < 0)
 *			return 1;
 *		printf("ioctl returned %d\n", ioctl(fd, CMISC_IOC_HELLO, 0));
 *		ioctl(fd, CMISC_IOC_SET_VALUE, &v);
 *		ioctl(fd, CMISC_IOC_GET_VALUE, &v);
 *		return v != 42;
 *	}
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "cmisc_core.h"

/*
 * Locking.
 *
 * Every open file has its own struct cmisc_file in file->private_data.
 * Its mutex, cmisc_file.lock, protects the buffer and the spare (data,
 * spare) and is held across each read, write, seek and buffer ioctl, so
 * each of them sees and leaves one consistent buffer. The file position
 * is the VFS's: the kernel passes it in (ppos, kiocb->ki_pos) and stores
 * it back. Open sets FMODE_ATOMIC_POS, so calls through one descriptor
 * shared by threads or processes are serialised on the position as for a
 * regular file; WRITE_BUF, which rewinds the position from an ioctl (where
 * the VFS takes no position lock), takes file->f_pos_lock itself. Order:
 * f_pos_lock, then cmisc_file.lock.
 *
 * The value of GET_VALUE/SET_VALUE is an aligned __s32 that is read and
 * written whole: READ_ONCE()/WRITE_ONCE(), no lock. Concurrent SETs on one
 * file leave one of the values, as with a plain variable.
 *
 * The device-wide budget, cmisc_limits.used, is an atomic counter: a file
 * adds its growth before allocating and gives back what it no longer holds
 * (cmisc_data_reserve() and cmisc_data_settle()), always under its own
 * file lock, so no lock is shared between files. The open-file count is
 * atomic too. Nothing here nests: no function takes two file locks.
 */

static char *name = CMISC_DEFAULT_NAME;
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "node name in /dev, 1-64 of [A-Za-z0-9._-] (default rust-misc-device)");

static ushort mode = 0600;

/* mode= is octal whatever its leading digit, as chmod's: 444 means 0444. */
static int cmisc_mode_set(const char *val, const struct kernel_param *kp)
{
	return kstrtou16(val, 8, kp->arg);
}

static int cmisc_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%04o\n", *(ushort *)kp->arg);
}

static const struct kernel_param_ops cmisc_mode_ops = {
	.set = cmisc_mode_set,
	.get = cmisc_mode_get,
};
module_param_cb(mode, &cmisc_mode_ops, &mode, 0444);
MODULE_PARM_DESC(mode, "permission bits of the device node, octal, 1 to 0777 (default 0600)");

static ulong max_size = SZ_1M;
module_param(max_size, ulong, 0444);
MODULE_PARM_DESC(max_size, "largest buffer of one open file in bytes (default 1 MiB, at most 1 GiB)");

static ulong max_total = 64 * SZ_1M;
module_param(max_total, ulong, 0444);
MODULE_PARM_DESC(max_total, "largest sum of all open files' buffers in bytes (default 64 MiB, at most 1 GiB)");

/* The longest name= accepted; a node name, not a path. */
#define CMISC_NAME_MAX	64

/**
 * struct cmisc_device - the one misc device this module registers
 * @misc:       the registered misc device; open() finds us through it
 * @limits:     memory bounds shared by all open files
 * @open_files: number of open files, shown in sysfs
 */
struct cmisc_device {
	struct miscdevice misc;
	struct cmisc_limits limits;
	atomic_t open_files;
};

/**
 * struct cmisc_file - state of one open file
 * @cmisc: the device this file was opened on
 * @lock:  serialises every access to @data and @spare
 * @value: the __s32 of GET_VALUE/SET_VALUE; READ_ONCE()/WRITE_ONCE()
 * @data:  the buffer of read/write and READ_BUF/WRITE_BUF
 * @spare: empty, or storage of @data's length for the next replace
 */
struct cmisc_file {
	struct cmisc_device *cmisc;
	struct mutex lock;	/* protects data and spare */
	s32 value;
	struct cmisc_data data;
	struct cmisc_data spare;
};

static struct device *cmisc_dev(const struct cmisc_file *cf)
{
	return cf->cmisc->misc.this_device;
}

static int cmisc_open(struct inode *inode, struct file *file)
{
	/* misc_open() left our miscdevice in private_data. */
	struct cmisc_device *cmisc = container_of(file->private_data,
						  struct cmisc_device, misc);
	struct cmisc_file *cf;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL_ACCOUNT);
	if (!cf)
		return -ENOMEM;
	cf->cmisc = cmisc;
	mutex_init(&cf->lock);
	file->private_data = cf;
	/* Shared descriptors serialise on f_pos, as regular files do. */
	file->f_mode |= FMODE_ATOMIC_POS;
	atomic_inc(&cmisc->open_files);

	/* Rate-limited: misc_open() holds the misc core's global mutex. */
	dev_info_ratelimited(cmisc->misc.this_device, "Opening cmisc device (uid = %u)\n",
			     from_kuid_munged(current_user_ns(), current_euid()));
	return 0;
}

static int cmisc_release(struct inode *inode, struct file *file)
{
	struct cmisc_file *cf = file->private_data;
	struct cmisc_device *cmisc = cf->cmisc;

	atomic_long_sub(cf->data.len, &cmisc->limits.used);
	cmisc_data_free(&cf->data);
	cmisc_data_free(&cf->spare);
	mutex_destroy(&cf->lock);
	kfree(cf);
	atomic_dec(&cmisc->open_files);
	return 0;
}

/*
 * Replace the buffer with the @len bytes of @from and, if @len is not 0,
 * rewind @ppos. The bytes land in the spare, which becomes the buffer only
 * once they are all there, so a failure at any step leaves the buffer and
 * the position exactly as they were. Rewriting a buffer of the same length
 * allocates nothing: the old buffer stays behind as the spare.
 *
 * An empty replace keeps the position, as write(2) of 0 bytes does (the
 * VFS stores the position only after a write that stored something), so
 * that WRITE_BUF of length 0 behaves exactly as write(2) of length 0.
 */
static int cmisc_replace(struct cmisc_file *cf, struct iov_iter *from,
			 size_t len, loff_t *ppos)
{
	struct cmisc_limits *lim = &cf->cmisc->limits;
	int ret;

	if (mutex_lock_interruptible(&cf->lock))
		return -ERESTARTSYS;
	ret = cmisc_data_reserve(lim, &cf->data, &cf->spare, len);
	if (ret)
		goto unlock;
	if (copy_from_iter_full(cf->spare.bytes, len, from)) {
		swap(cf->data, cf->spare);
		if (len)
			*ppos = 0;
	} else {
		ret = -EFAULT;
	}
	cmisc_data_settle(lim, &cf->data, &cf->spare);
unlock:
	mutex_unlock(&cf->lock);
	return ret;
}

static ssize_t cmisc_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct cmisc_file *cf = iocb->ki_filp->private_data;
	size_t want = iov_iter_count(to);
	loff_t pos = iocb->ki_pos;
	ssize_t ret = 0;
	size_t n;

	if (mutex_lock_interruptible(&cf->lock))
		return -ERESTARTSYS;
	/* The position may lie past the end (pwrite): that is end of file. */
	if (pos >= 0 && pos < cf->data.len && want) {
		n = min_t(size_t, want, cf->data.len - pos);
		ret = copy_to_iter(cf->data.bytes + pos, n, to);
		if (ret)
			iocb->ki_pos = pos + ret;
		else
			ret = -EFAULT;
	}
	mutex_unlock(&cf->lock);
	return ret;
}

/* write, writev, pwrite and pwritev: one replace of the whole vector. */
static ssize_t cmisc_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct cmisc_file *cf = iocb->ki_filp->private_data;
	size_t len = iov_iter_count(from);
	int ret;

	ret = cmisc_replace(cf, from, len, &iocb->ki_pos);
	if (ret)
		return ret;
	return len;
}

static loff_t cmisc_llseek(struct file *file, loff_t offset, int whence)
{
	struct cmisc_file *cf = file->private_data;
	loff_t pos;

	/* "Where am I?" needs no buffer, so it never waits or fails. */
	if (whence == SEEK_CUR && !offset)
		return file->f_pos;
	if (mutex_lock_interruptible(&cf->lock))
		return -ERESTARTSYS;
	pos = cmisc_seek_pos(file->f_pos, cf->data.len, offset, whence);
	/* "Where am I?" may answer a position past the end; moves may not. */
	if (pos >= 0 && pos != file->f_pos)
		pos = vfs_setpos(file, pos, cf->data.len);
	mutex_unlock(&cf->lock);
	return pos;
}

static long cmisc_ioctl_get_value(struct cmisc_file *cf, s32 __user *argp)
{
	return put_user(READ_ONCE(cf->value), argp);
}

static long cmisc_ioctl_set_value(struct cmisc_file *cf, const s32 __user *argp)
{
	s32 value;

	if (get_user(value, argp))
		return -EFAULT;
	WRITE_ONCE(cf->value, value);
	return 0;
}

static long cmisc_ioctl_write_buf(struct file *file, const void __user *argp)
{
	struct cmisc_file *cf = file->private_data;
	struct cmisc_buf arg;
	struct iov_iter from;
	struct iovec iov;
	int ret;

	/* As write(2) on a file not open for writing. */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	ret = cmisc_buf_arg_check(&arg, cf->cmisc->limits.max_size);
	if (ret)
		return ret;
	iov.iov_base = u64_to_user_ptr(arg.ptr);
	iov.iov_len = arg.len;
	if (!access_ok(iov.iov_base, iov.iov_len))
		return -EFAULT;
	iov_iter_init(&from, ITER_SOURCE, &iov, 1, iov.iov_len);
	/* The ioctl path takes no position lock: take it, as read(2) does. */
	if (mutex_lock_interruptible(&file->f_pos_lock))
		return -ERESTARTSYS;
	ret = cmisc_replace(cf, &from, arg.len, &file->f_pos);
	mutex_unlock(&file->f_pos_lock);
	return ret;
}

static long cmisc_ioctl_read_buf(struct file *file, const void __user *argp)
{
	struct cmisc_file *cf = file->private_data;
	struct cmisc_buf arg;
	void __user *dst;
	long ret;
	size_t n;

	/* As read(2) on a file not open for reading. */
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	ret = cmisc_buf_arg_check(&arg, U64_MAX);
	if (ret)
		return ret;
	dst = u64_to_user_ptr(arg.ptr);
	if (!access_ok(dst, arg.len))
		return -EFAULT;

	if (mutex_lock_interruptible(&cf->lock))
		return -ERESTARTSYS;
	n = min_t(u64, arg.len, cf->data.len);
	ret = copy_to_user(dst, cf->data.bytes, n) ? -EFAULT : n;
	mutex_unlock(&cf->lock);
	return ret;
}

static long cmisc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct cmisc_file *cf = file->private_data;
	void __user *argp = (void __user *)arg;

	dev_dbg(cmisc_dev(cf), "IOCTLing cmisc device (cmd %#x)\n", cmd);

	switch (cmd) {
	case CMISC_IOC_HELLO:
		dev_dbg(cmisc_dev(cf), "-> hello received (size %u, arg %lu)\n",
			_IOC_SIZE(cmd), arg);
		return CMISC_HELLO_VALUE;
	case CMISC_IOC_GET_VALUE:
		return cmisc_ioctl_get_value(cf, argp);
	case CMISC_IOC_SET_VALUE:
		return cmisc_ioctl_set_value(cf, argp);
	case CMISC_IOC_WRITE_BUF:
		return cmisc_ioctl_write_buf(file, argp);
	case CMISC_IOC_READ_BUF:
		return cmisc_ioctl_read_buf(file, argp);
	default:
		/* FIOCLEX, FIONBIO and the VFS's other commands never get here. */
		return -ENOTTY;
	}
}

static const struct file_operations cmisc_fops = {
	.owner		= THIS_MODULE,
	.open		= cmisc_open,
	.release	= cmisc_release,
	.read_iter	= cmisc_read_iter,
	.write_iter	= cmisc_write_iter,
	.llseek		= cmisc_llseek,
	.unlocked_ioctl	= cmisc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct cmisc_device *cmisc_of(struct device *dev)
{
	/* misc_register() made the miscdevice the device's driver data. */
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct cmisc_device, misc);
}

static ssize_t charged_bytes_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&cmisc_of(dev)->limits.used));
}

/* Root only: the lengths others write are theirs to know. */
static DEVICE_ATTR_ADMIN_RO(charged_bytes);

static ssize_t open_files_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&cmisc_of(dev)->open_files));
}
static DEVICE_ATTR_ADMIN_RO(open_files);

static struct attribute *cmisc_attrs[] = {
	&dev_attr_charged_bytes.attr,
	&dev_attr_open_files.attr,
	NULL
};
ATTRIBUTE_GROUPS(cmisc);

static struct cmisc_device cmisc_instance = {
	.misc = {
		.minor	= MISC_DYNAMIC_MINOR,
		.fops	= &cmisc_fops,
		.groups	= cmisc_groups,
	},
};

/*
 * ASCII only: the kernel's isalnum() follows Latin-1, where bytes such as
 * 0xe9 are letters too.
 */
static bool cmisc_name_char_valid(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* 1 to CMISC_NAME_MAX of [A-Za-z0-9._-], not starting with '.' or '-'. */
static bool cmisc_name_valid(const char *s)
{
	size_t i, len = strnlen(s, CMISC_NAME_MAX + 1);

	if (!len || len > CMISC_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!cmisc_name_char_valid(s[i]))
			return false;
	return true;
}

/*
 * Is @fmt (with @s) a path that exists? Best effort, in the loading task's
 * namespace: it cannot see another mount namespace's /dev.
 */
static int cmisc_path_exists(const char *fmt, const char *s)
{
	struct path path;
	char *p;
	int err;

	p = kasprintf(GFP_KERNEL, fmt, s);
	if (!p)
		return -ENOMEM;
	err = kern_path(p, 0, &path);
	kfree(p);
	if (err)
		return 0;
	path_put(&path);
	return 1;
}

/*
 * Would <name> shadow a node that exists already (devtmpfs keeps it, and our
 * device would be unreachable), or collide with a misc device whose sysfs
 * name differs from its node (device-mapper is /dev/mapper/control)?
 */
static int cmisc_name_taken(const char *s)
{
	int ret = cmisc_path_exists("/dev/%s", s);

	if (ret)
		return ret;
	return cmisc_path_exists("/sys/class/misc/%s", s);
}

static int cmisc_check_params(void)
{
	int ret;

	if (!name || !cmisc_name_valid(name)) {
		pr_err("name must be 1-%d of A-Z a-z 0-9 . _ -, not starting with . or -\n",
		       CMISC_NAME_MAX);
		return -EINVAL;
	}
	ret = cmisc_name_taken(name);
	if (ret < 0)
		return ret;
	if (ret) {
		pr_err("name %s: /dev/%s or misc device %s exists already\n", name, name, name);
		return -EINVAL;
	}
	if (!mode || (mode & ~0777)) {
		pr_err("mode %#o must be within 1 to 0777\n", mode);
		return -EINVAL;
	}
	if (!max_size || max_size > CMISC_SIZE_LIMIT ||
	    max_total < max_size || max_total > CMISC_SIZE_LIMIT) {
		pr_err("need 0 < max_size <= max_total <= %u\n", CMISC_SIZE_LIMIT);
		return -EINVAL;
	}
	return 0;
}

static int __init cmisc_init(void)
{
	struct cmisc_device *cmisc = &cmisc_instance;
	int ret;

	ret = cmisc_check_params();
	if (ret)
		return ret;

	cmisc->misc.name = name;
	cmisc->misc.mode = mode;
	cmisc->limits.max_size = max_size;
	cmisc->limits.max_total = max_total;
	atomic_long_set(&cmisc->limits.used, 0);
	atomic_set(&cmisc->open_files, 0);

	ret = misc_register(&cmisc->misc);
	if (ret) {
		pr_err("misc_register(%s) failed: %d\n", name, ret);
		return ret;
	}
	pr_info("cmisc (init): /dev/%s, major %d, minor %d, mode %04o\n",
		name, MISC_MAJOR, cmisc->misc.minor, mode);
	return 0;
}

static void __exit cmisc_exit(void)
{
	misc_deregister(&cmisc_instance.misc);
	pr_info("cmisc (exit)\n");
}

module_init(cmisc_init);
module_exit(cmisc_exit);

MODULE_DESCRIPTION("Misc device with the rust_misc_device sample's ABI, in C");
MODULE_AUTHOR("The cmisc authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(CMISC_VERSION);
