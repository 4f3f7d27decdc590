/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of the device tests (ioctl_test, rw_test): every TEST_F(dev, ...)
 * gets its own open of the node in self->fd. FIXTURE() registers the fixture,
 * so only the test files that use it include this, once, after harness.h.
 */
#ifndef CMISC_DEV_FIXTURE_H
#define CMISC_DEV_FIXTURE_H

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(DEV, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", DEV, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

#endif /* CMISC_DEV_FIXTURE_H */
