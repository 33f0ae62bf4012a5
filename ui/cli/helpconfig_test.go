package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// help config lists every key a file may hold, under its section, with its
// default and variable, and never a secret: the settings tables' replacement.
func TestHelpConfigListsEveryKey(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"help", "config"}, &out, &errs); code != 0 || errs.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, errs.String())
	}
	text := out.String()
	for _, want := range []string{
		"[trust_centre]\n  allowed_redirect_uris  (list of strings, $WORKSHOP_LOGIN_TRUST_CENTRE_ALLOWED_REDIRECT_URIS)",
		"  poll_interval  (duration, $WORKSHOP_LOGIN_TRUST_CENTRE_POLL_INTERVAL)\n      between token polls",
		"[kiosk]\n", "  idle_sign_out  (duration, $WORKSHOP_LOGIN_KIOSK_IDLE_SIGN_OUT)",
		"[[tools]]", "  pass_access_token  (boolean)\n",
		"default: \"Ctrl+Alt+Q\"",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("help config lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "simulator-secret") || strings.Contains(text, "Usage:") {
		t.Errorf("help config:\n%s", text)
	}
}
