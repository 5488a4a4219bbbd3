package zone

import (
	"encoding/binary"
	"errors"

	"github.com/relaykit/relaykit/dnswire"
)

// tsigRoom is kept free in a response to a signed request for the TSIG
// record: key and algorithm names up to 255 octets each would be more,
// but real ones are short; a 64-octet MAC (SHA-512) and 6 octets of
// other data.
const tsigRoom = 10 + 64 + 64 + 16 + 64 + 6

// respondSigned handles a request that ends in a TSIG record (RFC 8945
// 5.2): a request that fails verification changes nothing and gets
// NOTAUTH with the TSIG error; a verified one is answered and the answer
// signed over the request's MAC.
func (r *responder) respondSigned(zs *zoneSet, lim limits, req *request, msg, out []byte) []byte {
	start := len(out)
	v := dnswire.TSIGVerify{}
	if lim.srv != nil {
		v.Keys = lim.srv.key
		v.Now = lim.srv.now()
	}
	res, err := dnswire.VerifyTSIG(msg, v)
	if res == nil || errors.Is(err, dnswire.ErrTSIGFormat) || errors.Is(err, dnswire.ErrTSIGPeer) {
		return r.errorReply(req, lim, dnswire.RCodeFormatError, out)
	}
	if code := dnswire.TSIGCode(err); code != 0 {
		m := r.errorReply(req, lim, dnswire.RCodeNotAuth, out)
		sign := dnswire.TSIGSign{Key: res.Key, Error: code, RequestMAC: res.Record.MAC, Time: v.Now}
		if res.Key == nil {
			sign.Key = &dnswire.TSIGKey{Name: res.KeyName, Algorithm: res.Record.Algorithm}
		}
		if code == dnswire.RCodeBadTime {
			// RFC 8945 5.2.3: signed, with the request's time signed and
			// our time in Other Data.
			sign.TimeSigned = res.Record.TimeSigned
			var now [6]byte
			t := uint64(v.Now.Unix())
			binary.BigEndian.PutUint16(now[:], uint16(t>>32))
			binary.BigEndian.PutUint32(now[2:], uint32(t))
			sign.OtherData = now[:]
		}
		return signInto(m, start, sign)
	}
	if err != nil {
		return r.errorReply(req, lim, dnswire.RCodeFormatError, out)
	}
	var m []byte
	switch req.hdr.Opcode {
	case dnswire.OpcodeQuery:
		m = r.answerQuery(zs, lim, req, out)
	case dnswire.OpcodeUpdate:
		rc := dnswire.RCodeRefused
		if lim.srv != nil {
			rc = lim.srv.update(req, res)
		}
		m = r.errorReply(req, lim, rc, out)
	default:
		m = r.errorReply(req, lim, dnswire.RCodeNotImplemented, out)
	}
	if m == nil {
		return nil
	}
	return signInto(m, start, dnswire.TSIGSign{Key: res.Key, RequestMAC: res.Record.MAC, Time: v.Now})
}

// signInto signs the message at m[start:] in place.
func signInto(m []byte, start int, s dnswire.TSIGSign) []byte {
	signed, _, err := dnswire.SignTSIG(m[start:], s)
	if err != nil {
		return m
	}
	return append(m[:start], signed...)
}

// key finds a TSIG key by name.
func (s *Server) key(n dnswire.Name) *dnswire.TSIGKey {
	for _, k := range s.Keys {
		if k.Name.Equal(n) {
			return k
		}
	}
	return nil
}

// update runs one verified UPDATE (RFC 2136 3) and returns its RCODE.
func (s *Server) update(req *request, auth *dnswire.TSIGResult) dnswire.RCode {
	if req.q.Type != dnswire.TypeSOA || req.q.Class != dnswire.ClassINET {
		return dnswire.RCodeFormatError // RFC 2136 3.1.1
	}
	var m dnswire.Msg
	if err := m.Unpack(auth.Unsigned); err != nil {
		return dnswire.RCodeFormatError
	}
	s.umu.Lock()
	defer s.umu.Unlock()
	zs := s.zones.Load()
	var z *Zone
	if zs != nil {
		z = zs.m[req.q.Name.Lower()]
	}
	if z == nil {
		return dnswire.RCodeNotAuth // RFC 2136 3.1.2: not a zone of ours
	}
	if s.isSecondary(z.origin) {
		// RFC 2136 6 lets a secondary forward updates to its primary;
		// this one refuses them (a local change would be lost at the
		// next transfer).
		return dnswire.RCodeRefused
	}
	if rc := checkPrereqs(z, m.Answer); rc != dnswire.RCodeSuccess {
		return rc
	}
	// RFC 3007 4 / RFC 2136 3.3: every change must be allowed to the key.
	for i := range m.Ns {
		ok := false
		for j := range s.UpdatePolicy {
			if s.UpdatePolicy[j].allows(auth.KeyName, &m.Ns[i]) {
				ok = true
				break
			}
		}
		if !ok {
			s.logDebug("zone: update refused by policy", "key", auth.KeyName, "rr", m.Ns[i].String())
			return dnswire.RCodeRefused
		}
	}
	if rc := prescan(z, m.Ns); rc != dnswire.RCodeSuccess {
		return rc
	}
	nz, ch, rc := applyUpdate(z, m.Ns)
	if rc != dnswire.RCodeSuccess || nz == nil {
		return rc
	}
	if s.Resign != nil {
		sz, err := s.Resign(nz)
		if err != nil || sz == nil || !sz.origin.Equal(z.origin) || sz.Serial() != nz.Serial() {
			s.logDebug("zone: re-signing after update failed", "zone", z.origin, "err", err)
			return dnswire.RCodeServerFailure
		}
		nz, ch = sz, diffZones(z, sz)
	}
	j := s.journals[z.origin.Lower()]
	if j == nil {
		// No JournalDir: keep the history in memory, for IXFR.
		j = &journal{}
		if s.journals == nil {
			s.journals = make(map[dnswire.Name]*journal)
		}
		s.journals[z.origin.Lower()] = j
	}
	{
		if err := j.append(ch); err != nil {
			if s.Logger != nil {
				s.Logger.Error("zone: journal append", "zone", z.origin, "err", err)
			}
			return dnswire.RCodeServerFailure
		}
		if j.f != nil && j.entries >= s.compactEvery() {
			if err := j.compact(nz); err != nil && s.Logger != nil {
				s.Logger.Error("zone: journal compaction", "zone", z.origin, "err", err)
			}
		}
	}
	s.swapZone(nz)
	s.notifyAll(nz)
	return dnswire.RCodeSuccess
}

func (s *Server) compactEvery() int {
	if s.CompactEvery > 0 {
		return s.CompactEvery
	}
	return 1000
}
