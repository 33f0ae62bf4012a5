package assertion_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/workshop-login/workshop-login/auth/assertion"
)

// A diagnostic tool started by workshop-login reads the assertion from its
// standard input and verifies it against the relay's published keys before
// it trusts anything about the person.
func ExampleVerify() {
	// One JSON object on one line: the identity for display, and the
	// assertion, the one member to trust.
	var input struct {
		Assertion string `json:"assertion"`
	}
	if err := json.NewDecoder(io.LimitReader(os.Stdin, 64<<10)).Decode(&input); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	id, err := assertion.Verify(ctx, input.Assertion, assertion.Options{
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
