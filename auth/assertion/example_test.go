package assertion_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth/assertion"
)

// A diagnostic tool started by workshop-login reads the assertion from its
// standard input and verifies it against the relay's published keys before
// it trusts anything about the person.
func ExampleVerify() {
	raw, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<10))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	id, err := assertion.Verify(ctx, strings.TrimSpace(string(raw)), assertion.Options{
		JWKSURL:  "https://relay.example.com/v1/jwks",
		Audience: "https://tool.example.com", // as configured at the relay
		Issuer:   "https://relay.example.com",
		Leeway:   30 * time.Second,
	})
	if err != nil {
		log.Fatalf("not signed in: %v", err)
	}
	fmt.Printf("%s (%s) of %s at kiosk %s, until %s\n",
		id.AuthorisationUID, id.Role, id.IOUID, id.Kiosk, id.Expiry.Format(time.RFC3339))
}
