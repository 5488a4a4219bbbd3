//go:build linux && !amd64 && !386

package mailsrv

import "syscall"

const sysSyncfs = syscall.SYS_SYNCFS
