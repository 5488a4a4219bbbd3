package rfc5322

import (
	"strings"
	"testing"
)

func TestClassTable(t *testing.T) {
	if len(classTable) != 256 {
		t.Fatalf("classTable has %d octets", len(classTable))
	}
	for i := 0; i < 256; i++ {
		c := byte(i)
		atext := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0 || c >= 0x80
		ftext := c >= 33 && c <= 126 && c != ':'
		dtext := c >= 33 && c <= 90 || c >= 94 && c <= 126 || c >= 0x80
		cfws := c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '('
		if isAtext(c) != atext || (classTable[c]&classFtext != 0) != ftext || isDtext(c) != dtext || (classTable[c]&classCFWS != 0) != cfws {
			t.Errorf("octet %#x: classes wrong", c)
		}
	}
	for _, s := range []string{"", "abc", "abcdefgh", "abcdefghé", "é", "abcdefg\x80"} {
		if hasNonASCII(s) != strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 }) {
			t.Errorf("hasNonASCII(%q)", s)
		}
	}
}
