//go:build linux

package dnswire

// System call numbers of recvmmsg(2) and sendmmsg(2) on linux/amd64
// (arch/x86/entry/syscalls/syscall_64.tbl; the package syscall lacks
// SYS_SENDMMSG).
const (
	sysRecvmmsg = 299
	sysSendmmsg = 307
)
