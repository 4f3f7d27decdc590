// SPDX-License-Identifier: GPL-2.0
/*
 * The Rust misc-device tutorial's module, written in C. Each directory
 * tutorial/NN-* holds the module as it stands after task NN, and each adds
 * exactly that task to the one before: diff two neighbours to see one
 * lesson. docs/tutorial.md explains every line that a task adds.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/cmisc.h>

/* A write of more bytes than this fails with -EFBIG and changes nothing. */
#define HELLO_BUF_MAX 4096

/* Copied to the heap at load time; printed and freed at unload. */
static const u32 hello_initial[] = { 72, 108, 200 };
static u32 *hello_numbers;

/**
 * struct hello_file - the state of one open file of the device
 * @lock: held by read, write, GET_VALUE and SET_VALUE, which threads or
 *	processes sharing the open file may call at the same time
 * @value: what SET_VALUE stored and GET_VALUE returns; 0 after open
 * @data: the bytes of the last write, or NULL before the first
 * @size: the number of bytes at @data
 */
struct hello_file {
	struct mutex lock;	/* guards value, data and size */
	s32 value;
	char *data;
	size_t size;
};

/* Called for every open(2) of /dev/rust-misc-device. */
static int hello_open(struct inode *inode, struct file *file)
{
	struct hello_file *hf;

	pr_info("Opening C misc device sample (uid = %u)\n",
		from_kuid_munged(current_user_ns(), current_euid()));

	hf = kzalloc(sizeof(*hf), GFP_KERNEL);
	if (!hf)
		return -ENOMEM;
	mutex_init(&hf->lock);
	file->private_data = hf;
	return 0;
}

/* Called once the last descriptor of an open file is closed. */
static int hello_release(struct inode *inode, struct file *file)
{
	struct hello_file *hf = file->private_data;

	mutex_destroy(&hf->lock);
	kfree(hf->data);
	kfree(hf);
	return 0;
}

/* Copy from the file position to the end of the last write, at most @count. */
static ssize_t hello_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	struct hello_file *hf = file->private_data;
	ssize_t ret;

	mutex_lock(&hf->lock);
	ret = simple_read_from_buffer(buf, count, ppos, hf->data, hf->size);
	mutex_unlock(&hf->lock);
	return ret;
}

/* Replace the whole buffer with the data, and rewind the file to 0. */
static ssize_t hello_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	struct hello_file *hf = file->private_data;
	char *data, *old;

	if (count > HELLO_BUF_MAX)
		return -EFBIG;
	data = memdup_user(buf, count);
	if (IS_ERR(data))
		return PTR_ERR(data);

	mutex_lock(&hf->lock);
	old = hf->data;
	hf->data = data;
	hf->size = count;
	mutex_unlock(&hf->lock);
	kfree(old);
	*ppos = 0;
	return count;
}

/* Called for every ioctl(2) on an open file of the device. */
static long hello_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hello_file *hf = file->private_data;
	s32 __user *uvalue = (s32 __user *)arg;
	s32 value;

	pr_info("IOCTLing C misc device sample\n");

	switch (cmd) {
	case CMISC_IOC_HELLO:
		pr_info("-> hello received (size %u, arg %lu)\n", _IOC_SIZE(cmd), arg);
		return CMISC_HELLO_VALUE;
	case CMISC_IOC_GET_VALUE:
		mutex_lock(&hf->lock);
		value = hf->value;
		mutex_unlock(&hf->lock);
		return put_user(value, uvalue);
	case CMISC_IOC_SET_VALUE:
		if (get_user(value, uvalue))
			return -EFAULT;
		mutex_lock(&hf->lock);
		hf->value = value;
		mutex_unlock(&hf->lock);
		return 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hello_fops = {
	.owner		= THIS_MODULE,
	.open		= hello_open,
	.release	= hello_release,
	.read		= hello_read,
	.write		= hello_write,
	.unlocked_ioctl	= hello_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice hello_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "rust-misc-device",
	.fops	= &hello_fops,
	.mode	= 0600,
};

static int __init hello_init(void)
{
	int ret;

	pr_info("C minimal sample (init)\n");

	hello_numbers = kmemdup(hello_initial, sizeof(hello_initial), GFP_KERNEL);
	if (!hello_numbers)
		return -ENOMEM;

	pr_info("Initialising C misc device sample\n");
	ret = misc_register(&hello_misc);
	if (ret)
		kfree(hello_numbers);
	return ret;
}

static void __exit hello_exit(void)
{
	char line[64];
	int len = 0;
	size_t i;

	misc_deregister(&hello_misc);

	for (i = 0; i < ARRAY_SIZE(hello_initial); i++)
		len += scnprintf(line + len, sizeof(line) - len, "%s%u",
				 i ? ", " : "", hello_numbers[i]);
	pr_info("My numbers are [%s]\n", line);
	kfree(hello_numbers);
	pr_info("C minimal sample (exit)\n");
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_DESCRIPTION("The Rust misc-device tutorial's module, in C");
MODULE_AUTHOR("The cmisc authors");
MODULE_LICENSE("GPL");
