package dnswire

import (
	"errors"
	"io"
	"io/fs"
	"path"
)

// ZoneConfig configures a ZoneReader. The zero value reads a file whose
// names are all absolute (or that sets $ORIGIN before using relative ones)
// and refuses $INCLUDE.
type ZoneConfig struct {
	// Origin completes relative names and "@" until a $ORIGIN line
	// changes it (RFC 1035 5.1). Zero means none: a relative name before
	// any $ORIGIN is an error, never silently made absolute.
	Origin Name
	// TTL is the default TTL, as if the file began with $TTL (RFC 2308
	// 4). Zero means none: then a record without a TTL takes the last
	// TTL given (RFC 1035 5.1), and the first one without is an error.
	TTL uint32
	// File names the input in error messages.
	File string
	// IncludeFS enables $INCLUDE: included paths are opened in it. Nil
	// (the default) makes $INCLUDE an error, since a zone file from
	// elsewhere should not read local files. Paths with ".." or a leading
	// "/" are refused whatever the fs.FS would do; to keep symbolic links
	// from leading out of a directory too, pass (*os.Root).FS().
	IncludeFS fs.FS
	// MaxIncludeDepth bounds nested $INCLUDEs; 0 means 8.
	MaxIncludeDepth int
	// MaxGenerate bounds the records one $GENERATE may make; 0 means
	// 65536.
	MaxGenerate int
}

// ZoneReader reads records from a master file (RFC 1035 5): $ORIGIN,
// $TTL (RFC 2308 4), $INCLUDE (only with ZoneConfig.IncludeFS), "@",
// relative names, omitted owners, TTLs and classes, parentheses across
// lines, comments, quoted strings and escapes, and BIND's $GENERATE (see
// zone_generate.go). Errors are *SyntaxError with file and line.
type ZoneReader struct {
	cfg   ZoneConfig
	stack []*zoneInput
	gen   *generator
}

type zoneInput struct {
	lx     *lexer
	ctx    textCtx
	closer io.Closer
}

// NewZoneReader returns a reader of the zone in r.
func NewZoneReader(r io.Reader, cfg ZoneConfig) *ZoneReader {
	z := &ZoneReader{cfg: cfg}
	in := &zoneInput{lx: newLexer(r)}
	in.ctx = textCtx{origin: cfg.Origin, dollarTTL: cfg.TTL, haveDTTL: cfg.TTL != 0, zoneFile: true, file: cfg.File}
	z.stack = []*zoneInput{in}
	return z
}

// ReadZone reads every record of the zone in r.
func ReadZone(r io.Reader, cfg ZoneConfig) ([]RR, error) {
	z := NewZoneReader(r, cfg)
	var out []RR
	for {
		rr, err := z.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rr)
	}
}

const (
	errInclude   = Error("dnswire: syntax error: $INCLUDE not enabled")
	errDirective = Error("dnswire: syntax error: unknown directive")
	errDepth     = Error("dnswire: syntax error: $INCLUDE nested too deep")
	// errIncludePath: an $INCLUDE path leaves the configured file system.
	errIncludePath = Error("dnswire: syntax error: $INCLUDE path outside the file system")
)

// Next returns the next record, or io.EOF after the last.
func (z *ZoneReader) Next() (RR, error) {
	for len(z.stack) > 0 {
		if z.gen != nil {
			rr, ok, err := z.nextGenerated()
			if err != nil || ok {
				return rr, err
			}
			continue
		}
		in := z.stack[len(z.stack)-1]
		toks, blank, line, err := in.lx.next()
		if err == io.EOF {
			if in.closer != nil {
				in.closer.Close()
			}
			z.stack = z.stack[:len(z.stack)-1]
			if len(z.stack) > 0 {
				// The TTL state carries over from an included file;
				// origin and owner do not (RFC 1035 5.1).
				outer := &z.stack[len(z.stack)-1].ctx
				outer.ttl, outer.haveTTL = in.ctx.ttl, in.ctx.haveTTL
				outer.dollarTTL, outer.haveDTTL = in.ctx.dollarTTL, in.ctx.haveDTTL
			}
			continue
		}
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) && se.File == "" {
				se.File = in.ctx.file
			}
			return RR{}, err
		}
		in.ctx.line = line
		if !blank && len(toks[0].s) > 0 && toks[0].s[0] == '$' && !toks[0].quoted {
			if err := z.directive(in, toks); err != nil {
				return RR{}, err
			}
			continue
		}
		var rr RR
		if err := in.ctx.parseRR(toks, blank, &rr); err != nil {
			return RR{}, err
		}
		return rr, nil
	}
	return RR{}, io.EOF
}

func (z *ZoneReader) directive(in *zoneInput, toks []token) error {
	c := &in.ctx
	switch toks[0].s {
	case "$ORIGIN":
		if len(toks) != 2 {
			return c.errf(toks[0].s, ErrSyntax)
		}
		n, err := c.name(toks[1])
		if err != nil {
			return err
		}
		c.origin = n
		return nil
	case "$TTL":
		if len(toks) != 2 {
			return c.errf(toks[0].s, ErrSyntax)
		}
		v, ok := parseTTL(toks[1].s)
		if !ok {
			return c.errf(toks[1].s, errBadTTL)
		}
		c.dollarTTL, c.haveDTTL = v, true
		return nil
	case "$GENERATE":
		return z.startGenerate(in, toks)
	case "$INCLUDE":
		if z.cfg.IncludeFS == nil {
			return c.errf(toks[0].s, errInclude)
		}
		if len(toks) < 2 || len(toks) > 3 {
			return c.errf(toks[0].s, ErrSyntax)
		}
		depth := z.cfg.MaxIncludeDepth
		if depth <= 0 {
			depth = 8
		}
		if len(z.stack) > depth {
			return c.errf(toks[1].s, errDepth)
		}
		origin := c.origin
		if len(toks) == 3 {
			n, err := c.name(toks[2])
			if err != nil {
				return err
			}
			origin = n
		}
		// Only paths inside IncludeFS: never "..", never absolute, even
		// when the fs.FS given would take them.
		p, ok := includePath(path.Clean(toks[1].s))
		if !ok {
			return c.errf(toks[1].s, errIncludePath)
		}
		f, err := z.cfg.IncludeFS.Open(p)
		if err != nil {
			return c.errf(toks[1].s, err)
		}
		next := &zoneInput{lx: newLexer(f), closer: f}
		next.ctx = textCtx{origin: origin, ttl: c.ttl, haveTTL: c.haveTTL, dollarTTL: c.dollarTTL,
			haveDTTL: c.haveDTTL, zoneFile: true, file: p}
		z.stack = append(z.stack, next)
		return nil
	}
	return c.errf(toks[0].s, errDirective)
}
