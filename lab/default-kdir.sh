#!/usr/bin/env bash
# Print the default KDIR: the newest Debian kernel headers installed on
# this host for its own architecture (lab/common.sh's newest_headers). The
# top Makefile, driver/Makefile and the lab all ask this one script; DKMS
# always passes its own KDIR.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"
arch_vars "$(host_arch)"
newest_headers "$deb_arch"
