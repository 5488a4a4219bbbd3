package dnswire

import (
	"net/netip"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// cmpOpts compare records structurally: Names by value (their fields are
// unexported; == is byte equality), nil and empty slices alike, and the
// RDLENGTH read from the wire ignored (the Builder computes it).
var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b Name) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmpopts.EquateEmpty(),
	cmpopts.IgnoreFields(RRHeader{}, "Length"),
	cmpopts.IgnoreUnexported(Msg{}),
}
