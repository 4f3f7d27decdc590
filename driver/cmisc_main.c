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
 *   - write(2) replaces the open file's buffer and rewinds it to 0,
 *     read(2) and lseek(2) honour the file position.
 *
 * Every piece of state is per open file and lives behind file->private_data
 * under its own mutex. A client, as in the upstream sample:
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

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cmisc_core.h"

static char *name = CMISC_DEFAULT_NAME;
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "device node name under /dev (default " CMISC_DEFAULT_NAME ")");

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "permission bits of the device node (default 0600)");

static ulong max_size = SZ_1M;
module_param(max_size, ulong, 0444);
MODULE_PARM_DESC(max_size, "largest buffer of one open file in bytes (default 1 MiB, at most 1 GiB)");

static ulong max_total = 64 * SZ_1M;
module_param(max_total, ulong, 0444);
MODULE_PARM_DESC(max_total, "largest sum of all open files' buffers, spares included, in bytes (default 64 MiB, at most 1 GiB)");

/**
 * struct cmisc_device - the one misc device this module registers
 * @misc:   the registered misc device; open() finds us through it
 * @limits: memory bounds shared by all open files
 */
struct cmisc_device {
	struct miscdevice misc;
	struct cmisc_limits limits;
};

/**
 * struct cmisc_file - state of one open file
 * @cdev:  the device this file was opened on
 * @lock:  serialises everything below
 * @value: the __s32 of GET_VALUE/SET_VALUE
 * @data:  the buffer of read/write and READ_BUF/WRITE_BUF
 * @spare: the previous buffer, reused by the next replace when it fits
 */
struct cmisc_file {
	struct cmisc_device *cdev;
	struct mutex lock;	/* protects value, data and spare */
	s32 value;
	struct cmisc_data data;
	struct cmisc_data spare;
};

static struct device *cmisc_dev(const struct cmisc_file *cf)
{
	return cf->cdev->misc.this_device;
}

static int cmisc_open(struct inode *inode, struct file *file)
{
	/* misc_open() left our miscdevice in private_data. */
	struct cmisc_device *cdev = container_of(file->private_data,
						 struct cmisc_device, misc);
	struct cmisc_file *cf;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf)
		return -ENOMEM;
	cf->cdev = cdev;
	mutex_init(&cf->lock);
	file->private_data = cf;

	dev_info(cdev->misc.this_device, "Opening cmisc device (uid = %u)\n",
		 from_kuid_munged(current_user_ns(), current_euid()));
	return 0;
}

static int cmisc_release(struct inode *inode, struct file *file)
{
	struct cmisc_file *cf = file->private_data;

	cmisc_data_free(&cf->cdev->limits, &cf->data);
	cmisc_data_free(&cf->cdev->limits, &cf->spare);
	mutex_destroy(&cf->lock);
	kfree(cf);
	return 0;
}

/*
 * Replace the buffer with @len bytes from @src and rewind @ppos. The bytes
 * land in the spare buffer, which becomes the buffer only once they are all
 * there, so a failure at any step leaves the buffer and the position exactly
 * as they were. The old buffer becomes the spare: rewriting a buffer of the
 * same size or smaller allocates nothing.
 */
static int cmisc_replace(struct cmisc_file *cf, const void __user *src,
			 u64 len, loff_t *ppos)
{
	int ret;

	if (mutex_lock_interruptible(&cf->lock))
		return -ERESTARTSYS;
	ret = cmisc_data_reserve(&cf->cdev->limits, &cf->spare, len);
	if (!ret && copy_from_user(cf->spare.bytes, src, len))
		ret = -EFAULT;
	if (!ret) {
		swap(cf->data, cf->spare);
		*ppos = 0;
	}
	mutex_unlock(&cf->lock);
	return ret;
}

static ssize_t cmisc_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	struct cmisc_file *cf = file->private_data;
	ssize_t ret;

	if (mutex_lock_interruptible(&cf->lock))
		return -ERESTARTSYS;
	ret = simple_read_from_buffer(buf, count, ppos, cf->data.bytes,
				      cf->data.len);
	mutex_unlock(&cf->lock);
	return ret;
}

static ssize_t cmisc_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	struct cmisc_file *cf = file->private_data;
	ssize_t ret;

	ret = cmisc_replace(cf, buf, count, ppos);
	return ret ? ret : count;
}

static loff_t cmisc_llseek(struct file *file, loff_t offset, int whence)
{
	struct cmisc_file *cf = file->private_data;
	loff_t pos;

	if (mutex_lock_interruptible(&cf->lock))
		return -ERESTARTSYS;
	pos = cmisc_seek_pos(file->f_pos, cf->data.len, offset, whence);
	if (pos >= 0)
		pos = vfs_setpos(file, pos, cf->data.len);
	mutex_unlock(&cf->lock);
	return pos;
}

static long cmisc_get_value(struct cmisc_file *cf, s32 __user *argp)
{
	s32 value;

	if (mutex_lock_interruptible(&cf->lock))
		return -ERESTARTSYS;
	value = cf->value;
	mutex_unlock(&cf->lock);
	return put_user(value, argp);
}

static long cmisc_set_value(struct cmisc_file *cf, const s32 __user *argp)
{
	s32 value;

	if (get_user(value, argp))
		return -EFAULT;
	if (mutex_lock_interruptible(&cf->lock))
		return -ERESTARTSYS;
	cf->value = value;
	mutex_unlock(&cf->lock);
	return 0;
}

static long cmisc_write_buf(struct file *file, const void __user *argp)
{
	struct cmisc_file *cf = file->private_data;
	struct cmisc_buf arg;
	int ret;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	ret = cmisc_buf_arg_check(&arg, cf->cdev->limits.max_size);
	if (ret)
		return ret;
	return cmisc_replace(cf, u64_to_user_ptr(arg.ptr), arg.len,
			     &file->f_pos);
}

static long cmisc_read_buf(struct cmisc_file *cf, const void __user *argp)
{
	struct cmisc_buf arg;
	void __user *dst;
	long ret;
	size_t n;

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
		return cmisc_get_value(cf, argp);
	case CMISC_IOC_SET_VALUE:
		return cmisc_set_value(cf, argp);
	case CMISC_IOC_WRITE_BUF:
		return cmisc_write_buf(file, argp);
	case CMISC_IOC_READ_BUF:
		return cmisc_read_buf(cf, argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations cmisc_fops = {
	.owner		= THIS_MODULE,
	.open		= cmisc_open,
	.release	= cmisc_release,
	.read		= cmisc_read,
	.write		= cmisc_write,
	.llseek		= cmisc_llseek,
	.unlocked_ioctl	= cmisc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct cmisc_device cmisc = {
	.misc = {
		.minor	= MISC_DYNAMIC_MINOR,
		.fops	= &cmisc_fops,
	},
};

static int cmisc_check_params(void)
{
	if (!name || !*name || strchr(name, '/')) {
		pr_err("name must be a non-empty node name without '/'\n");
		return -EINVAL;
	}
	if (mode & ~0777) {
		pr_err("mode %#o has bits outside 0777\n", mode);
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
	int ret;

	ret = cmisc_check_params();
	if (ret)
		return ret;

	cmisc.misc.name = name;
	cmisc.misc.mode = mode;
	cmisc.limits.max_size = max_size;
	cmisc.limits.max_total = max_total;
	atomic_long_set(&cmisc.limits.used, 0);

	ret = misc_register(&cmisc.misc);
	if (ret) {
		pr_err("misc_register(%s) failed: %d\n", name, ret);
		return ret;
	}
	pr_info("cmisc (init): /dev/%s, major %d, minor %d, mode %04o\n",
		name, MISC_MAJOR, cmisc.misc.minor, mode);
	return 0;
}

static void __exit cmisc_exit(void)
{
	misc_deregister(&cmisc.misc);
	pr_info("cmisc (exit)\n");
}

module_init(cmisc_init);
module_exit(cmisc_exit);

MODULE_DESCRIPTION("Misc device with the rust_misc_device sample's ABI, in C");
MODULE_AUTHOR("The cmisc authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(CMISC_VERSION);
