package mailsrv

// sysSyncfs is syncfs(2) on linux/arm64 (include/uapi/asm-generic/unistd.h).
const sysSyncfs = 267
