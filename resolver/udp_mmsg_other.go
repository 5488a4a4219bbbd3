//go:build !linux || !(amd64 || arm64)

package resolver

import "net"

// udpLoopBatch is the batched UDP loop where it exists (Linux on amd64
// and arm64, udp_mmsg_linux.go); elsewhere the portable loop serves.
func (s *Server) udpLoopBatch(*net.UDPConn) (ok bool, err error) { return false, nil }
