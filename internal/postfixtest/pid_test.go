package postfixtest

import "os"

func ownPID() int { return os.Getpid() }
