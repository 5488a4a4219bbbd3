//go:build linux

package dnswire

// System call numbers of recvmmsg(2) and sendmmsg(2) on linux/arm64
// (include/uapi/asm-generic/unistd.h).
const (
	sysRecvmmsg = 243
	sysSendmmsg = 269
)
