package imap

import (
	"time"
)

// SearchOp names a search key (RFC 9051 6.4.4).
type SearchOp string

// Search keys. Keys with an argument keep it in SearchKey's fields named
// in the comment.
const (
	SearchAll        SearchOp = "ALL"
	SearchAnd        SearchOp = "AND" // a parenthesised list or the top level: Keys
	SearchSeq        SearchOp = "SEQ" // a bare sequence set: Seq
	SearchUID        SearchOp = "UID" // Seq
	SearchNot        SearchOp = "NOT" // Keys[0]
	SearchOr         SearchOp = "OR"  // Keys[0], Keys[1]
	SearchAnswered   SearchOp = "ANSWERED"
	SearchDeleted    SearchOp = "DELETED"
	SearchDraft      SearchOp = "DRAFT"
	SearchFlagged    SearchOp = "FLAGGED"
	SearchSeen       SearchOp = "SEEN"
	SearchUnanswered SearchOp = "UNANSWERED"
	SearchUndeleted  SearchOp = "UNDELETED"
	SearchUndraft    SearchOp = "UNDRAFT"
	SearchUnflagged  SearchOp = "UNFLAGGED"
	SearchUnseen     SearchOp = "UNSEEN"
	SearchNew        SearchOp = "NEW"       // RFC 3501: RECENT UNSEEN
	SearchOld        SearchOp = "OLD"       // RFC 3501: NOT RECENT
	SearchRecent     SearchOp = "RECENT"    // RFC 3501
	SearchKeyword    SearchOp = "KEYWORD"   // Value
	SearchUnkeyword  SearchOp = "UNKEYWORD" // Value
	SearchBcc        SearchOp = "BCC"       // Value
	SearchCc         SearchOp = "CC"        // Value
	SearchFrom       SearchOp = "FROM"      // Value
	SearchTo         SearchOp = "TO"        // Value
	SearchSubject    SearchOp = "SUBJECT"   // Value
	SearchBody       SearchOp = "BODY"      // Value
	SearchText       SearchOp = "TEXT"      // Value
	SearchHeader     SearchOp = "HEADER"    // Field, Value
	SearchBefore     SearchOp = "BEFORE"    // Date (internal date)
	SearchOn         SearchOp = "ON"
	SearchSince      SearchOp = "SINCE"
	SearchSentBefore SearchOp = "SENTBEFORE" // Date (Date: field)
	SearchSentOn     SearchOp = "SENTON"
	SearchSentSince  SearchOp = "SENTSINCE"
	SearchLarger     SearchOp = "LARGER"  // Number
	SearchSmaller    SearchOp = "SMALLER" // Number
	SearchModSeq     SearchOp = "MODSEQ"  // Number (RFC 7162 3.1.5)
)

// SearchKey is one node of a search program.
type SearchKey struct {
	Op     SearchOp
	Value  string
	Field  string
	Date   time.Time // a day, at 00:00 UTC
	Number uint64
	Seq    SeqSet
	Keys   []SearchKey
}

// SearchProgram reads the search keys after SEARCH's options up to the
// end of the line and returns them as one AND node. The number of keys
// and the nesting are bounded by Limits.MaxItems and MaxDepth.
func (d *Decoder) SearchProgram() (SearchKey, error) {
	root := SearchKey{Op: SearchAnd}
	budget := d.Limits.items()
	for {
		k, err := d.searchKey(&budget)
		if err != nil {
			return root, err
		}
		root.Keys = append(root.Keys, k)
		eol, err := d.AtEOL()
		if err != nil || eol {
			return root, err
		}
		if err := d.SP(); err != nil {
			return root, err
		}
	}
}

func (d *Decoder) searchKey(budget *int) (SearchKey, error) {
	var k SearchKey
	*budget--
	if *budget < 0 {
		return k, d.fail(ErrTooComplex, "fewer search keys")
	}
	b, err := d.peek()
	if err != nil {
		return k, err
	}
	switch {
	case b == '(':
		k.Op = SearchAnd
		err := d.List(false, func() error {
			c, err := d.searchKey(budget)
			k.Keys = append(k.Keys, c)
			return err
		})
		return k, err
	case b == '*' || b == '$' || ('1' <= b && b <= '9'):
		k.Op = SearchSeq
		k.Seq, err = d.SeqSet(true)
		return k, err
	}
	a, err := d.Atom()
	if err != nil {
		return k, err
	}
	k.Op = SearchOp(upper(a))
	switch k.Op {
	case SearchAll, SearchAnswered, SearchDeleted, SearchDraft, SearchFlagged,
		SearchSeen, SearchUnanswered, SearchUndeleted, SearchUndraft,
		SearchUnflagged, SearchUnseen, SearchNew, SearchOld, SearchRecent:
		return k, nil
	case SearchKeyword, SearchUnkeyword:
		if err := d.SP(); err != nil {
			return k, err
		}
		k.Value, err = d.Atom()
	case SearchBcc, SearchCc, SearchFrom, SearchTo, SearchSubject, SearchBody, SearchText:
		if err := d.SP(); err != nil {
			return k, err
		}
		k.Value, err = d.Astring()
	case SearchHeader:
		if err := d.SP(); err != nil {
			return k, err
		}
		if k.Field, err = d.Astring(); err != nil {
			return k, err
		}
		if err := d.SP(); err != nil {
			return k, err
		}
		k.Value, err = d.Astring()
	case SearchBefore, SearchOn, SearchSince, SearchSentBefore, SearchSentOn, SearchSentSince:
		if err := d.SP(); err != nil {
			return k, err
		}
		k.Date, err = d.Date()
	case SearchLarger, SearchSmaller:
		if err := d.SP(); err != nil {
			return k, err
		}
		k.Number, err = d.Number64()
	case SearchModSeq:
		// RFC 7162 3.1.5: MODSEQ [SP entry-name SP entry-type-req] SP
		// mod-sequence-valzer. The entry name is a quoted string.
		if err := d.SP(); err != nil {
			return k, err
		}
		if b, err := d.peek(); err != nil {
			return k, err
		} else if b == '"' {
			if _, err := d.Quoted(); err != nil {
				return k, err
			}
			if err := d.SP(); err != nil {
				return k, err
			}
			t, err := d.Atom()
			if err != nil {
				return k, err
			}
			switch upper(t) {
			case "PRIV", "SHARED", "ALL":
			default:
				return k, d.syntax("entry-type-req")
			}
			if err := d.SP(); err != nil {
				return k, err
			}
		}
		k.Number, err = d.Number64()
	case SearchUID:
		if err := d.SP(); err != nil {
			return k, err
		}
		k.Seq, err = d.SeqSet(true)
	case SearchNot:
		if err := d.SP(); err != nil {
			return k, err
		}
		c, err := d.nested(budget)
		k.Keys = []SearchKey{c}
		return k, err
	case SearchOr:
		if err := d.SP(); err != nil {
			return k, err
		}
		a, err := d.nested(budget)
		if err != nil {
			return k, err
		}
		if err := d.SP(); err != nil {
			return k, err
		}
		b, err := d.nested(budget)
		k.Keys = []SearchKey{a, b}
		return k, err
	default:
		return k, d.syntax("search key")
	}
	return k, err
}

// nested reads the operand of NOT or OR one level deeper.
func (d *Decoder) nested(budget *int) (SearchKey, error) {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > d.Limits.depth() {
		return SearchKey{}, d.fail(ErrTooComplex, "shallower nesting")
	}
	return d.searchKey(budget)
}

// monthNames holds the three-letter month names in order.
const monthNames = "JanFebMarAprMayJunJulAugSepOctNovDec"

// Date reads a date (RFC 9051 9: date-day "-" date-month "-" date-year,
// optionally quoted).
func (d *Decoder) Date() (time.Time, error) {
	quoted, err := d.accept('"')
	if err != nil {
		return time.Time{}, err
	}
	s, err := d.run(func(c byte) bool {
		return c == '-' || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
	}, "date")
	if err != nil {
		return time.Time{}, err
	}
	if quoted {
		if err := d.expect('"', `"`); err != nil {
			return time.Time{}, err
		}
	}
	t, ok := parseDate(s)
	if !ok {
		return time.Time{}, d.syntax("date dd-Mon-yyyy")
	}
	return t, nil
}

func parseDate(s string) (time.Time, bool) {
	// 1*2DIGIT "-" 3ALPHA "-" 4DIGIT
	i := 0
	day := 0
	for i < len(s) && i < 2 && s[i] >= '0' && s[i] <= '9' {
		day = day*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '-' || len(s) != i+1+3+1+4 || s[i+4] != '-' {
		return time.Time{}, false
	}
	mon := -1
	for m := 0; m < 12; m++ {
		if equalFold(s[i+1:i+4], monthNames[3*m:3*m+3]) {
			mon = m
		}
	}
	year := 0
	for _, c := range s[i+5:] {
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		year = year*10 + int(c-'0')
	}
	if mon < 0 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(mon+1), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // 31-Feb
	}
	return t, true
}
