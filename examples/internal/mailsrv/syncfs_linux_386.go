package mailsrv

// sysSyncfs is syncfs(2); package syscall's table for 386 predates it.
const sysSyncfs = 344
