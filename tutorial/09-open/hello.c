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
#include <linux/slab.h>
#include <linux/string.h>

/* Copied to the heap at load time; printed and freed at unload. */
static const u32 hello_initial[] = { 72, 108, 200 };
static u32 *hello_numbers;

/* Called for every open(2) of /dev/rust-misc-device. */
static int hello_open(struct inode *inode, struct file *file)
{
	pr_info("Opening C misc device sample (uid = %u)\n",
		from_kuid_munged(current_user_ns(), current_euid()));
	return 0;
}

static const struct file_operations hello_fops = {
	.owner		= THIS_MODULE,
	.open		= hello_open,
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
