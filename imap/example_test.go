package imap_test

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/relaykit/relaykit/imap"
)

// A server reads each command with a Decoder; the Continue hook sends the
// continuation request a synchronizing literal needs.
func ExampleDecoder_ReadCommand() {
	in := "a1 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\na2 LOGIN {3}\r\nbob secret\r\n"
	d := imap.NewDecoder(bufio.NewReader(strings.NewReader(in)))
	d.Continue = func(n int64) error {
		fmt.Printf("server: + Ready for %d octets\n", n)
		return nil
	}
	for i := 0; i < 2; i++ {
		cmd, err := d.ReadCommand()
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%s %s uid=%v set=%q items=%d user=%q\n", cmd.Tag, cmd.Name, cmd.UID, cmd.Seq.String(), len(cmd.Fetch), cmd.User)
	}
	// Output:
	// a1 FETCH uid=true set="1:*" items=2 user=""
	// server: + Ready for 3 octets
	// a2 LOGIN uid=false set="" items=0 user="bob"
}
