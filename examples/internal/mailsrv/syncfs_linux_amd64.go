package mailsrv

// sysSyncfs is syncfs(2); package syscall's table for amd64 predates it.
const sysSyncfs = 306
