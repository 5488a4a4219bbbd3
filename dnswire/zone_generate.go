package dnswire

import (
	"io/fs"
	"strconv"
	"strings"
)

// $GENERATE (a BIND extension, also read by NSD's and Knot's tools):
//
//	$GENERATE start-stop[/step] lhs [ttl] [class] type rhs
//
// makes one record per value of the iterator. In lhs and rhs, `$` is the
// value in decimal and `${offset[,width[,base]]}` the value plus offset,
// zero-padded to width, in base d, o, x, X, or n / N (nibbles, least
// significant first, separated by dots, as reverse IPv6 names are; width
// counts nibbles); `\$` is a literal dollar sign.

const (
	errGenerate      = Error("dnswire: syntax error: bad $GENERATE")
	defaultMaxGenRRs = 1 << 16
)

type generator struct {
	in              *zoneInput
	toks            []token // lhs, then the record's other fields
	cur, stop, step int64
}

func (z *ZoneReader) startGenerate(in *zoneInput, toks []token) error {
	c := &in.ctx
	if len(toks) < 5 {
		return c.errf(toks[0].s, errGenerate)
	}
	rng, stepS, hasStep := strings.Cut(toks[1].s, "/")
	a, b, ok := strings.Cut(rng, "-")
	start, err1 := strconv.ParseUint(a, 10, 32)
	stop, err2 := strconv.ParseUint(b, 10, 32)
	step := uint64(1)
	var err3 error
	if hasStep {
		step, err3 = strconv.ParseUint(stepS, 10, 32)
	}
	if !ok || err1 != nil || err2 != nil || err3 != nil || step == 0 || stop < start {
		return c.errf(toks[1].s, errGenerate)
	}
	maxN := z.cfg.MaxGenerate
	if maxN <= 0 {
		maxN = defaultMaxGenRRs
	}
	if (stop-start)/step+1 > uint64(maxN) {
		return c.errf(toks[1].s, errGenerate)
	}
	for _, t := range toks[2:] {
		if _, err := expandGenerate(t.s, int64(start)); err != nil {
			return c.errf(t.s, err)
		}
	}
	z.gen = &generator{in: in, toks: append([]token(nil), toks[2:]...), cur: int64(start), stop: int64(stop), step: int64(step)}
	return nil
}

// nextGenerated returns the next record of the running $GENERATE.
func (z *ZoneReader) nextGenerated() (RR, bool, error) {
	g := z.gen
	if g.cur > g.stop {
		z.gen = nil
		return RR{}, false, nil
	}
	v := g.cur
	g.cur += g.step
	toks := make([]token, len(g.toks))
	for i, t := range g.toks {
		s, err := expandGenerate(t.s, v)
		if err != nil {
			z.gen = nil
			return RR{}, false, g.in.ctx.errf(t.s, err)
		}
		toks[i] = token{s: s, quoted: t.quoted}
	}
	var rr RR
	if err := g.in.ctx.parseRR(toks, false, &rr); err != nil {
		z.gen = nil
		return RR{}, false, err
	}
	return rr, true, nil
}

// expandGenerate substitutes the iterator value v into s.
func expandGenerate(s string, v int64) (string, error) {
	if strings.IndexByte(s, '$') < 0 {
		return s, nil
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			sb.WriteByte(c)
			sb.WriteByte(s[i+1])
			i++
			continue
		}
		if c != '$' {
			sb.WriteByte(c)
			continue
		}
		if i+1 >= len(s) || s[i+1] != '{' {
			sb.WriteString(strconv.FormatInt(v, 10))
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", errGenerate
		}
		mod := strings.Split(s[i+2:i+end], ",")
		i += end
		if len(mod) > 3 {
			return "", errGenerate
		}
		off, err := strconv.ParseInt(mod[0], 10, 32)
		if err != nil {
			return "", errGenerate
		}
		width := 0
		if len(mod) > 1 {
			w, err := strconv.ParseUint(mod[1], 10, 8)
			if err != nil || w > 64 {
				return "", errGenerate
			}
			width = int(w)
		}
		base := "d"
		if len(mod) > 2 {
			base = mod[2]
		}
		n := v + off
		if n < 0 {
			return "", errGenerate
		}
		var digits string
		switch base {
		case "d":
			digits = strconv.FormatInt(n, 10)
		case "o":
			digits = strconv.FormatInt(n, 8)
		case "x", "n":
			digits = strconv.FormatInt(n, 16)
		case "X", "N":
			digits = strings.ToUpper(strconv.FormatInt(n, 16))
		default:
			return "", errGenerate
		}
		for len(digits) < width {
			digits = "0" + digits
		}
		if base == "n" || base == "N" {
			for j := len(digits) - 1; j >= 0; j-- {
				sb.WriteByte(digits[j])
				if j > 0 {
					sb.WriteByte('.')
				}
			}
			continue
		}
		sb.WriteString(digits)
	}
	return sb.String(), nil
}

// includePath checks an $INCLUDE path: it must name a file inside the
// configured file system (fs.ValidPath: no "..", not absolute), whatever
// that file system would accept.
func includePath(p string) (string, bool) {
	return p, fs.ValidPath(p)
}
