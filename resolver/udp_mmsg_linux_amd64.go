package resolver

// System call numbers of recvmmsg(2) and sendmmsg(2) on linux/amd64
// (arch/x86/entry/syscalls/syscall_64.tbl; package syscall lacks
// SYS_SENDMMSG here).
const (
	sysRecvmmsg = 299
	sysSendmmsg = 307
)
