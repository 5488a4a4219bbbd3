module github.com/relaykit/relaykit

go 1.26
