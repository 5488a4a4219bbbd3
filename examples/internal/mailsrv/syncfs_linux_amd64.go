package mailsrv

// sysSyncfs is syncfs(2) on linux/amd64 (arch/x86/entry/syscalls/syscall_64.tbl).
const sysSyncfs = 306
