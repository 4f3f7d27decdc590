# make gdb GDB_SCRIPT=lab/gdb/hello.gdb, and make check's gdb test on the
# tiny kernel. lab/vmjob.sh has already loaded vmlinux and the kernel's gdb
# helpers, stopped in start_kernel, run lx-symbols (which loads each
# module's symbols at its load address as it loads) and set a pending
# breakpoint on cmisc_ioctl. The guest (lab/guest/gdb.sh) loads cmisc and
# runs cmisc-hello, whose HELLO lands here.
continue
info symbol $pc
printf "lab-gdb: cmd=%#x\n", cmd
bt 2
continue
