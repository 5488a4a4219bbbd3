module github.com/relaykit/relaykit

go 1.26

require (
	github.com/google/go-cmp v0.7.0
	github.com/google/gofuzz v1.2.0
)
