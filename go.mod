module github.com/workshop-login/workshop-login

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/coreos/go-oidc/v3 v3.21.0
	github.com/go-jose/go-jose/v4 v4.1.9
	github.com/skip2/go-qrcode v0.0.0-20200617195104-da1b6568686e
)

require golang.org/x/oauth2 v0.38.0 // indirect
