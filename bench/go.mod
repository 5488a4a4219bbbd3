module github.com/relaykit/relaykit/bench

go 1.26.0

replace github.com/relaykit/relaykit => ../

require (
	codeberg.org/miekg/dns v0.6.0
	github.com/emersion/go-message v0.18.2
	github.com/emersion/go-smtp v0.25.1
	github.com/miekg/dns v1.1.73
	github.com/relaykit/relaykit v0.0.0-00010101000000-000000000000
	golang.org/x/net v0.62.0
)

require (
	github.com/emersion/go-msgauth v0.7.0 // indirect
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
